"""A visit changed by the practice, not by the patient: when a clinician leaves, each of their future
visits is moved to a colleague or cancelled (``booking.offboarding``). The patient's dashboard tells
them; the text in the outbox is the other half."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class VisitChangeKind(StrEnum):
    REASSIGNED = "reassigned"
    CANCELLED = "cancelled"


class VisitChange(db.Model):
    __tablename__ = "visit_changes"
    __table_args__ = (CheckConstraint("kind IN ('reassigned', 'cancelled')", name="kind_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    from_clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

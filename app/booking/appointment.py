from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

STATUSES = ("booked", "cancelled", "completed", "no_show")


class Appointment(db.Model):
    """A visit between one patient and one clinician.

    ``blocked_until`` is ``end_at`` plus the clinician's gap at booking time, so PostgreSQL's
    exclusion constraint (migration 0002) can forbid overlapping booked appointments of a clinician
    with an immutable range expression; another forbids overlaps for a patient.
    """

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'cancelled', 'completed', 'no_show')", name="status_known"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_appointments_clinician_id_start_at", "clinician_id", "start_at"),
        Index("ix_appointments_patient_id_start_at", "patient_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    gap_minutes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default="booked")
    video_room: Mapped[str] = mapped_column(String(64), unique=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_late: Mapped[bool | None] = mapped_column(Boolean)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    patient_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # replied "C" to a reminder
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

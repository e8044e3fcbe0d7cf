from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class IntakeResult(db.Model):
    """A patient's answers to "Which care fits me?" and what we recommended. Part of their record:
    the patient and (once there is one) their care team see it."""

    __tablename__ = "intake_results"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    care: Mapped[str] = mapped_column(String(30))
    signs: Mapped[list[str]] = mapped_column(JSON, default=list)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    phq9_answers: Mapped[list[int] | None] = mapped_column(JSON)
    gad7_answers: Mapped[list[int] | None] = mapped_column(JSON)
    phq9_total: Mapped[int | None] = mapped_column(SmallInteger)
    gad7_total: Mapped[int | None] = mapped_column(SmallInteger)
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)

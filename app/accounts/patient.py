from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.user import User


class PatientProfile(db.Model):
    """What the practice needs to know to see a patient: where they are (licensure) and how to reach them."""

    __tablename__ = "patient_profiles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(2))
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164
    # Optional at sign-up; booking asks for it before the first psychiatric evaluation.
    date_of_birth: Mapped[date | None] = mapped_column(Date)
    sms_opt_in: Mapped[bool] = mapped_column(Boolean, default=False)
    # Consent is evidence: when, how, and the exact words the patient agreed to.
    sms_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sms_consent_source: Mapped[str | None] = mapped_column(String(40))
    sms_consent_text: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(back_populates="patient")

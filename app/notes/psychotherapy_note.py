"""Psychotherapy (process) notes: the therapist's private notes of a session, in a table of their own.
Under HIPAA (45 CFR 164.501, 164.508(a)(2)) they need the patient's separate authorisation before they
are shared, even within treatment, and they are excluded from the patient's right to read notes. Only
their author reads them: nothing else in the code queries this table (not the chart, the FHIR export,
CSV exports, admin pages or break-glass)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class PsychotherapyNote(db.Model):
    __tablename__ = "psychotherapy_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

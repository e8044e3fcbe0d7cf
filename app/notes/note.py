"""The visit note: one per appointment, a draft until its author signs it, then locked (migration 0016
adds a trigger that refuses any change to a signed note's text, on SQLite and PostgreSQL alike)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class NoteStatus(StrEnum):
    DRAFT = "draft"
    SIGNED = "signed"


class VisitNote(db.Model):
    __tablename__ = "visit_notes"
    __table_args__ = (
        CheckConstraint("status IN ('draft', 'signed')", name="status_known"),
        CheckConstraint("status = 'draft' OR signed_at IS NOT NULL", name="signed_has_time"),
        CheckConstraint("withheld_at IS NULL OR status = 'signed'", name="withheld_only_signed"),
        Index("ix_visit_notes_patient_id_created_at", "patient_id", "created_at"),
        Index("ix_visit_notes_author_id_status", "author_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    appointment_id: Mapped[int] = mapped_column(ForeignKey("appointments.id", ondelete="CASCADE"), unique=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    template: Mapped[str] = mapped_column(String(40))
    sections: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(20), default=NoteStatus.DRAFT.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    signed_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The harm exception (45 CFR 171.201): the signer keeps this note from the patient, with the reason.
    withheld_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    withheld_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    withheld_reason: Mapped[str | None] = mapped_column(Text)

    @property
    def signed(self) -> bool:
        return self.status == NoteStatus.SIGNED

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

BODY_MAX = 4000  # characters; the page's textarea and the API's model say the same


class Message(db.Model):
    """One message in a patient's thread with their care team (one thread per patient). The patient
    writes to the team; a team member writes to the patient and the rest of the team. ``crisis`` is
    set when the text used crisis words (``app.reference.crisis``): 988 was shown, the team got
    urgent tasks."""

    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(f"length(body) BETWEEN 1 AND {BODY_MAX}", name="body_length"),
        Index("ix_messages_patient_id_created_at", "patient_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    crisis: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class MessageRead(db.Model):
    """A read receipt: ``reader_id`` (the patient or a team member, never the sender) opened the thread
    with this message in it at ``read_at``. One per message and reader."""

    __tablename__ = "message_reads"

    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True)
    reader_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True)
    read_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

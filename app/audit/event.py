from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class AuditEvent(db.Model):
    """One thing someone did or tried: who, to whose record, what, on which object, how it ended.

    Never holds note text, answers or secrets — only identifiers. Rows are never updated or
    deleted (on PostgreSQL a trigger refuses it), except once: the sealer fills ``chain_seq``,
    ``prev_hash`` and ``row_hash``, chaining each row to the one sealed before it, so any later
    change to a sealed row breaks the chain where ``flask audit verify`` will find it.
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_patient_id_occurred_at", "patient_id", "occurred_at"),
        Index("ix_audit_events_actor_id_occurred_at", "actor_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # No foreign keys with cascades: the trail must outlive the accounts it mentions.
    actor_id: Mapped[int | None] = mapped_column()
    actor_role: Mapped[str | None] = mapped_column(String(20))
    patient_id: Mapped[int | None] = mapped_column()
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str] = mapped_column(String(20), default="ok")
    ip: Mapped[str | None] = mapped_column(String(45))
    # Attempted e-mail on failed logins (never the password) so an admin can see who was targeted.
    subject: Mapped[str | None] = mapped_column(String(254))
    chain_seq: Mapped[int | None] = mapped_column(unique=True)
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))

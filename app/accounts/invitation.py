"""A staff invitation: an admin invites a clinician, billing admin or admin by e-mail; the link works
once, until it expires or is revoked. Only the SHA-256 of the link's token is stored."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class InvitationStatus(StrEnum):
    """What an invitation's link does now (derived from its times; nothing stores it)."""

    PENDING = "pending"
    USED = "used"
    REVOKED = "revoked"
    EXPIRED = "expired"


class Invitation(db.Model):
    __tablename__ = "invitations"
    __table_args__ = (CheckConstraint("role IN ('clinician', 'billing_admin', 'admin')", name="role_staff"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # The clinician's profile as the admin wrote it (credential, licensed_states, modalities, languages,
    # bio, timezone); None for billing admins and admins. Checked again when the account is made.
    clinician: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    def status(self, now: datetime) -> InvitationStatus:
        """Used and revoked stay so; otherwise the link works strictly before ``expires_at``."""
        if self.used_at is not None:
            return InvitationStatus.USED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

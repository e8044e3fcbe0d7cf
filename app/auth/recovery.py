"""Password reset by e-mail link: the same answer for known and unknown addresses, single-use tokens
that expire in 30 minutes, and every session and token of the user ended after the reset."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app import connections
from app.accounts.service import find_by_email
from app.audit import service as audit
from app.auth.password_reset import PasswordResetToken
from app.auth.service import end_all_sessions
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.mail.backends import Mail, send
from app.passwords import hash_password

RESET_TTL = timedelta(minutes=30)


class ResetLinkInvalid(DomainError):
    status = 400
    code = "reset_link_invalid"
    message = "This reset link has expired or was already used. Request a new one."


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def request_reset(email: str, *, link_base: str, now: datetime | None = None) -> None:
    """Mail a reset link if the account exists. Returns nothing either way, so the caller's answer
    cannot reveal whether an address has an account here."""
    now = now or utcnow()
    user = find_by_email(email) if len(email) <= 254 else None
    if user is None or not user.is_enabled:
        return
    raw = secrets.token_urlsafe(32)
    # A new link supersedes older unused ones.
    db.session.execute(
        update(PasswordResetToken)
        .where(PasswordResetToken.user_id == user.id, PasswordResetToken.used_at.is_(None))
        .values(used_at=now)
    )
    db.session.add(
        PasswordResetToken(user_id=user.id, token_hash=_digest(raw), created_at=now, expires_at=now + RESET_TTL)
    )
    audit.record("auth.password_reset_requested", actor=None, object_type="user", object_id=user.id)
    to = user.email
    db.session.commit()  # mailed with no transaction open (reading ``user`` again would begin one)
    send(
        Mail(
            to=to,
            subject="Reset your password",
            body=(
                "Someone asked to reset the password of your account. If it was you, open this link "
                f"within 30 minutes:\n\n{link_base}/password/reset/{raw}\n\n"
                "If it was not you, ignore this message; your password stays the same."
            ),
        )
    )


def valid_token(raw: str, now: datetime | None = None) -> PasswordResetToken | None:
    now = now or utcnow()
    if not raw or len(raw) > 200:
        return None
    token = db.session.scalar(select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(raw)))
    if token is None or token.used_at is not None or token.expires_at <= now:
        return None
    return token


def reset_password(raw: str, new_password: str, *, now: datetime | None = None) -> None:
    """Set the new password (already validated by the caller), burn the token, end every session."""
    now = now or utcnow()
    connections.release_reads()
    password_hash = hash_password(new_password)  # before the transaction (on SQLite: the write lock)
    token = valid_token(raw, now)
    if token is None:
        raise ResetLinkInvalid()
    user = token.user
    token.used_at = now
    user.password_hash = password_hash
    audit.record("auth.password_reset", actor=user, object_type="user", object_id=user.id)
    end_all_sessions(user, actor=user, now=now)  # commits the reset together with the sign-out

"""Two-factor sign-in with TOTP: enrolment with a QR code, ten recovery codes shown once, codes
that work once, and an audited reset by an admin."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import pyotp
import segno
from sqlalchemy import delete, select

from app.accounts.user import User
from app.audit import service as audit
from app.auth.mfa import MfaRecoveryCode, MfaSecret
from app.auth.service import end_all_sessions
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db

ISSUER = "Harbor Mind"
RECOVERY_CODES = 10
_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: codes are read off paper


class MfaEnrollmentRequired(DomainError):
    status = 403
    code = "mfa_enrollment_required"
    message = "Set up two-factor sign-in in the browser first, then request a token with your code."


class InvalidCode(DomainError):
    status = 401  # counts towards the login throttle like a wrong password
    code = "invalid_code"
    message = "That code is not valid. Codes change every 30 seconds and each works once."


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().upper().encode()).hexdigest()


def begin_enrollment(user: User) -> str:
    """A fresh, unconfirmed secret (replacing any earlier unconfirmed one); returns the base32 secret."""
    row = db.session.get(MfaSecret, user.id)
    if row is not None and row.confirmed_at is not None:
        raise DomainError("Two-factor sign-in is already set up.")
    secret = pyotp.random_base32()
    if row is None:
        db.session.add(MfaSecret(user_id=user.id, secret=secret, last_step=0))
    else:
        row.secret, row.last_step = secret, 0
    db.session.commit()
    return secret


def pending_secret(user: User) -> str | None:
    row = db.session.get(MfaSecret, user.id)
    return row.secret if row is not None and row.confirmed_at is None else None


def provisioning_qr(user: User, secret: str) -> str:
    """The otpauth:// URI as an SVG data URI (allowed by our CSP's img-src data:)."""
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return segno.make(uri, error="m").svg_data_uri(scale=5, border=2)


def _accept_totp(row: MfaSecret, code: str, now: datetime) -> bool:
    code = code.strip().replace(" ", "")
    if not (code.isascii() and code.isdigit() and len(code) == 6):  # "²" is a digit to isdigit()
        return False
    totp = pyotp.TOTP(row.secret)
    step_now = int(now.timestamp()) // totp.interval
    for step in (step_now - 1, step_now, step_now + 1):  # one step of clock drift either way
        if step > row.last_step and secrets.compare_digest(totp.generate_otp(step), code):
            row.last_step = step
            return True
    return False


def confirm_enrollment(user: User, code: str, now: datetime | None = None) -> list[str]:
    """Confirm the pending secret with a first code; returns the recovery codes (shown once)."""
    now = now or utcnow()
    row = db.session.get(MfaSecret, user.id)
    if row is None or row.confirmed_at is not None or not _accept_totp(row, code, now):
        audit.record_now("auth.mfa_enrol", actor=user, outcome="denied", object_type="user", object_id=user.id)
        raise InvalidCode()
    row.confirmed_at = now
    user.mfa_enabled = True
    codes = ["-".join((c[:4], c[4:8], c[8:])) for c in ("".join(secrets.choice(_ALPHABET) for _ in range(12))
                                                        for _ in range(RECOVERY_CODES))]  # fmt: skip
    db.session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    db.session.add_all(MfaRecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    audit.record("auth.mfa_enrol", actor=user, object_type="user", object_id=user.id)
    db.session.commit()
    return codes


def check_code(user: User, code: str, now: datetime | None = None) -> None:
    """Accept a TOTP code (once) or an unused recovery code; ``InvalidCode`` otherwise. Audited."""
    now = now or utcnow()
    row = db.session.scalar(select(MfaSecret).where(MfaSecret.user_id == user.id).with_for_update())
    ok = row is not None and row.confirmed_at is not None and _accept_totp(row, code or "", now)
    if not ok and row is not None and row.confirmed_at is not None and len(code or "") <= 20:
        recovery = db.session.scalar(
            select(MfaRecoveryCode).where(
                MfaRecoveryCode.user_id == user.id,
                MfaRecoveryCode.code_hash == _hash(code),
                MfaRecoveryCode.used_at.is_(None),
            )
        )
        if recovery is not None:
            recovery.used_at = now
            ok = True
    if not ok:
        audit.record_now("auth.mfa", actor=user, outcome="denied", object_type="user", object_id=user.id)
        raise InvalidCode()
    audit.record("auth.mfa", actor=user, object_type="user", object_id=user.id)
    db.session.commit()


def reset(target: User, *, actor: User, now: datetime | None = None) -> None:
    """An admin removes a user's second factor (they enrol again at next sign-in); every session ends."""
    db.session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == target.id))
    db.session.execute(delete(MfaSecret).where(MfaSecret.user_id == target.id))
    target.mfa_enabled = False
    audit.record("auth.mfa_reset", actor=actor, object_type="user", object_id=target.id)
    end_all_sessions(target, actor=actor, now=now)

"""Signing in and out: password checks, server-side sessions and API tokens.

Callers pass ``now``; nothing here reads ``flask.request``.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, bindparam, delete, or_, select, update

from app import connections
from app.accounts.service import find_by_email
from app.accounts.user import User
from app.audit import service as audit
from app.auth.api_token import ApiToken
from app.auth.login_session import LoginSession
from app.db import utcnow
from app.errors import Unauthorized
from app.extensions import db
from app.passwords import hash_password, needs_rehash, verify_password

# Writing last_seen_at on every request would turn each page view into a write; a minute of slack
# against a 15-minute idle limit is harmless.
TOUCH_INTERVAL = timedelta(seconds=60)


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    message = "E-mail or password is wrong."


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    absolute: timedelta


def authenticate(email: str, password: str) -> User:
    """The account for these credentials, or ``InvalidCredentials`` (the same for every kind of failure).

    Success and failure are both audited; a failure is committed on its own. argon2 runs between
    transactions (tens of milliseconds each time): on SQLite a transaction holds the write lock.
    """
    user = find_by_email(email) if isinstance(email, str) and len(email) <= 254 else None
    stored, enabled = (user.password_hash, user.is_enabled) if user else (None, False)
    connections.release_reads()
    ok = verify_password(stored, password)
    if not ok or user is None or not enabled:
        audit.record_now("auth.login", actor=user if ok else None, outcome="denied", subject=(email or "")[:254])
        raise InvalidCredentials()
    if stored and needs_rehash(stored):
        rehashed = hash_password(password)
        user.password_hash = rehashed
    return user


def start_session(user: User, *, ip: str | None, user_agent: str | None, now: datetime | None = None) -> str:
    now = now or utcnow()
    session = LoginSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        created_at=now,
        last_seen_at=now,
        ip=ip,
        user_agent=(user_agent or "")[:300],
    )
    db.session.add(session)
    audit.record("auth.login", actor=user, object_type="login_session")
    db.session.commit()
    user.login_session_id = session.id
    return session.id


def load_session(session_id: str, policy: SessionPolicy, now: datetime | None = None) -> User | None:
    """The user of a live session, or None when it ended, idled out, passed its absolute limit or the
    account was disabled. Expiry is enforced here, on the server, whatever the cookie says."""
    now = now or utcnow()
    row = db.session.get(LoginSession, session_id)
    if row is None or row.ended_at is not None:
        return None
    if now - row.last_seen_at > policy.idle or now - row.created_at > policy.absolute:
        row.ended_at = now
        db.session.commit()
        return None
    user = row.user
    if not user.is_enabled:
        return None
    if now - row.last_seen_at > TOUCH_INTERVAL:
        row.last_seen_at = now
        db.session.commit()
        user = row.user
    user.login_session_id = row.id
    user.mfa_pending = user.must_use_mfa and row.mfa_verified_at is None
    return user


def rotate_after_mfa(session_id: str, user: User, *, ip: str | None, user_agent: str | None,
                     now: datetime | None = None) -> str:  # fmt: skip
    """The second factor passed: end the pre-MFA session and start a verified one under a new id."""
    now = now or utcnow()
    db.session.execute(
        update(LoginSession).where(LoginSession.id == session_id, LoginSession.ended_at.is_(None)).values(ended_at=now)
    )
    fresh = LoginSession(id=secrets.token_urlsafe(32), user_id=user.id, created_at=now, last_seen_at=now,
                         mfa_verified_at=now, ip=ip, user_agent=(user_agent or "")[:300])  # fmt: skip
    db.session.add(fresh)
    db.session.commit()
    user.login_session_id, user.mfa_pending = fresh.id, False
    return fresh.id


def end_session(session_id: str | None, *, actor: User | None, now: datetime | None = None) -> None:
    if not session_id:
        return
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.id == session_id, LoginSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )
    audit.record("auth.logout", actor=actor, object_type="login_session")
    db.session.commit()


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue_token(user: User, ttl: timedelta, now: datetime | None = None) -> str:
    """A new bearer token; the raw value is returned once and only its hash is kept."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_digest(raw), created_at=now, expires_at=now + ttl))
    audit.record("auth.token", actor=user, object_type="api_token")
    db.session.commit()
    return raw


# Every API request runs this lookup: the user in the same query, and the statement built once
# (building it per call cost about a third of the lookup).
_TOKEN_USER = (
    select(User, ApiToken.expires_at, ApiToken.revoked_at)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(ApiToken.token_hash == bindparam("token_hash"))
)


def load_token(raw: str, now: datetime | None = None) -> User | None:
    now = now or utcnow()
    if not raw or len(raw) > 200:
        return None
    found = db.session.execute(_TOKEN_USER, {"token_hash": _digest(raw)}).first()
    if found is None:
        return None
    user, expires_at, revoked_at = found
    if revoked_at is not None or expires_at <= now:
        return None
    return user if user.is_enabled else None


def purge_expired(policy: SessionPolicy, now: datetime | None = None) -> int:
    """Delete sessions and tokens that can no longer be used (a periodic job)."""
    now = now or utcnow()
    keep_after = now - timedelta(days=30)
    sessions = delete(LoginSession).where(
        or_(
            LoginSession.ended_at < keep_after,
            LoginSession.created_at < now - policy.absolute - timedelta(days=30),
        )
    )
    removed = cast("CursorResult[Any]", db.session.execute(sessions)).rowcount
    tokens = delete(ApiToken).where(ApiToken.expires_at < keep_after)
    removed += cast("CursorResult[Any]", db.session.execute(tokens)).rowcount
    db.session.commit()
    return removed or 0


def end_all_sessions(user: User, *, actor: User | None, now: datetime | None = None) -> None:
    """Sign out everywhere: every browser session and every API token of the user stop working."""
    now = now or utcnow()
    end_sessions_in_transaction(user, actor=actor, now=now)
    db.session.commit()


def end_sessions_in_transaction(user: User, *, actor: User | None, now: datetime) -> None:
    """``end_all_sessions`` inside the caller's transaction (a use case above that commits once)."""
    db.session.execute(
        update(LoginSession)
        .where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )
    audit.record("auth.logout_everywhere", actor=actor, object_type="user", object_id=user.id)


def set_enabled(user: User, enabled: bool, *, actor: User) -> None:
    """Disable or re-enable an account. A disabled account's sessions and tokens stop working on the
    next request (the loaders check ``is_enabled``); they are also ended here so enabling it again
    does not revive them."""
    user.is_enabled = enabled
    audit.record("account.enable" if enabled else "account.disable", actor=actor, object_type="user", object_id=user.id)
    if enabled:
        db.session.commit()
    else:
        end_all_sessions(user, actor=actor)

"""Staff invitations: an admin invites a clinician, billing admin or admin; the link goes by e-mail,
works once, expires after the configured time (``INVITATION_TTL_HOURS``, 72 by default) and can be
revoked. Accepting it makes the account with the password the invitee chose; two-factor enrolment
follows at their first sign-in (auth's pages). Each function is one use case with its own transaction;
callers pass ``now`` and the time to live."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app import connections
from app.accounts.invitation import Invitation, InvitationStatus
from app.accounts.schemas import InvitationCreate
from app.accounts.service import EmailTaken, clinician_profile, find_by_email
from app.accounts.user import User
from app.audit import service as audit
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.mail.backends import Mail, send
from app.passwords import hash_password
from app.reference.roles import Role

TOKEN_MAX = 200


class InvitationUnusable(DomainError):
    """The link was used, revoked or has expired: each says so in plain words (never a 500)."""

    status = 410
    code = "invitation_unusable"
    MESSAGES = {
        InvitationStatus.USED: "This invitation was already used. Sign in with the e-mail address and the "
        "password you chose; if you forgot it, use \u201cForgot your password?\u201d.",
        InvitationStatus.REVOKED: "This invitation was withdrawn. Ask your administrator for a new one.",
        InvitationStatus.EXPIRED: "This invitation has expired. Ask your administrator to send a new one.",
    }

    def __init__(self, status: InvitationStatus) -> None:
        self.reason = status
        super().__init__(self.MESSAGES[status])


class InvitationNotFound(NotFound):
    message = "This invitation link is not valid. Check that the whole link was copied, or ask for a new one."


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def invite(data: InvitationCreate, *, actor: User, ttl: timedelta, link_base: str,
           now: datetime | None = None) -> Invitation:  # fmt: skip
    """Invite someone who has no account yet (409 ``email_taken`` otherwise). A new invitation to the
    same address replaces a pending one (its link stops working). The link is mailed after the commit."""
    now = now or utcnow()
    if find_by_email(data.email) is not None:
        raise EmailTaken()
    email = data.email.lower()
    db.session.execute(
        update(Invitation)
        .where(Invitation.email == email, Invitation.used_at.is_(None), Invitation.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    raw = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email, name=data.name, role=data.role,
        clinician=data.clinician.model_dump(mode="json") if data.clinician else None,
        token_hash=_digest(raw), invited_by=actor.id, created_at=now, expires_at=now + ttl,
    )  # fmt: skip
    db.session.add(invitation)
    db.session.flush()
    audit.record("invitation.create", actor=actor, object_type="invitation", object_id=invitation.id)
    db.session.commit()
    _mail_link(invitation, raw, link_base, ttl)
    return invitation


def _mail_link(invitation: Invitation, raw: str, link_base: str, ttl: timedelta) -> None:
    hours = int(ttl.total_seconds() // 3600)
    send(
        Mail(
            to=invitation.email,
            subject="Your Harbor Mind staff account",
            body=(
                f"Hello {invitation.name},\n\nYou are invited to join Harbor Mind. Open this link within {hours} "
                f"hours to choose your password and set up two-factor sign-in:\n\n{link_base}/invitations/{raw}\n\n"
                "The link works once. If you did not expect this message, ignore it."
            ),
        )
    )


def find(raw: str, now: datetime | None = None, *, for_update: bool = False) -> Invitation:
    """The invitation of a link if it can still be used; ``InvitationNotFound`` for a link that was never
    ours, ``InvitationUnusable`` (saying why) for one used, revoked or expired."""
    now = now or utcnow()
    if not raw or len(raw) > TOKEN_MAX:
        raise InvitationNotFound()
    query = select(Invitation).where(Invitation.token_hash == _digest(raw))
    if for_update:  # two tabs accepting at once: the second waits, then sees the first's used_at
        query = query.with_for_update().execution_options(populate_existing=True)
    invitation: Invitation | None = db.session.scalar(query)
    if invitation is None:
        raise InvitationNotFound()
    status = invitation.status(now)
    if status != InvitationStatus.PENDING:
        raise InvitationUnusable(status)
    return invitation


def accept(raw: str, password: str, now: datetime | None = None) -> User:
    """Make the invitee's account with the password they chose (already validated by the caller) and
    burn the link, in one transaction. The address may have been taken since the invitation was sent
    (409 ``email_taken``)."""
    now = now or utcnow()
    connections.release_reads()
    password_hash = hash_password(password)  # before the transaction (on SQLite: the write lock)
    invitation = find(raw, now, for_update=True)
    if find_by_email(invitation.email) is not None:
        raise EmailTaken()
    profile = invitation.clinician or {}
    user = User(email=invitation.email, password_hash=password_hash, name=invitation.name, role=invitation.role,
                timezone=profile.get("timezone", "America/New_York"))  # fmt: skip
    if invitation.role == Role.CLINICIAN:
        user.clinician = clinician_profile(
            profile["credential"], profile["licensed_states"], profile.get("modalities", []),
            profile.get("languages", ["English"]), profile.get("bio", ""),
        )  # fmt: skip
    db.session.add(user)
    db.session.flush()
    invitation.used_at, invitation.user_id = now, user.id
    audit.record("invitation.accept", actor=user, object_type="invitation", object_id=invitation.id)
    audit.record("account.create", actor=user, object_type="user", object_id=user.id)
    try:
        db.session.commit()
    except IntegrityError as exc:  # the address taken by a concurrent sign-up after the check above
        db.session.rollback()
        raise EmailTaken() from exc
    return user


def revoke(invitation_id: int, *, actor: User, now: datetime | None = None) -> Invitation:
    """Withdraw a pending invitation (its link stops working at once); anything else is 410 saying why."""
    now = now or utcnow()
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None:
        raise NotFound("No such invitation.")
    status = invitation.status(now)
    if status != InvitationStatus.PENDING:
        raise InvitationUnusable(status)
    invitation.revoked_at = now
    audit.record("invitation.revoke", actor=actor, object_type="invitation", object_id=invitation.id)
    db.session.commit()
    return invitation


@dataclass(frozen=True)
class InvitationRow:
    invitation: Invitation
    status: InvitationStatus
    invited_by: str | None


def listing(now: datetime | None = None, limit: int = 200) -> Sequence[InvitationRow]:
    """The latest invitations with their status now and who sent each, newest first."""
    now = now or utcnow()
    inviter = User.__table__.alias("inviter")
    rows = db.session.execute(
        select(Invitation, inviter.c.name)
        .outerjoin(inviter, inviter.c.id == Invitation.invited_by)
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
        .limit(limit)
    )
    return [InvitationRow(i, i.status(now), name) for i, name in rows]

"""The sender: claims due texts, re-checks them, sends, records the outcome.

Claiming is one short transaction: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several scheduler
processes take disjoint batches; on SQLite BEGIN IMMEDIATE serialises the claim. A claimed row is
``sending`` with a lease; if its sender dies, the row is claimable again when the lease expires, and
the sender that takes it over first asks the provider whether the text was accepted already (the
dead sender may have been killed between the provider's answer and its own commit). A sender
whose lease ran out mid-batch skips the rows another sender has claimed since. Transient failures
retry with exponential backoff and jitter, up to five times.

Before a claimed text goes out it is re-checked: may its patient still be texted, and does what it
is about still hold. The sender knows no domain: the composition root gives it the way to look up
a recipient (``install``) and the domains' checks per message kind (``register_check``, e.g.
booking's "is this visit still booked").
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select, text, update

from app import connections
from app.db import utcnow
from app.extensions import db
from app.sms import backends
from app.sms.outbox import Recipient, blocked_reason
from app.sms.outbox_message import OutboxMessage, OutboxStatus, SmsNumber

log = logging.getLogger("app.sms")
MAX_ATTEMPTS = 6  # the first try plus up to five retries

# Why a claimed text must not go out after all (None: it may); registered per kind by the domains.
RelevanceCheck = Callable[[OutboxMessage], str | None]
_checks: list[tuple[Callable[[str], bool], RelevanceCheck]] = []
_find_recipient: Callable[[int], Recipient | None] | None = None


def install(find_recipient: Callable[[int], Recipient | None]) -> None:
    """How the sender finds a text's recipient by its ``patient_id`` (the composition root's choice)."""
    global _find_recipient
    _find_recipient = find_recipient


def register_check(applies_to: Callable[[str], bool], check: RelevanceCheck) -> None:
    """Re-check claimed texts whose kind ``applies_to`` accepts with ``check`` just before sending.
    Registering the same pair again changes nothing."""
    if (applies_to, check) not in _checks:
        _checks.append((applies_to, check))


def backoff(attempt: int, base_seconds: float = 30) -> timedelta:
    """30 s, 60 s, 120 s, 240 s ... with ±25 % jitter so retries from a burst spread out."""
    return timedelta(seconds=base_seconds * 2 ** (attempt - 1) * random.uniform(0.75, 1.25))


CLAIM_SQL = """
WITH due AS (
    SELECT id, status AS was, updated_at AS claimed_at FROM outbox_messages
     WHERE (status = 'queued' AND due_at <= :now) OR (status = 'sending' AND lease_expires_at < :now)
     ORDER BY due_at FOR UPDATE SKIP LOCKED LIMIT :n)
UPDATE outbox_messages m
   SET status = 'sending', lease_expires_at = :lease, attempts = m.attempts + 1, updated_at = :now
  FROM due
 WHERE m.id = due.id
RETURNING m.id, due.was, due.claimed_at
"""


@dataclass(frozen=True)
class Claimed:
    id: int
    # Set when the row was taken over from a sender whose lease ran out (it died or stalled while
    # sending): when that sender had claimed it. The text may have reached the provider already.
    abandoned_since: datetime | None


def claim_rows(now: datetime, batch: int, lease: timedelta) -> list[Claimed]:
    due = or_(
        and_(OutboxMessage.status == OutboxStatus.QUEUED, OutboxMessage.due_at <= now),
        and_(OutboxMessage.status == OutboxStatus.SENDING, OutboxMessage.lease_expires_at < now),
    )
    if db.engine.dialect.name == "postgresql":
        rows = db.session.execute(text(CLAIM_SQL), {"lease": now + lease, "now": now, "n": batch}).all()
    else:  # SQLite: the transaction holds the write lock from its BEGIN IMMEDIATE (app.sqlite)
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.updated_at)
            .where(due)
            .order_by(OutboxMessage.due_at)
            .limit(batch)
        ).all()
        if rows:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_([r[0] for r in rows]))
                .values(
                    status=OutboxStatus.SENDING,
                    lease_expires_at=now + lease,
                    attempts=OutboxMessage.attempts + 1,
                    updated_at=now,
                )
            )
    db.session.commit()
    return [
        Claimed(row_id, _aware(claimed_at) if was == OutboxStatus.SENDING else None) for row_id, was, claimed_at in rows
    ]


def _aware(value: datetime | str) -> datetime:
    # Raw SQL bypasses the column type: SQLite hands back naive UTC text.
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _still_relevant(message: OutboxMessage) -> str | None:
    """Why a claimed text must not go out after all (re-checked just before sending)."""
    if message.patient_id is not None:
        if _find_recipient is None:
            raise RuntimeError("the sender has no recipient lookup: create_app installs it")
        patient = _find_recipient(message.patient_id)
        if patient is None:
            return "patient account removed"
        if reason := blocked_reason(patient):
            return reason
    for applies_to, check in _checks:
        if applies_to(message.kind) and (reason := check(message)):
            return reason
    return None


def _mark_number(number: str, code: str | None, now: datetime) -> None:
    row = db.session.get(SmsNumber, number) or SmsNumber(number=number)
    if code == "21610":
        row.opted_out, row.opted_out_at = True, now
    else:
        row.permanent_failure_code = code
    db.session.add(row)


def _found_at_provider(
    sms: backends.SmsBackend, message: OutboxMessage, since: datetime, until: datetime
) -> backends.Sent | None:
    """A taken-over text that the provider already accepted (its sender died between the provider's
    answer and its own commit): sending it again would be a duplicate. Its identity is the exact
    number and body, sent between the first sender's claim and this take-over, under a SID no other
    outbox row holds."""
    to_number, body = message.to_number, message.body
    connections.release_reads()  # the provider is asked with no transaction (on SQLite: no lock) held
    try:
        found = sms.find_sent(to_number, body, since, until)
    except backends.Transient as exc:
        # Cannot tell: sending again risks one duplicate, never a loss.
        log.warning("outbox %s: could not ask the provider whether it was sent (%s)", message.id, exc.reason)
        return None
    if found is None:
        return None
    recorded = db.session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.provider_sid == found.sid, OutboxMessage.id != message.id)
    )
    return None if recorded else found


def send_one(
    message_id: int,
    sms: backends.SmsBackend,
    now: datetime,
    backoff_seconds: float = 30,
    *,
    lease_until: datetime | None = None,
    abandoned_since: datetime | None = None,
) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != OutboxStatus.SENDING:
        return "skipped"
    if lease_until is not None and message.lease_expires_at != lease_until:
        db.session.rollback()
        return "skipped"  # this sender's lease ran out and another sender has claimed the row since
    found = _found_at_provider(sms, message, abandoned_since, now) if abandoned_since is not None else None
    if found is not None:
        message.status, message.provider_sid, message.sent_at = OutboxStatus.SENT, found.sid, now
        message.status_reason = "accepted by the provider before its first sender stopped"
    elif reason := _still_relevant(message):
        message.status, message.status_reason = OutboxStatus.SUPPRESSED, reason
    else:
        # The row is ours while the lease lasts: no transaction (on SQLite: no write lock) is held while
        # the provider answers; the outcome is written in a short transaction of its own.
        to_number, body, reference = message.to_number, message.body, str(message.id)
        connections.release_reads()
        try:
            sent = sms.send(to_number, body, reference=reference)
            message.status, message.provider_sid, message.sent_at = OutboxStatus.SENT, sent.sid, now
            message.status_reason = None
        except backends.Permanent as exc:
            message.status, message.status_reason, message.error_code = OutboxStatus.FAILED, exc.reason, exc.code
            _mark_number(message.to_number, exc.code, now)
        except backends.Transient as exc:
            message.error_code, message.status_reason = exc.code, exc.reason
            if message.attempts >= MAX_ATTEMPTS:
                message.status = OutboxStatus.FAILED
            else:
                message.status, message.due_at = OutboxStatus.QUEUED, now + backoff(message.attempts, backoff_seconds)
    message.lease_expires_at = None
    db.session.commit()
    return message.status


def dispatch_due(
    now: datetime | None = None,
    batch: int = 50,
    lease_seconds: int = 120,
    sms: backends.SmsBackend | None = None,
    backoff_seconds: float = 30,
) -> dict[str, int]:
    """One round: claim up to ``batch`` due texts and send them. Returns counts by outcome."""
    now = now or utcnow()
    sms = sms or backends.backend()
    lease = timedelta(seconds=lease_seconds)
    counts: dict[str, int] = {}
    for row in claim_rows(now, batch, lease):
        try:
            outcome = send_one(row.id, sms, now, backoff_seconds, lease_until=now + lease,
                               abandoned_since=row.abandoned_since)  # fmt: skip
        except Exception:
            # One row's trouble (a database error on commit, a provider answer the SDK cannot read)
            # must not stop the texts behind it. The row stays "sending" under its lease: when the
            # lease runs out it is taken over, and the provider is asked first whether it went out.
            log.exception("outbox %s: sending failed; left for retry after its lease", row.id)
            db.session.rollback()
            outcome = "error"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts

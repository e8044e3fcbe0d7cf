"""The sender: claims due texts, re-checks them, sends, records the outcome.

Claiming is one short transaction: on PostgreSQL ``FOR UPDATE SKIP LOCKED`` lets several scheduler
processes take disjoint batches; on SQLite BEGIN IMMEDIATE serialises the claim. A claimed row is
``sending`` with a lease; if its sender dies, the row is claimable again when the lease expires.
Transient failures retry with exponential backoff and jitter, up to five times.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, update

from app.booking.appointment import Appointment
from app.db import utcnow
from app.extensions import db
from app.notifications import backends
from app.notifications.outbox import blocked_reason
from app.notifications.outbox_message import OutboxMessage, SmsNumber

MAX_ATTEMPTS = 6  # the first try plus up to five retries
APPOINTMENT_KINDS = {"booking_confirmation", "reschedule_notice", "checkin_link"}  # and every reminder_*


def backoff(attempt: int, base_seconds: float = 30) -> timedelta:
    """30 s, 60 s, 120 s, 240 s ... with ±25 % jitter so retries from a burst spread out."""
    return timedelta(seconds=base_seconds * 2 ** (attempt - 1) * random.uniform(0.75, 1.25))


CLAIM_SQL = """
UPDATE outbox_messages
   SET status = 'sending', lease_expires_at = :lease, attempts = attempts + 1, updated_at = :now
 WHERE id IN (SELECT id FROM outbox_messages
               WHERE (status = 'queued' AND due_at <= :now) OR (status = 'sending' AND lease_expires_at < :now)
               ORDER BY due_at FOR UPDATE SKIP LOCKED LIMIT :n)
RETURNING id
"""


def claim(now: datetime, batch: int, lease: timedelta) -> list[int]:
    due = or_(
        and_(OutboxMessage.status == "queued", OutboxMessage.due_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_expires_at < now),
    )
    if db.engine.dialect.name == "postgresql":
        ids = db.session.execute(text(CLAIM_SQL), {"lease": now + lease, "now": now, "n": batch}).scalars().all()
    else:
        db.session.rollback()
        db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
        ids = db.session.scalars(select(OutboxMessage.id).where(due).order_by(OutboxMessage.due_at).limit(batch)).all()
        if ids:
            db.session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(
                    status="sending", lease_expires_at=now + lease, attempts=OutboxMessage.attempts + 1, updated_at=now
                )
            )
    db.session.commit()
    return list(ids)


def _still_relevant(message: OutboxMessage) -> str | None:
    """Why a claimed text must not go out after all (re-checked just before sending)."""
    if message.patient_id is not None:
        from app.accounts.user import User

        patient = db.session.get(User, message.patient_id)
        if patient is None:
            return "patient account removed"
        if reason := blocked_reason(patient):
            return reason
    about_visit = message.kind in APPOINTMENT_KINDS or message.kind.startswith("reminder_")
    if about_visit and message.appointment_id is not None:
        appointment = db.session.get(Appointment, message.appointment_id)
        if appointment is None or appointment.status != "booked":
            return "appointment no longer booked"
    return None


def _mark_number(number: str, code: str | None, now: datetime) -> None:
    row = db.session.get(SmsNumber, number) or SmsNumber(number=number)
    if code == "21610":
        row.opted_out, row.opted_out_at = True, now
    else:
        row.permanent_failure_code = code
    db.session.add(row)


def send_one(message_id: int, sms: backends.SmsBackend, now: datetime, backoff_seconds: float = 30) -> str:
    message = db.session.get(OutboxMessage, message_id)
    if message is None or message.status != "sending":
        return "skipped"
    if reason := _still_relevant(message):
        message.status, message.status_reason = "suppressed", reason
    else:
        try:
            sent = sms.send(message.to_number, message.body, reference=str(message.id))
            message.status, message.provider_sid, message.sent_at = "sent", sent.sid, now
            message.status_reason = None
        except backends.Permanent as exc:
            message.status, message.status_reason, message.error_code = "failed", exc.reason, exc.code
            _mark_number(message.to_number, exc.code, now)
        except backends.Transient as exc:
            message.error_code, message.status_reason = exc.code, exc.reason
            if message.attempts >= MAX_ATTEMPTS:
                message.status = "failed"
            else:
                message.status, message.due_at = "queued", now + backoff(message.attempts, backoff_seconds)
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
    counts: dict[str, int] = {}
    for message_id in claim(now, batch, timedelta(seconds=lease_seconds)):
        outcome = send_one(message_id, sms, now, backoff_seconds)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts

"""Putting texts in the outbox. ``enqueue`` adds to the caller's transaction (it never commits), so
a text exists exactly when the event that caused it was committed.

Infrastructure below every domain: a text's recipient is anything shaped like a ``Recipient`` (the
patient's account is), and the outbox row carries all the sender needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import String, cast, update

from app.db import insert_skipping_existing
from app.extensions import db
from app.sms.outbox_message import OutboxMessage, OutboxStatus, SmsNumber

QUIET_START, QUIET_END = time(21, 0), time(8, 0)


def exempt_from_quiet_hours(kind: str) -> bool:
    """The last reminder (2 hours or less before the visit) may wake no one up but must not be late."""
    if not (kind.startswith("reminder_") and kind.endswith("h")):
        return False
    hours = kind.removeprefix("reminder_").removesuffix("h")
    return hours.isascii() and hours.isdigit() and int(hours) <= 2


def after_quiet_hours(due: datetime, tz: str) -> datetime:
    """No text between 21:00 and 08:00 in the patient's zone: move it to 08:00."""
    zone = ZoneInfo(tz)
    local = due.astimezone(zone)
    if local.time() >= QUIET_START:
        morning = datetime.combine(local.date() + timedelta(days=1), QUIET_END, tzinfo=zone)
    elif local.time() < QUIET_END:
        morning = datetime.combine(local.date(), QUIET_END, tzinfo=zone)
    else:
        return due
    return morning.astimezone(due.tzinfo)


class SmsProfile(Protocol):
    """What the outbox reads of a patient's text settings."""

    @property
    def phone(self) -> str | None: ...

    @property
    def sms_opt_in(self) -> bool: ...


class Recipient(Protocol):
    """Whom a text is for: the patient's account, as far as the outbox reads it."""

    @property
    def id(self) -> int: ...

    @property
    def timezone(self) -> str: ...

    @property
    def patient(self) -> SmsProfile | None: ...


def blocked_reason(patient: Recipient) -> str | None:
    """Why this patient may not be texted, or None when they may."""
    profile = patient.patient
    if profile is None or not profile.phone:
        return "no mobile number"
    if not profile.sms_opt_in:
        return "patient has not opted in to texts"
    number = db.session.get(SmsNumber, profile.phone)
    if number is not None and number.opted_out:
        return "number replied STOP"
    if number is not None and number.permanent_failure_code:
        return f"number refused by carrier ({number.permanent_failure_code})"
    return None


@dataclass(frozen=True)
class Text:
    """One text for ``enqueue_all``; the fields mean what ``enqueue``'s arguments of the same name do."""

    kind: str
    body: str
    due_at: datetime
    dedupe_key: str
    appointment_id: int | None = None
    not_after: datetime | None = None


def _send_at(patient: Recipient, kind: str, due_at: datetime, not_after: datetime | None) -> datetime | None:
    """When the text goes out: quiet hours move it to 08:00 unless it is exempt; None (drop it) when
    that would be at or after ``not_after``."""
    if not exempt_from_quiet_hours(kind):
        due_at = after_quiet_hours(due_at, patient.timezone)
    if not_after is not None and due_at >= not_after:
        return None
    return due_at


def _row(patient: Recipient, text: Text, send_at: datetime, reason: str | None) -> dict[str, Any]:
    """The outbox row's values; ``reason`` (from ``blocked_reason``) makes it a ``suppressed`` row."""
    return {
        "patient_id": patient.id,
        "appointment_id": text.appointment_id,
        "to_number": (patient.patient.phone or "") if patient.patient else "",
        "body": text.body,
        "kind": text.kind,
        "dedupe_key": text.dedupe_key,
        "due_at": send_at,
        "status": OutboxStatus.SUPPRESSED if reason else OutboxStatus.QUEUED,
        "status_reason": reason,
        "attempts": 0,
    }


def enqueue(
    patient: Recipient,
    *,
    kind: str,
    body: str,
    due_at: datetime,
    dedupe_key: str,
    appointment_id: int | None = None,
    not_after: datetime | None = None,
) -> bool:
    """Add a text (once per ``dedupe_key``). Quiet hours move it to 08:00 unless it is exempt; a text
    that would then land after ``not_after`` is dropped (False). A patient who may not be texted gets
    a ``suppressed`` row saying why, so staff can see it."""
    return enqueue_all(patient, [Text(kind, body, due_at, dedupe_key, appointment_id, not_after)]) == 1


def enqueue_all(patient: Recipient, texts: Sequence[Text]) -> int:
    """``enqueue`` for several texts to one patient, by its rules, in one INSERT: the patient's
    consent and number are looked up once, and a key already in the outbox (or committed first by a
    concurrent transaction) is skipped by the database rather than looked up beforehand. Returns how
    many of the texts are in the outbox now (the rest were dropped by ``not_after``)."""
    timed = [(text, _send_at(patient, text.kind, text.due_at, text.not_after)) for text in texts]
    kept = [(text, send_at) for text, send_at in timed if send_at is not None]
    if not kept:
        return 0
    reason = blocked_reason(patient)
    rows = [_row(patient, text, send_at, reason) for text, send_at in kept]
    insert = insert_skipping_existing(OutboxMessage, db.engine.dialect.name, "dedupe_key")
    db.session.flush()  # a Core statement does not autoflush, and a pending appointment must exist first
    db.session.execute(insert, rows)
    return len(kept)


def suppress_pending(*, appointment_id: int, reason: str, kinds: tuple[str, ...] | None = None) -> int:
    """Queued texts about an appointment that no longer apply (cancelled, moved) will not be sent.

    A withdrawn text gives up its dedupe key (the row keeps its history under a voided key), so the
    same text can be queued again should it apply again: a visit moved back to its first time
    needs that time's reminders back.
    """
    query = update(OutboxMessage).where(
        OutboxMessage.appointment_id == appointment_id, OutboxMessage.status == OutboxStatus.QUEUED
    )
    if kinds:
        query = query.where(OutboxMessage.kind.in_(kinds))
    voided = OutboxMessage.dedupe_key + ":void:" + cast(OutboxMessage.id, String)
    changes = query.values(status=OutboxStatus.SUPPRESSED, status_reason=reason, dedupe_key=voided)
    return db.session.execute(changes).rowcount or 0

"""The text that announces a new message: "You have a new message in Harbor Mind." and nothing else
(no sender, no specialty, no content: a lock screen is not private). Through the outbox (``app.sms``):
quiet hours move it to 08:00 in the patient's zone, a patient who has not opted in (or replied STOP)
gets a ``suppressed`` row that staff can see, and nothing is sent. One waiting text is enough: while
one is queued, later messages add none. Staff have no texting, so only patients are announced to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.accounts.user import User
from app.extensions import db
from app.messaging.message import Message, MessageRead
from app.sms import messages, sender
from app.sms.outbox import enqueue
from app.sms.outbox_message import OutboxMessage, OutboxStatus

KIND = "message_nudge"


def _key(message: Message) -> str:
    return f"message:{message.id}:nudge"


def announce(patient: User, message: Message, now: datetime) -> None:
    """Queue the announcement for ``patient`` in the caller's transaction, unless one still waits.

    Replies to one patient take turns here: the patient's row is locked (FOR NO KEY UPDATE, which the
    message's own foreign-key lock does not block, so two replies cannot deadlock) until the caller
    commits, and the next reply's look for a waiting text sees the text the first one queued. Without
    it PostgreSQL let simultaneous replies each find none and queue one apiece. SQLite's writers take
    turns already (BEGIN IMMEDIATE) and ignore the clause."""
    db.session.execute(select(User.id).where(User.id == patient.id).with_for_update(key_share=True))
    waiting = db.session.scalar(
        select(OutboxMessage.id)
        .where(
            OutboxMessage.patient_id == patient.id,
            OutboxMessage.kind == KIND,
            OutboxMessage.status == OutboxStatus.QUEUED,
        )
        .limit(1)
    )
    if waiting is None:
        enqueue(patient, kind=KIND, body=messages.NEW_MESSAGE, due_at=now, dedupe_key=_key(message))


def about_a_message(kind: str) -> bool:
    return kind == KIND


def still_unread(text: OutboxMessage) -> str | None:
    """The sender's re-check just before it goes out (after quiet hours, say): the patient has read the
    thread since, so the text has nothing left to say."""
    message_id = text.dedupe_key.split(":")[1] if text.dedupe_key.startswith("message:") else ""
    if not message_id.isdigit() or text.patient_id is None:
        return None
    read = db.session.scalar(
        select(MessageRead.message_id).where(
            MessageRead.message_id == int(message_id), MessageRead.reader_id == text.patient_id
        )
    )
    return "message already read" if read is not None else None


def connect() -> None:
    """Called by the composition root: the sender re-checks a message's text with this rule."""
    sender.register_check(about_a_message, still_unread)

"""Messaging as the care team reads it (``care_team.messages_port``): the caseload's unread counts and
the thread for the FHIR export."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.care_team import messages_port
from app.extensions import db
from app.messaging.message import Message, MessageRead
from app.messaging.service import unread_counts


def entries(patient_id: int) -> list[messages_port.MessageEntry]:
    """The thread, oldest first, with its read receipts: two queries."""
    rows = list(
        db.session.scalars(
            select(Message).where(Message.patient_id == patient_id).order_by(Message.created_at, Message.id)
        )
    )
    reads: dict[int, list[tuple[int, datetime]]] = {}
    if rows:
        for message_id, reader_id, read_at in db.session.execute(
            select(MessageRead.message_id, MessageRead.reader_id, MessageRead.read_at)
            .where(MessageRead.message_id.in_([m.id for m in rows]))
            .order_by(MessageRead.read_at, MessageRead.reader_id)
        ):
            reads.setdefault(message_id, []).append((reader_id, read_at))
    return [
        messages_port.MessageEntry(
            id=m.id,
            sender_id=m.sender_id,
            body=m.body,
            sent_at=m.created_at,
            crisis=m.crisis,
            read_by=tuple(reads.get(m.id, [])),
        )
        for m in rows
    ]


def connect() -> None:
    messages_port.provide(unread_counts, entries)

"""The notes domain's answer to booking's question (``app.booking.events.notes_asked``): which of these
visits have a visit note, and in what state, so the schedule and the appointment page say "Start note" or
"Open note". Only the status is told, never a note's text. ``connect`` is called by the composition root."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.booking import events
from app.extensions import db
from app.notes.note import VisitNote


def note_statuses(appointment_ids: tuple[int, ...], **_: Any) -> dict[int, str]:
    rows = db.session.execute(
        select(VisitNote.appointment_id, VisitNote.status).where(VisitNote.appointment_id.in_(appointment_ids))
    )
    return {appointment_id: status for appointment_id, status in rows}


def connect() -> None:
    events.notes_asked.connect(note_statuses)

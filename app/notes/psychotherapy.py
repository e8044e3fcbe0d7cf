"""Psychotherapy notes: written and read by the appointment's clinician alone. Everyone else gets 404,
the patient, teammates, admins and break-the-glass included: no other path reads this table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.user import User
from app.audit import service as audit
from app.booking.appointment import Appointment
from app.care_team import access as care_access
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.extensions import db
from app.notes.psychotherapy_note import PsychotherapyNote
from app.reference.roles import Role


def authored_visit(user: User, appointment_id: int) -> Appointment:
    """The appointment when ``user`` is its clinician, still on the patient's team; 404 for anyone else."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or user.role != Role.CLINICIAN.value or user.id != appointment.clinician_id:
        raise NotFound()
    if not care_access.on_team(user.id, appointment.patient_id):  # removed from the team: access ends at once
        raise NotFound()
    return appointment


def _note(appointment_id: int) -> PsychotherapyNote | None:
    return db.session.scalar(select(PsychotherapyNote).where(PsychotherapyNote.appointment_id == appointment_id))


def read(user: User, appointment_id: int) -> tuple[Appointment, PsychotherapyNote | None]:
    """The author's psychotherapy note of the visit (None before the first save); the read is audited."""
    appointment = authored_visit(user, appointment_id)
    note = _note(appointment_id)
    if note is not None and note.author_id != user.id:
        raise NotFound()
    if note is not None:
        audit.record(
            "psychotherapy_note.read", actor=user, patient_id=appointment.patient_id,
            object_type="psychotherapy_note", object_id=note.id,
        )  # fmt: skip
        audit.commit_keeping_loaded()
    return appointment, note


def write(user: User, appointment_id: int, text: str, now: datetime | None = None) -> PsychotherapyNote:
    """Create or replace the author's psychotherapy note of the visit."""
    now = now or utcnow()
    appointment = authored_visit(user, appointment_id)
    note = _note(appointment_id)
    if note is not None and note.author_id != user.id:
        raise NotFound()
    if note is None:
        note = PsychotherapyNote(
            appointment_id=appointment_id, patient_id=appointment.patient_id, author_id=user.id,
            text=text, created_at=now, updated_at=now,
        )  # fmt: skip
        db.session.add(note)
    else:
        note.text, note.updated_at = text, now
    try:
        db.session.flush()
    except IntegrityError as exc:  # two first saves of the same visit raced
        db.session.rollback()
        raise Conflict("The note was saved from elsewhere a moment ago. Reload and try again.") from exc
    audit.record(
        "psychotherapy_note.write", actor=user, patient_id=appointment.patient_id,
        object_type="psychotherapy_note", object_id=note.id,
    )  # fmt: skip
    db.session.commit()
    return note

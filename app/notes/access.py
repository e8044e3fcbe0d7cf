"""Who may see and write visit notes, written once for the service and the pages.

- A visit's note is written by the appointment's clinician (the patient: 403; anyone else: 404).
- A signed note is read by the patient (unless withheld under the harm exception) and by the care
  team (and a clinician holding a live break-the-glass grant, as for the rest of the chart); a draft
  only by its author. Anyone else is told the note does not exist (404): other patients, other
  clinicians, billing admins and admins.
- Psychotherapy notes: their author only; everyone else, the patient included, gets 404.
"""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.user import User
from app.booking.appointment import Appointment
from app.care_team import access as care_access
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.notes.note import NoteStatus, VisitNote


class NotTheVisitsClinician(Forbidden):
    code = "not_visit_clinician"
    message = "Only the visit's clinician writes its note."


class NotTheAuthor(Forbidden):
    code = "not_author"
    message = "Only the note's author does this."


class NotTheSigner(Forbidden):
    code = "not_signer"
    message = "Only the clinician who signed the note may withhold it."


def appointment_on_record(user: User, appointment_id: int) -> Appointment:
    """The appointment when ``user`` may see its patient's record (the patient, the team); 404 otherwise."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound()
    care_access.patient_or_team(user, appointment.patient_id)
    return appointment


def its_clinician(user: User, appointment_id: int) -> Appointment:
    """The appointment when ``user`` is its clinician (and still on the patient's record); the patient
    gets 403 (they know the visit), anyone else 404."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound()
    if user.id == appointment.clinician_id:
        care_access.patient_or_team(user, appointment.patient_id)  # removed from the team: access ends at once
        return appointment
    if user.id == appointment.patient_id:
        raise NotTheVisitsClinician()
    raise NotFound()


def may_read(user: User, note: VisitNote) -> bool:
    """Whether ``user`` (already known to be the patient or on the record) may read ``note``."""
    if note.status != NoteStatus.SIGNED:
        return user.id == note.author_id
    if user.id == note.patient_id:
        return note.withheld_at is None
    return True


def readable(user: User, note: VisitNote | None) -> VisitNote:
    if note is None:
        raise NotFound()
    care_access.patient_or_team(user, note.patient_id)
    if not may_read(user, note):
        raise NotFound()
    return note


def readable_note(user: User, note_id: int, *, lock: bool = False) -> VisitNote:
    """The note when ``user`` may read it; 404 otherwise. ``lock``: the row is locked for this transaction
    (concurrent signatures and edits take turns, then see each other's result)."""
    query = select(VisitNote).where(VisitNote.id == note_id)
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return readable(user, db.session.scalar(query))


def visible_notes(user: User, patient_id: int) -> list[VisitNote]:
    """The patient's notes ``user`` may read, newest first (``patient_or_team`` checked by the caller)."""
    rows = db.session.scalars(
        select(VisitNote)
        .where(VisitNote.patient_id == patient_id)
        .order_by(VisitNote.created_at.desc(), VisitNote.id.desc())
    )
    return [n for n in rows if may_read(user, n)]

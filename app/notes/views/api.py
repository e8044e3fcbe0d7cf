"""Visit notes and psychotherapy notes in the JSON API (contract section "Visit notes, problems, tasks,
messages, invitations"). The gate is any signed-in user; the services answer 404 to everyone who may
not know a note exists."""

from __future__ import annotations

from flask_login import current_user

from app import access
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.notes import psychotherapy, service
from app.notes.addendum import NoteAddendum
from app.notes.note import VisitNote
from app.notes.psychotherapy_note import PsychotherapyNote
from app.notes.schemas import (
    AddendumIn,
    AddendumOut,
    NoteIn,
    NotePatch,
    PsychotherapyNoteIn,
    PsychotherapyNoteOut,
    VisitNoteOut,
    WithholdIn,
)

TAGS = ["visit notes"]
NOTE = "/visit-notes/<int:note_id>"


def _addendum(a: NoteAddendum) -> AddendumOut:
    return AddendumOut(id=a.id, text=a.text, author_id=a.author_id, signed_at=a.signed_at)


def note_out(note: VisitNote, addenda: list[NoteAddendum] | None = None) -> VisitNoteOut:
    return VisitNoteOut(
        id=note.id,
        appointment_id=note.appointment_id,
        patient_id=note.patient_id,
        template=note.template,
        sections=dict(note.sections or {}),
        status=note.status,  # type: ignore[arg-type]
        author_id=note.author_id,
        created_at=note.created_at,
        updated_at=note.updated_at,
        signed_at=note.signed_at,
        signed_by=note.signed_by,
        withheld=note.withheld_at is not None,
        withheld_at=note.withheld_at,
        withheld_reason=note.withheld_reason,
        addenda=[_addendum(a) for a in addenda or []],
    )


@endpoint(
    api_bp,
    "/appointments/<int:appointment_id>/note",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=NoteIn,
    response=VisitNoteOut,
    status=201,
    errors=[403, 404, 409, 422],
    tags=TAGS,
)
def start_visit_note(appointment_id: int, body: NoteIn) -> VisitNoteOut:
    """The appointment's clinician starts its note (a draft) with a template that fits the visit type.

    In a psychiatric evaluation's ``diagnosis`` section, a line that starts with an ICD-10-CM code
    ("F33.1 Major depressive disorder, recurrent, moderate") is a coded diagnosis: the code must be a
    billable one (422 naming ``sections.diagnosis`` otherwise, here and in PATCH); other lines are free
    text."""
    return note_out(service.start_note(current_user, appointment_id, body.template, body.sections))


@endpoint(
    api_bp,
    NOTE,
    methods=["PATCH"],
    access_rule=access.ANY_USER,
    body=NotePatch,
    response=VisitNoteOut,
    errors=[404, 409, 422],
    tags=TAGS,
)
def patch_visit_note(note_id: int, body: NotePatch) -> VisitNoteOut:
    """The author changes sections of a draft; a signed note is 409 note_signed for everyone."""
    return note_out(service.update_note(current_user, note_id, body.sections))


@endpoint(
    api_bp,
    NOTE + "/sign",
    methods=["POST"],
    access_rule=access.ANY_USER,
    response=VisitNoteOut,
    errors=[403, 404, 409, 422],
    tags=TAGS,
)
def sign_visit_note(note_id: int) -> VisitNoteOut:
    """The author signs the draft: signer and time recorded, the text locked.

    Signing a psychiatric evaluation puts the coded diagnoses of its ``diagnosis`` section on the
    patient's problem list (a code already active there is not added again) as a new care-plan version
    whose summary names the note."""
    return note_out(service.sign(current_user, note_id))


@endpoint(
    api_bp,
    NOTE + "/addenda",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=AddendumIn,
    response=AddendumOut,
    status=201,
    errors=[403, 404, 409],
    tags=TAGS,
)
def add_visit_note_addendum(note_id: int, body: AddendumIn) -> AddendumOut:
    """A team member appends a signed addendum to a signed note (409 note_not_signed on a draft)."""
    return _addendum(service.add_addendum(current_user, note_id, body.text))


@endpoint(
    api_bp,
    NOTE + "/withhold",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=WithholdIn,
    response=VisitNoteOut,
    errors=[403, 404, 409],
    tags=TAGS,
)
def withhold_visit_note(note_id: int, body: WithholdIn) -> VisitNoteOut:
    """Its signer withholds the note from the patient (harm exception, reason required, audited)."""
    return note_out(service.withhold(current_user, note_id, body.reason))


@endpoint(
    api_bp,
    "/patients/<int:patient_id>/visit-notes",
    access_rule=access.ANY_USER,
    response=list[VisitNoteOut],
    errors=[404],
    tags=TAGS,
)
def list_visit_notes(patient_id: int) -> list[VisitNoteOut]:
    """The patient's visit notes, newest first, with their addenda: the team sees signed notes and its
    own drafts, the patient signed notes not withheld."""
    return [note_out(n, addenda) for n, addenda in service.patient_notes(current_user, patient_id)]


def _psychotherapy_out(appointment_id: int, note: PsychotherapyNote | None, author_id: int) -> PsychotherapyNoteOut:
    return PsychotherapyNoteOut(
        appointment_id=appointment_id,
        text=note.text if note is not None else "",
        author_id=author_id,
        updated_at=note.updated_at if note is not None else None,
    )


@endpoint(
    api_bp,
    "/appointments/<int:appointment_id>/psychotherapy-note",
    methods=["PUT"],
    access_rule=access.ANY_USER,
    body=PsychotherapyNoteIn,
    response=PsychotherapyNoteOut,
    errors=[404, 409],
    tags=TAGS,
)
def put_psychotherapy_note(appointment_id: int, body: PsychotherapyNoteIn) -> PsychotherapyNoteOut:
    """The appointment's clinician writes their private psychotherapy note (404 for everyone else)."""
    note = psychotherapy.write(current_user, appointment_id, body.text)
    return _psychotherapy_out(appointment_id, note, current_user.id)


@endpoint(
    api_bp,
    "/appointments/<int:appointment_id>/psychotherapy-note",
    access_rule=access.ANY_USER,
    response=PsychotherapyNoteOut,
    errors=[404],
    tags=TAGS,
)
def get_psychotherapy_note(appointment_id: int) -> PsychotherapyNoteOut:
    """The author's psychotherapy note (empty text before the first save); 404 for everyone else."""
    _, note = psychotherapy.read(current_user, appointment_id)
    return _psychotherapy_out(appointment_id, note, current_user.id)

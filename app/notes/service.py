"""Visit-note use cases: start, edit while a draft, sign (then locked), addenda, withhold from the
patient under the harm exception, and the reads. Every read of a note and every change is audited on
the patient's record; each use case commits once."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CursorResult, select, update
from sqlalchemy.exc import IntegrityError

from app.accounts.user import User
from app.audit import service as audit
from app.booking.appointment import Appointment
from app.booking.types import TYPES
from app.care_team import access as care_access
from app.care_team import chart_header, chart_view, problem_list
from app.care_team import service as care
from app.care_team.assessment import Assessment
from app.care_team.medication import Medication
from app.db import utcnow
from app.errors import Conflict, Invalid
from app.extensions import db
from app.notes import access, diagnoses
from app.notes.addendum import NoteAddendum
from app.notes.note import NoteStatus, VisitNote
from app.notes.note_templates import TEMPLATES, NoteTemplate, fitting, merged, misfit, section_errors

# An unsigned note older than this is flagged on its author's dashboard.
OVERDUE_AFTER = timedelta(hours=72)
INSTRUMENTS = ("PHQ-9", "GAD-7")


class NoteExists(Conflict):
    code = "note_exists"
    message = "This visit has a note already."


class NoteSigned(Conflict):
    code = "note_signed"
    message = "This note is signed and locked. Add an addendum instead."


class NoteNotSigned(Conflict):
    code = "note_not_signed"
    message = "Sign the note first."


class NoteWithheld(Conflict):
    code = "note_withheld"
    message = "This note is already withheld from the patient."


def _audit(action: str, user: User, note: VisitNote) -> None:
    audit.record(action, actor=user, patient_id=note.patient_id, object_type="visit_note", object_id=note.id)


def start_note(
    user: User, appointment_id: int, template: str, sections: dict[str, Any], now: datetime | None = None
) -> VisitNote:
    """The appointment's clinician starts its one note with a template that fits the visit type."""
    now = now or utcnow()
    appointment = access.its_clinician(user, appointment_id)
    if template not in TEMPLATES or (why := misfit(template, appointment.type)):
        raise Invalid({"template": "unknown template" if template not in TEMPLATES else str(why)})
    if errors := section_errors(template, sections) or diagnoses.section_error(template, sections):
        raise Invalid(errors)
    if db.session.scalar(select(VisitNote.id).where(VisitNote.appointment_id == appointment_id)) is not None:
        raise NoteExists()
    note = VisitNote(
        appointment_id=appointment_id,
        patient_id=appointment.patient_id,
        author_id=user.id,
        template=template,
        sections=merged(template, {}, sections),
        status=NoteStatus.DRAFT.value,
        created_at=now,
        updated_at=now,
    )
    db.session.add(note)
    try:
        db.session.flush()
    except IntegrityError as exc:  # two first saves raced: the unique appointment_id kept one
        db.session.rollback()
        raise NoteExists() from exc
    _audit("visit_note.create", user, note)
    db.session.commit()
    return note


def update_note(user: User, note_id: int, sections: dict[str, Any], now: datetime | None = None) -> VisitNote:
    """The author changes the named sections of a draft. A signed note never changes, whoever asks
    (admins included): 409 ``note_signed``."""
    now = now or utcnow()
    found: VisitNote | None = db.session.scalar(
        select(VisitNote).where(VisitNote.id == note_id).with_for_update().execution_options(populate_existing=True)
    )
    if found is not None and found.status == NoteStatus.SIGNED:
        raise NoteSigned()
    note = access.readable(user, found)  # a draft: its author only
    if errors := section_errors(note.template, sections) or diagnoses.section_error(note.template, sections):
        raise Invalid(errors)
    note.sections = merged(note.template, note.sections, sections)
    note.updated_at = now
    _audit("visit_note.update", user, note)
    db.session.commit()
    return note


def signable(user: User, note_id: int, *, lock: bool = False) -> VisitNote:
    """The note when ``user`` may sign it now: its author, while a draft."""
    note = access.readable_note(user, note_id, lock=lock)
    if user.id != note.author_id:
        raise access.NotTheAuthor()
    if note.status == NoteStatus.SIGNED:
        raise NoteSigned()
    return note


def sign(user: User, note_id: int, now: datetime | None = None) -> VisitNote:
    """The author signs: signer and time recorded, the text locked from then on (an empty note is not signed)."""
    now = now or utcnow()
    note = signable(user, note_id, lock=True)
    if not any(str(v).strip() for v in (note.sections or {}).values()):
        raise Invalid({"sections": "write at least one section before signing"})
    if errors := diagnoses.section_error(note.template, note.sections or {}):
        raise Invalid(errors)
    # Conditional on the draft state, so a concurrent signature cannot sign it twice.
    result: CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        update(VisitNote)
        .where(VisitNote.id == note.id, VisitNote.status == NoteStatus.DRAFT.value)
        .values(status=NoteStatus.SIGNED.value, signed_at=now, signed_by=user.id, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        db.session.rollback()
        raise NoteSigned()
    _audit("visit_note.sign", user, note)
    _diagnoses_to_problem_list(user, note, now)
    db.session.commit()
    db.session.refresh(note)
    return note


def _diagnoses_to_problem_list(user: User, note: VisitNote, now: datetime) -> list[str]:
    """A signed psychiatric evaluation puts the coded diagnoses of its diagnosis section on the problem
    list, in the signature's transaction: a code already active there is not added again, and the plan
    version says which note they came from. Only a signer on the care team writes the plan."""
    if note.template != diagnoses.TEMPLATE or not care_access.on_team(user.id, note.patient_id):
        return []
    found, _ = diagnoses.coded(str((note.sections or {}).get(diagnoses.SECTION) or ""))
    if not found:
        return []
    problems = [problem_list.problem(d.text, d.code) for d in found]
    summary = f"problems from the psychiatric evaluation note signed {now.date().isoformat()}"
    return care.add_problems(user, note.patient_id, problems, summary, now)


def addendum_allowed(user: User, note_id: int) -> VisitNote:
    """The note when ``user`` may add an addendum: a team member, on a signed note."""
    note = access.readable_note(user, note_id)
    care_access.team_only(user, note.patient_id)  # the patient: 403
    if note.status != NoteStatus.SIGNED:
        raise NoteNotSigned()
    return note


def add_addendum(user: User, note_id: int, text: str, now: datetime | None = None) -> NoteAddendum:
    """A team member appends a signed addendum to a signed note; the note itself never changes."""
    now = now or utcnow()
    note = addendum_allowed(user, note_id)
    addendum = NoteAddendum(note_id=note.id, author_id=user.id, text=text, signed_at=now)
    db.session.add(addendum)
    db.session.flush()
    _audit("visit_note.addendum", user, note)
    db.session.commit()
    return addendum


def withhold_allowed(user: User, note_id: int, *, lock: bool = False) -> VisitNote:
    """The note when ``user`` may withhold it now: its signer, signed and not withheld yet."""
    note = access.readable_note(user, note_id, lock=lock)
    if note.status != NoteStatus.SIGNED:
        raise NoteNotSigned()
    if user.id != note.signed_by:
        raise access.NotTheSigner()
    if note.withheld_at is not None:
        raise NoteWithheld()
    return note


def withhold(user: User, note_id: int, reason: str, now: datetime | None = None) -> VisitNote:
    """The signer withholds a signed note from the patient under the harm exception (45 CFR 171.201),
    with the reason: per note, audited; the care team still reads it."""
    now = now or utcnow()
    note = withhold_allowed(user, note_id, lock=True)
    note.withheld_at, note.withheld_by, note.withheld_reason = now, user.id, reason
    _audit("visit_note.withhold", user, note)
    db.session.commit()
    return note


def addenda_of(note_ids: list[int]) -> dict[int, list[NoteAddendum]]:
    by_note: dict[int, list[NoteAddendum]] = defaultdict(list)
    if note_ids:
        rows = db.session.scalars(
            select(NoteAddendum)
            .where(NoteAddendum.note_id.in_(note_ids))
            .order_by(NoteAddendum.signed_at, NoteAddendum.id)
        )
        for row in rows:
            by_note[row.note_id].append(row)
    return by_note


def patient_notes(user: User, patient_id: int) -> list[tuple[VisitNote, list[NoteAddendum]]]:
    """The patient's notes ``user`` may read, newest first, each with its addenda (oldest first): the
    team sees signed notes and their own drafts, the patient signed notes not withheld. Each note read
    is an audit row on the patient's record."""
    care_access.patient_or_team(user, patient_id)
    notes = access.visible_notes(user, patient_id)
    addenda = addenda_of([n.id for n in notes])
    for note in notes:
        _audit("visit_note.read", user, note)
    if not notes:
        audit.record("visit_note.list", actor=user, patient_id=patient_id, object_type="visit_note")
    audit.commit_keeping_loaded()
    return [(n, addenda.get(n.id, [])) for n in notes]


def header_for(user: User, patient_id: int) -> chart_header.ChartHeader | None:
    """The chart header above a patient's notes for the team (None for the patient); after a read that
    decided access and audited it."""
    if user.id == patient_id:
        return None
    return chart_view.header_of(care_access.patient_or_team(user, patient_id))


def names_of(notes: list[tuple[VisitNote, list[NoteAddendum]]]) -> dict[int, str]:
    """Names of the authors and signers of the notes and their addenda."""
    ids = {i for n, adds in notes for i in (n.author_id, n.signed_by, *(a.author_id for a in adds)) if i}
    if not ids:
        return {}
    return {uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}


def overdue_drafts(clinician_id: int, now: datetime) -> list[VisitNote]:
    """The clinician's unsigned notes started more than 72 hours before ``now``, oldest first."""
    return list(
        db.session.scalars(
            select(VisitNote)
            .where(
                VisitNote.author_id == clinician_id,
                VisitNote.status == NoteStatus.DRAFT.value,
                VisitNote.created_at < now - OVERDUE_AFTER,
            )
            .order_by(VisitNote.created_at, VisitNote.id)
        )
    )


@dataclass
class NotePage:
    """What the note page of one appointment shows ``user``."""

    appointment: Appointment
    patient: User
    visit_type: str
    note: VisitNote | None  # the note when ``user`` may read it
    note_hidden: bool  # a note exists that ``user`` may not read yet (a draft of its clinician, or withheld)
    note_withheld: bool  # ... and it is a signed note withheld from the patient
    templates: list[NoteTemplate]
    template: NoteTemplate | None  # the note's template, or the one chosen for a new note
    is_team: bool
    is_its_clinician: bool
    viewer_id: int
    addenda: list[NoteAddendum] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)
    latest: dict[str, Assessment] = field(default_factory=dict)
    medications: list[Medication] = field(default_factory=list)
    header: chart_header.ChartHeader | None = None  # the chart header, for the team

    @property
    def can_write(self) -> bool:
        return self.is_its_clinician and (self.note is None or self.note.status == NoteStatus.DRAFT)

    @property
    def can_sign(self) -> bool:
        return self.note is not None and self.note.status == NoteStatus.DRAFT and self.note.author_id == self.viewer_id

    @property
    def can_addend(self) -> bool:
        return self.is_team and self.note is not None and self.note.signed

    @property
    def can_withhold(self) -> bool:
        note = self.note
        return note is not None and note.signed and note.signed_by == self.viewer_id and note.withheld_at is None


def note_page(user: User, appointment_id: int, chosen_template: str | None = None) -> NotePage:
    """The appointment's note for the patient or a team member (404 for anyone else); for the team, the
    latest PHQ-9 and GAD-7 and the active medications beside it. The read is audited."""
    appointment = access.appointment_on_record(user, appointment_id)
    patient = care_access.patient_or_team(user, appointment.patient_id)
    is_team = user.id != patient.id
    is_its_clinician = user.id == appointment.clinician_id
    existing = db.session.scalar(select(VisitNote).where(VisitNote.appointment_id == appointment_id))
    note = existing if existing is not None and access.may_read(user, existing) else None
    templates = fitting(appointment.type)
    if note is not None:
        template: NoteTemplate | None = TEMPLATES[note.template]
    else:
        codes = [t.code for t in templates]
        template = TEMPLATES[chosen_template] if chosen_template in codes else (templates[0] if templates else None)
    page = NotePage(
        appointment=appointment,
        patient=patient,
        visit_type=TYPES[appointment.type].name if appointment.type in TYPES else appointment.type,
        note=note,
        note_hidden=existing is not None and note is None,
        note_withheld=existing is not None and note is None and existing.withheld_at is not None,
        templates=templates,
        template=template,
        is_team=is_team,
        is_its_clinician=is_its_clinician,
        viewer_id=user.id,
    )
    if is_team:
        # Read through the care team's own (audited) reads: the scores and the medication list.
        for instrument in INSTRUMENTS:
            rows = care.assessments(user, patient.id, instrument)
            if rows:
                page.latest[instrument] = rows[-1]
        page.medications = [m for m in care.medications(patient.id) if m.status == "active"]
        page.header = chart_view.header_of(patient)
    if note is not None:
        page.addenda = addenda_of([note.id]).get(note.id, [])
        _audit("visit_note.read", user, note)
    ids = {appointment.clinician_id} | {
        i for i in (note.author_id if note else None, note.signed_by if note else None) if i
    }
    ids |= {a.author_id for a in page.addenda if a.author_id}
    page.names = {uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}
    audit.commit_keeping_loaded()
    return page


def save_draft(
    user: User, appointment_id: int, template: str, sections: dict[str, Any], now: datetime | None = None
) -> VisitNote:
    """The pages' one "Save draft": start the visit's note, or change the draft (a signed note: 409)."""
    access.its_clinician(user, appointment_id)
    existing = db.session.scalar(select(VisitNote.id).where(VisitNote.appointment_id == appointment_id))
    if existing is None:
        return start_note(user, appointment_id, template, sections, now)
    return update_note(user, existing, sections, now)

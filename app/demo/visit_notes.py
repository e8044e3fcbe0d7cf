"""Signed visit notes for the demo clinic: every completed psychiatric evaluation gets a signed note with
an addendum from its prescriber a day later, and each patient's latest completed therapy session a
signed DAP note. Written through the notes service, at the times the visits ended."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from app.accounts.user import User
from app.audit import service as audit
from app.booking.appointment import Appointment
from app.care_team import service as care
from app.extensions import db
from app.notes import service as notes
from app.notes.note import VisitNote

EVALUATION = {
    "chief_complaint": "Low mood and poor sleep for several months.",
    "hpi": "Gradual onset after a job change; early waking, low energy, less interest in friends. No mania, "
    "no psychosis. Drinks socially, no drugs.",
    "psychiatric_history": "One earlier depressive episode in college, treated with therapy.",
    "medical_history": "No chronic illness. No known drug allergies.",
    "family_history": "Mother with depression.",
    "social_history": "Lives with a partner, works full time.",
    "mental_status_exam": "Casually dressed, good eye contact, speech normal, mood 'flat', affect restricted, "
    "thought process linear, no suicidal or homicidal ideation, insight and judgment good.",
    "risk_assessment": "Low acute risk: no ideation, no plan, protective factors (partner, work, future plans).",
    "diagnosis": "Major depressive disorder, recurrent, moderate (F33.1).",
    "plan": "Start an SSRI; weekly CBT with the team therapist; PHQ-9 every two weeks; follow up in 4 weeks.",
}
ADDENDUM = "Labs reviewed: TSH and CBC within normal limits. Plan unchanged."
THERAPY = {
    "data": "Reviewed the week's activity log; two planned walks done, one skipped on a low day.",
    "assessment": "Engaged and more hopeful; avoidance still strongest in the evenings.",
    "plan": "Schedule three evening activities; continue thought records; next session in one week.",
}
MARKED_AFTER = timedelta(hours=1)


def _completed(kind: str) -> list[tuple[Appointment, bool]]:
    """Completed visits of ``kind``, oldest first, each with whether it has a note."""
    rows = db.session.execute(
        select(Appointment, VisitNote.id)
        .outerjoin(VisitNote, VisitNote.appointment_id == Appointment.id)
        .where(Appointment.type == kind, Appointment.status == "completed")
        .order_by(Appointment.start_at)
    )
    return [(visit, note_id is not None) for visit, note_id in rows]


def _diagnosis(patient_id: int) -> dict[str, str]:
    """The evaluation's diagnosis section from the patient's coded problems (one "code words" line each,
    as the note page writes them): signing finds them active on the list already and adds none."""
    lines = [f"{p['code']} {p['text']}" for p in care.plan_of(patient_id).problems or [] if p.get("code")]
    return {"diagnosis": "\n".join(lines)} if lines else {}


def seed_notes(now: datetime) -> bool:
    """Write the notes the demo visits do not have yet; True if any was written."""
    created = False
    for visit, noted in _completed("psychiatric_evaluation"):
        prescriber = db.session.get(User, visit.clinician_id)
        if noted or prescriber is None:
            continue
        at = min(visit.end_at + MARKED_AFTER, now)
        sections = EVALUATION | _diagnosis(visit.patient_id)
        with audit.dated(at):  # the trail dates the note when the story writes it
            note = notes.start_note(prescriber, visit.id, "psychiatric_evaluation", sections, now=at)
            notes.sign(prescriber, note.id, now=at)
        with audit.dated(later := min(at + timedelta(days=1), now)):
            notes.add_addendum(prescriber, note.id, ADDENDUM, now=later)
        created = True
    latest: dict[int, tuple[Appointment, bool]] = {}
    for visit, noted in _completed("therapy_session"):
        latest[visit.patient_id] = (visit, noted)  # oldest first: the last one wins
    for visit, noted in latest.values():
        therapist = db.session.get(User, visit.clinician_id)
        if noted or therapist is None:
            continue
        at = min(visit.end_at + MARKED_AFTER, now)
        with audit.dated(at):
            note = notes.start_note(therapist, visit.id, "dap", THERAPY, now=at)
            notes.sign(therapist, note.id, now=at)
        created = True
    return created

"""Reading the audit trail: a patient's "who viewed my record", and the admins' search and export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from app.audit.event import AuditEvent
from app.csv_safe import to_csv
from app.extensions import db

# What the patient reads in "who viewed my record" (said to the patient: "your care plan"); the raw
# action stays in the admins' search and the export.
ACTION_LABELS = {
    "account.create": "created your account",
    "account.enable": "changed whether your account can sign in",
    "account.date_of_birth": "updated your date of birth",
    "account.phone": "updated your mobile number",
    "appointment.book": "booked a visit for you",
    "appointment.cancel": "cancelled a visit",
    "appointment.reschedule": "moved a visit",
    "appointment.read": "viewed one of your visits",
    "appointment.list": "saw your visits in a schedule",
    "appointment.video_join": "joined your video visit",
    "assessment.create": "added check-in results",
    "assessment.read": "viewed your check-in results",
    "care_consent.give": "recorded your consent to coordinated care",
    "care_consent.withdraw": "recorded that you withdrew consent to coordinated care",
    "care_minutes.create": "logged time spent on your care",
    "care_minutes.delete": "removed a log of time spent on your care",
    "care_minutes.read": "viewed the time logged on your care",
    "care_plan.read": "viewed your care plan",
    "care_plan.update": "changed your care plan",
    "care_plan.history": "viewed the history of your care plan",
    "care_team.read": "viewed your care team",
    "care_team.remove": "changed your care team",
    "caseload.read": "saw you in their list of patients",
    "review_list.read": "saw you in the team's review list",
    "fhir_export.read": "exported your record",
    "medication.add": "added a medication to your record",
    "medication.change": "changed a medication's dose",
    "medication.discontinue": "stopped a medication",
    "note.create": "wrote a note for your care team",
    "note.read": "read your care team's notes",
    "task.create": "added a task about your care",
    "task.complete": "completed a task about your care",
    "task.safety_repeat": "followed up on a safety check",
    "intake.create": "completed your questionnaire",
    "emergency_access": "opened your record in an emergency",
    "outbox.read": "viewed the texts we sent you",
    "sms.opt_in": "turned on texts",
    "sms.opt_out": "turned off texts",
    "calendar_feed.read": "your visit appeared in a clinician's calendar",
    "visit_note.read": "read your visit notes",
    "visit_note.list": "looked at your visit notes",
    "visit_note.create": "started a visit note",
    "visit_note.update": "edited a draft visit note",
    "visit_note.sign": "signed a visit note",
    "visit_note.addendum": "added to a visit note",
    "visit_note.withhold": "kept a visit note from your portal (harm exception)",
    "psychotherapy_note.read": "read their private notes from your session",
    "psychotherapy_note.write": "wrote private notes from your session",
    "task.read": "viewed the care team's tasks about you",
    "message.read": "read your messages",
    "message.create": "wrote in your message thread",
    "message_inbox.read": "saw your message thread in their inbox",
}
OUTCOME_LABELS = {"ok": "", "denied": "refused", "failed": "did not succeed"}


@dataclass(frozen=True)
class AccessEntry:
    occurred_at: datetime
    actor_id: int | None  # the trail keeps ids; the page looks the names up (app.audit.views)
    role: str | None
    what: str
    outcome: str


def _label(action: str) -> str:
    if action in ACTION_LABELS:
        return ACTION_LABELS[action]
    thing, _, verb = action.partition(".")  # an action with no label yet still reads as words
    return f"{verb.replace('_', ' ') or 'opened'} your {thing.replace('_', ' ')}".strip()


def record_access(patient_id: int, limit: int = 200) -> list[AccessEntry]:
    """Everyone other than the patient who touched the patient's record, newest first."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(AuditEvent.patient_id == patient_id, AuditEvent.actor_id != patient_id)
        .order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return [AccessEntry(e.occurred_at, e.actor_id, e.actor_role, _label(e.action), e.outcome) for e in events]


@dataclass(frozen=True)
class AuditFilter:
    patient_id: int | None = None
    actor_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def search_query(f: AuditFilter) -> Select[AuditEvent]:
    query = select(AuditEvent).order_by(AuditEvent.occurred_at.desc(), AuditEvent.id.desc())
    if f.patient_id is not None:
        query = query.where(AuditEvent.patient_id == f.patient_id)
    if f.actor_id is not None:
        query = query.where(AuditEvent.actor_id == f.actor_id)
    if f.action:
        query = query.where(AuditEvent.action.startswith(f.action, autoescape=True))
    if f.since is not None:
        query = query.where(AuditEvent.occurred_at >= f.since)
    if f.until is not None:
        query = query.where(AuditEvent.occurred_at < f.until)
    return query


def search(f: AuditFilter, page: int = 1, per_page: int = 50) -> list[AuditEvent]:
    return list(db.session.scalars(search_query(f).limit(per_page).offset((page - 1) * per_page)))


EXPORT_COLUMNS = ("occurred_at", "actor_id", "actor_role", "patient_id", "action", "object_type", "object_id",
                  "outcome", "ip", "chain_seq", "row_hash")  # fmt: skip


def export_csv(f: AuditFilter) -> str:
    """An accounting of disclosures: every matching row, oldest first, with its chain hash."""
    query = search_query(f).order_by(None).order_by(AuditEvent.occurred_at, AuditEvent.id)

    def rows() -> Iterator[Sequence[object]]:
        yield EXPORT_COLUMNS
        for event in db.session.scalars(query.execution_options(yield_per=1000)):
            row = [getattr(event, c) for c in EXPORT_COLUMNS]
            row[0] = event.occurred_at.isoformat()
            yield row

    return to_csv(rows())

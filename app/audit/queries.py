"""Reading the audit trail: a patient's "who viewed my record", and the admins' search and export."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, select

from app.audit.event import AuditEvent
from app.csv_safe import to_csv
from app.extensions import db

# What people read in the list; the raw action stays in the export.
ACTION_LABELS = {
    "account.create": "created the account",
    "appointment.read": "viewed an appointment",
    "care_plan.read": "viewed the care plan",
    "care_plan.update": "changed the care plan",
    "medication.add": "added a medication",
    "medication.discontinue": "stopped a medication",
    "note.create": "wrote a handoff note",
    "assessment.read": "viewed check-in scores",
    "task.read": "viewed the care team's tasks",
    "intake.create": "completed the intake",
    "emergency_access": "opened the record in an emergency",
    "appointment.list": "listed appointments",
    "outbox.read": "viewed text messages",
    "caseload.read": "viewed the caseload",
    "review_list.read": "viewed the review list",
    "care_minutes.read": "viewed care minutes",
    "calendar_feed.read": "calendar feed fetched",
    "visit_note.read": "read a visit note",
    "visit_note.list": "looked for visit notes",
    "visit_note.create": "started a visit note",
    "visit_note.update": "edited a draft visit note",
    "visit_note.sign": "signed a visit note",
    "visit_note.addendum": "added an addendum to a visit note",
    "visit_note.withhold": "withheld a visit note from the patient (harm exception)",
    "message.read": "read the messages",
    "message.create": "wrote a message",
    "message_inbox.read": "listed the message threads",
}


@dataclass(frozen=True)
class AccessEntry:
    occurred_at: datetime
    actor_id: int | None  # the trail keeps ids; the page looks the names up (app.audit.views)
    role: str | None
    what: str
    outcome: str


def _label(action: str) -> str:
    return ACTION_LABELS.get(action, action.replace("_", " ").replace(".", ": "))


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

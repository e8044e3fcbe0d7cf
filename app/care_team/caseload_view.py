"""The caseload registry as the clinician reads it: last contact per patient, and the orders it can
be sorted in. Safety first stays the default; every other order keeps safety rows on top too, so a
sort can never hide a patient who answered PHQ-9 item 9 above 0.

``caseload_page`` is the page's read use case (one audit row per listed patient, one commit);
``caseload_with_contacts`` the API's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.accounts.clinician import ClinicianProfile
from app.accounts.user import User
from app.audit import service as audit
from app.booking.appointment import Appointment, AppointmentStatus
from app.care_team import handoff, messages_port, service
from app.care_team.assessment import Assessment
from app.care_team.task import Task
from app.extensions import db
from app.reference.roles import ClinicalRole

FLAG_ORDER = {"safety": 0, "not_improving": 1, "no_recent_measure": 2, "response": 3, "remission": 4}
SORTS = {
    "priority": "Safety first, then not improving, then latest PHQ-9",
    "name": "Name",
    "latest": "Latest PHQ-9 (highest first)",
    "change": "Change since baseline (least improved first)",
    "weeks": "Weeks in care (longest first)",
    "last_contact": "Last contact (longest ago first)",
}


def last_contacts(patient_ids: Iterable[int]) -> dict[int, datetime]:
    """The latest completed visit or check-in of each patient, in two grouped queries."""
    ids = list(patient_ids)
    if not ids:
        return {}
    found: dict[int, datetime] = {}
    visits = select(Appointment.patient_id, func.max(Appointment.end_at)).where(
        Appointment.patient_id.in_(ids), Appointment.status == AppointmentStatus.COMPLETED
    ).group_by(Appointment.patient_id)  # fmt: skip
    checkins = select(Assessment.patient_id, func.max(Assessment.created_at)).where(
        Assessment.patient_id.in_(ids)
    ).group_by(Assessment.patient_id)  # fmt: skip
    for query in (visits, checkins):
        for pid, at in db.session.execute(query):
            if at is not None and (pid not in found or _aware(at) > found[pid]):
                found[pid] = _aware(at)
    return found


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def priority_key(row: tuple[Any, Any]) -> tuple[int, int]:
    """The default order: by the most urgent flag (``FLAG_ORDER``), then the highest latest PHQ-9."""
    _, summary = row
    first_flag = min((FLAG_ORDER.get(f, 9) for f in summary.flags), default=9)
    return (first_flag, -(summary.latest_phq9 or -1))


def ordered(rows: list[tuple[Any, Any]], contacts: dict[int, datetime], sort: str) -> list[tuple[Any, Any]]:
    """``rows`` are (patient, summary); safety rows lead whatever the order."""
    never = datetime.min.replace(tzinfo=UTC)
    keys: dict[str, Callable[[tuple[Any, Any]], Any]] = {
        "name": lambda r: r[0].name.lower(),
        "latest": lambda r: -(r[1].latest_phq9 if r[1].latest_phq9 is not None else -1),
        "change": lambda r: r[1].change_percent if r[1].change_percent is not None else float("inf"),
        "weeks": lambda r: -r[1].weeks_in_care,
        "last_contact": lambda r: contacts.get(r[0].id, never),
    }
    if sort not in keys:
        return sorted(rows, key=priority_key)
    return sorted(rows, key=lambda r: ("safety" not in r[1].flags, keys[sort](r)))


@dataclass(frozen=True)
class CaseloadPage:
    """What the caseload template reads, by the names it reads them."""

    rows: list[tuple[Any, Any]]
    flag: str | None
    flags: list[str]
    tasks: list[tuple[Task, User, User]]
    sort: str
    sorts: dict[str, str]
    contacts: dict[int, datetime]
    is_prescriber: bool  # links the weekly review list
    unread: dict[int, int]  # unread secure messages per patient (``messages_port``; counts only)

    def context(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def caseload_with_contacts(clinician: User) -> tuple[list[tuple[Any, Any]], dict[int, datetime]]:
    """The caseload rows and each patient's last contact; audited per patient, committed once."""
    rows = service.caseload_rows(clinician)
    contacts = last_contacts(u.id for u, _ in rows)
    audit.commit_keeping_loaded()
    return rows, contacts


def caseload_page(clinician: User, flag: str | None, sort: str | None) -> CaseloadPage:
    """The caseload filtered by ``flag`` (ignored unless a known flag) in the order ``sort`` (the
    priority order unless a known one), with the clinician's open tasks."""
    rows = service.caseload_rows(clinician)
    if flag not in FLAG_ORDER:
        flag = None
    if flag is not None:
        rows = [r for r in rows if flag in r[1].flags]
    chosen = sort if sort in SORTS else "priority"
    contacts = last_contacts(u.id for u, _ in rows)
    view = CaseloadPage(
        rows=ordered(rows, contacts, chosen),
        flag=flag,
        flags=list(FLAG_ORDER),
        tasks=handoff.my_open_tasks(clinician),
        sort=chosen,
        sorts=SORTS,
        contacts=contacts,
        is_prescriber=_clinical_role(clinician) == ClinicalRole.PRESCRIBER,
        unread=messages_port.unread_counts(clinician.id, [u.id for u, _ in rows]),
    )
    audit.commit_keeping_loaded()
    return view


def _clinical_role(user: User) -> str | None:
    """The clinician's role, read alone (loading the profile would load its licences, languages and modalities)."""
    return db.session.scalar(select(ClinicianProfile.clinical_role).where(ClinicianProfile.user_id == user.id))

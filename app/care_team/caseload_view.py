"""The caseload registry as the clinician reads it: last contact per patient, and the orders it can
be sorted in. Safety first stays the default; every other order keeps safety rows on top too, so a
sort can never hide a patient who answered PHQ-9 item 9 above 0."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select

from app.booking.appointment import Appointment, AppointmentStatus
from app.care_team.assessment import Assessment
from app.extensions import db

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


def priority_key(row: tuple[Any, Any]) -> tuple:
    """The default order: by the most urgent flag (``FLAG_ORDER``), then the highest latest PHQ-9."""
    _, summary = row
    first_flag = min((FLAG_ORDER.get(f, 9) for f in summary.flags), default=9)
    return (first_flag, -(summary.latest_phq9 or -1))


def ordered(rows: list[tuple[Any, Any]], contacts: dict[int, datetime], sort: str) -> list[tuple[Any, Any]]:
    """``rows`` are (patient, summary); safety rows lead whatever the order."""
    never = datetime.min.replace(tzinfo=UTC)
    keys = {
        "name": lambda r: r[0].name.lower(),
        "latest": lambda r: -(r[1].latest_phq9 if r[1].latest_phq9 is not None else -1),
        "change": lambda r: r[1].change_percent if r[1].change_percent is not None else float("inf"),
        "weeks": lambda r: -r[1].weeks_in_care,
        "last_contact": lambda r: contacts.get(r[0].id, never),
    }
    if sort not in keys:
        return sorted(rows, key=priority_key)
    return sorted(rows, key=lambda r: ("safety" not in r[1].flags, keys[sort](r)))

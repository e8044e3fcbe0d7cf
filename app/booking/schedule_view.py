"""The clinician's schedule page as one read: their visits of a day or a week laid out on the grid in
their zone, open hours shaded, each visit's note state. One audit row per patient shown, one commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.accounts.user import User
from app.audit import service as audit
from app.booking import access, events, schedule, slots
from app.booking.appointment import Appointment
from app.booking.service import LONGEST_VISIT, availability_of, names_for
from app.booking.types import TYPES
from app.errors import Forbidden
from app.extensions import db
from app.reference.roles import Role


@dataclass
class ScheduleView:
    grid: schedule.Grid
    notes: dict[int, str]  # appointment id -> note status, for visits that have a note
    today: date


def clinician_schedule(user: User, view: schedule.View, day: date | None, now: datetime) -> ScheduleView:
    """The day or week holding ``day`` (default: today in the clinician's zone) of ``user``'s own visits;
    a clinician sees only their own schedule (the query is narrowed by ``access.listable``)."""
    if user.role != Role.CLINICIAN:
        raise Forbidden("Only clinicians have a schedule.")
    tz = user.timezone
    today = now.astimezone(ZoneInfo(tz)).date()
    shown = schedule.days_shown(view, schedule.anchor_of(view, day or today))
    lo, hi = slots.local_range_to_utc(shown[0], shown[-1], tz)
    query = access.listable(
        user,
        select(Appointment)
        .where(Appointment.start_at < hi, Appointment.start_at > lo - LONGEST_VISIT, Appointment.end_at > lo)
        .order_by(Appointment.start_at),
    )
    items = list(db.session.scalars(query)) if query is not None else []
    names = names_for(items)
    visits = [
        schedule.Visit(a.id, a.start_at, a.end_at, a.patient_id, names.get(a.patient_id, "Patient"),
                       TYPES[a.type].name if a.type in TYPES else a.type, a.status)
        for a in items
    ]  # fmt: skip
    try:
        hours = slots.Availability.from_document(availability_of(user).document())
    except (ValueError, KeyError):
        hours = None  # an unreadable document shades nothing; the editor says what is wrong
    grid = schedule.layout(view, day or today, today, tz, visits, hours)
    notes = events.note_statuses(tuple(a.id for a in items))
    if items:
        audit.record_patients("appointment.list", actor=user, patient_ids=[a.patient_id for a in items],
                              object_type="appointment")  # fmt: skip
    audit.commit_keeping_loaded()
    return ScheduleView(grid, notes, today)

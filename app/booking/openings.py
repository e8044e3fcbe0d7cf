"""Open slots to offer: what patients browse. The rules are the pure ``slots`` module's; this module
loads what they need, with ``slot_cache`` answering repeated questions while the clinician's
schedule stamp (``stamp.py``) says nothing changed. Booking does not come here: it re-checks the
slot itself, under the clinician's lock (``service.book``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, select

from app.accounts.clinician import ClinicianProfile
from app.accounts.user import User
from app.booking import service, slot_cache, slots
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.availability import DEFAULTS, ClinicianAvailability
from app.booking.stamp import ScheduleStamp
from app.booking.types import TYPES, AppointmentType
from app.db import utcnow
from app.errors import NotFound
from app.extensions import db

LONGEST_TYPE_MINUTES = max(t.duration_minutes for t in TYPES.values())


@dataclass(frozen=True)
class SlotSubject:
    """What open slots need to know of a clinician besides the schedule, read fresh on every call."""

    id: int
    name: str
    timezone: str
    clinical_role: str
    stamp: int | None  # None: no appointment or availability was ever written (nothing to cache)

    @classmethod
    def of(cls, clinician: User, stamp: int | None) -> SlotSubject:
        return cls(clinician.id, clinician.name, clinician.timezone, clinician.clinician.clinical_role, stamp)


def _stamp(clinician_id: int) -> int | None:
    return db.session.scalar(select(ScheduleStamp.stamp).where(ScheduleStamp.clinician_id == clinician_id))


# The slots API's hot path: built once (building it per call cost as much as running it).
_SUBJECT = (
    select(User.name, User.timezone, ClinicianProfile.clinical_role, ScheduleStamp.stamp)
    .join(ClinicianProfile, ClinicianProfile.user_id == User.id)
    .outerjoin(ScheduleStamp, ScheduleStamp.clinician_id == User.id)
    .where(User.id == bindparam("clinician_id"), User.is_enabled)
)


def slot_subject(clinician_id: int) -> SlotSubject:
    """An enabled clinician and their schedule stamp in one query; 404 otherwise."""
    row = db.session.connection().execute(_SUBJECT, {"clinician_id": clinician_id}).first()
    if row is None:
        raise NotFound("No such clinician.")
    return SlotSubject(clinician_id, row.name, row.timezone, row.clinical_role, row.stamp)


def open_slots(clinician: User, type_code: str, from_date: date, to_date: date, view_tz: str,
               now: datetime | None = None) -> list[tuple[datetime, datetime]]:  # fmt: skip
    return slots_of(SlotSubject.of(clinician, _stamp(clinician.id)), type_code, from_date, to_date, view_tz, now)


def _schedule(subject: SlotSubject, now: datetime) -> slot_cache.Schedule:
    """The subject's schedule for its stamp: cached, or loaded (after the stamp was read, so anything
    changed since carries a newer stamp) and cached."""
    key = (subject.stamp or 0, subject.timezone)
    if subject.stamp is not None and (found := slot_cache.CACHE.schedule(subject.id, key)):
        return found
    avail = slots.Availability.from_document(service.availability_row(subject.id, subject.timezone).document())
    lo, hi = slot_cache.horizon_window(avail, now, LONGEST_TYPE_MINUTES)
    schedule = slot_cache.Schedule(key, avail, tuple(service.booked_spans(subject.id, lo, hi)), lo, hi)
    if subject.stamp is not None:
        slot_cache.CACHE.store_schedule(subject.id, schedule)
    return schedule


def slots_of(subject: SlotSubject, type_code: str, from_date: date, to_date: date, view_tz: str,
             now: datetime | None = None) -> list[tuple[datetime, datetime]]:  # fmt: skip
    """Open slots of ``type_code`` whose start's local date in ``view_tz`` is in [from_date, to_date].

    Exactly ``slots.slots_for_range`` over the clinician's current schedule; repeated questions are
    answered from ``slot_cache`` while its stamp and the answer's time span say it is still exact.
    """
    return list(offer_of(subject, type_code, from_date, to_date, view_tz, now).slots)


def offer_of(subject: SlotSubject, type_code: str, from_date: date, to_date: date, view_tz: str,
             now: datetime | None = None) -> slot_cache.Offer:  # fmt: skip
    """``slots_of`` as the cached offer itself, for callers that keep what they render from it."""
    now = now or utcnow()
    kind = service.offered_type(type_code, subject.clinical_role, subject.name)
    return _offer(subject, kind, _schedule(subject, now), from_date, to_date, view_tz, now)


def _offer(subject: SlotSubject, kind: AppointmentType, schedule: slot_cache.Schedule, from_date: date,
           to_date: date, view_tz: str, now: datetime) -> slot_cache.Offer:  # fmt: skip
    key = (kind.code, from_date, to_date, view_tz)
    if (cached := slot_cache.CACHE.offer(subject.id, schedule, key, now)) is not None:
        return cached
    avail = schedule.avail
    lo, hi = slots.busy_window(avail, kind.duration_minutes, *slots.local_range_to_utc(from_date, to_date, view_tz))
    busy = schedule.busy_within(lo, hi)
    if busy is None:  # a range outside the bookable horizon (the past, far ahead): read it directly
        busy = service.booked_spans(subject.id, lo, hi)
    found = slots.slots_for_range(avail, kind.duration_minutes, busy, now, from_date, to_date, view_tz)
    offer = slot_cache.Offer(now, slot_cache.exact_until(avail, found, now), tuple(found))
    slot_cache.CACHE.store_offer(subject.id, schedule, key, offer)
    return offer


def clinicians_with_openings(
    *,
    type_code: str,
    from_date: date,
    to_date: date,
    view_tz: str,
    limit: int = 10,
    clinical_role: str | None = None,
    state: str | None = None,
    modality: str | None = None,
    language: str | None = None,
    now: datetime | None = None,
) -> list[tuple[User, datetime]]:
    """The first ``limit`` matching clinicians with an open slot in the range, with their first slot
    ("first 10 open CBT therapists in WA this week")."""
    found: list[tuple[User, datetime]] = []
    candidates = [c for c in service.find_clinicians(clinical_role, state, modality, language)
                  if TYPES[type_code].clinical_role in (None, c.clinician.clinical_role)]  # fmt: skip
    for clinician, subject in zip(candidates, _subjects(candidates), strict=True):
        open_ = slots_of(subject, type_code, from_date, to_date, view_tz, now)
        if open_:
            found.append((clinician, open_[0][0]))
            if len(found) == limit:
                break
    return found


def _subjects(clinicians: Sequence[User]) -> list[SlotSubject]:
    """Every clinician's stamp in one query, read before any schedule is loaded (see ``_schedule``)."""
    rows = db.session.execute(select(ScheduleStamp.clinician_id, ScheduleStamp.stamp).where(
        ScheduleStamp.clinician_id.in_([c.id for c in clinicians]))) if clinicians else []  # fmt: skip
    stamps = {clinician_id: stamp for clinician_id, stamp in rows}
    return [SlotSubject.of(c, stamps.get(c.id)) for c in clinicians]


def _schedules(subjects: Sequence[SlotSubject], now: datetime) -> dict[int, slot_cache.Schedule]:
    """``_schedule`` of many clinicians: those cached for their stamp from the cache, the others loaded
    together (their availability rows in one query, their booked visits in another), never one
    query per clinician."""
    found: dict[int, slot_cache.Schedule] = {}
    missing: list[SlotSubject] = []
    for subject in subjects:
        key = (subject.stamp or 0, subject.timezone)
        if subject.stamp is not None and (cached := slot_cache.CACHE.schedule(subject.id, key)):
            found[subject.id] = cached
        else:
            missing.append(subject)
    if not missing:
        return found
    ids = [s.id for s in missing]
    rows = {r.clinician_id: r for r in db.session.scalars(
        select(ClinicianAvailability).where(ClinicianAvailability.clinician_id.in_(ids)))}  # fmt: skip
    avails, windows = {}, {}
    for subject in missing:
        row = rows.get(subject.id) or ClinicianAvailability(
            clinician_id=subject.id, timezone=subject.timezone, **DEFAULTS)  # fmt: skip
        avails[subject.id] = slots.Availability.from_document(row.document())
        windows[subject.id] = slot_cache.horizon_window(avails[subject.id], now, LONGEST_TYPE_MINUTES)
    lo, hi = min(w[0] for w in windows.values()), max(w[1] for w in windows.values())
    busy: dict[int, list[slots.Busy]] = {i: [] for i in ids}
    booked = select(Appointment.clinician_id, Appointment.start_at, Appointment.end_at).where(
        Appointment.clinician_id.in_(ids), Appointment.status == AppointmentStatus.BOOKED,
        Appointment.start_at < hi, Appointment.start_at > lo - service.LONGEST_VISIT, Appointment.end_at > lo,
    )  # fmt: skip
    for clinician_id, start, end in db.session.execute(booked):
        own_lo, own_hi = windows[clinician_id]
        if start < own_hi and end > own_lo:  # what service.booked_spans(clinician, own_lo, own_hi) reads
            busy[clinician_id].append(slots.Busy(start, end))
    for subject in missing:
        schedule = slot_cache.Schedule(
            (subject.stamp or 0, subject.timezone), avails[subject.id], tuple(busy[subject.id]), *windows[subject.id]
        )
        if subject.stamp is not None:
            slot_cache.CACHE.store_schedule(subject.id, schedule)
        found[subject.id] = schedule
    return found


def next_open_times(wanted: Sequence[tuple[User, str]], view_tz: str,
                    now: datetime | None = None) -> dict[int, datetime | None]:  # fmt: skip
    """Each clinician's first open slot of the paired type code (None: nothing open within their
    horizon), rendered in ``view_tz``.

    Searched a week at a time (the rest of this week, then whole weeks: the clinician page's weeks,
    so its answers come from the same cache), up to the clinician's horizon. At most three queries
    whatever the number of clinicians: their stamps, then, for schedules not cached, their
    availability rows and their booked visits."""
    now = now or utcnow()
    subjects = _subjects([clinician for clinician, _ in wanted])
    schedules = _schedules(subjects, now)
    today = now.astimezone(ZoneInfo(view_tz)).date()
    found: dict[int, datetime | None] = {}
    for subject, (_, type_code) in zip(subjects, wanted, strict=True):
        kind = service.offered_type(type_code, subject.clinical_role, subject.name)
        schedule = schedules[subject.id]
        last, first, found[subject.id] = today + timedelta(days=schedule.avail.horizon_days + 1), today, None
        while first <= last:
            to = min(first + timedelta(days=6 - first.weekday()), last)
            offered = _offer(subject, kind, schedule, first, to, view_tz, now).slots
            if offered:
                found[subject.id] = offered[0][0]
                break
            first = to + timedelta(days=1)
    return found

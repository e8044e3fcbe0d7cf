"""Open slots to offer: what patients browse. The rules are the pure ``slots`` module's; this module
loads what they need, with ``slot_cache`` answering repeated questions while the clinician's
schedule stamp (``stamp.py``) says nothing changed. Booking does not come here: it re-checks the
slot itself, under the clinician's lock (``service.book``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import bindparam, select

from app.accounts.clinician import ClinicianProfile
from app.accounts.user import User
from app.booking import service, slot_cache, slots
from app.booking.stamp import ScheduleStamp
from app.booking.types import TYPES
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
    schedule = _schedule(subject, now)
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
    # Every candidate's stamp in one query, read before any schedule is loaded (see _schedule).
    rows = db.session.execute(select(ScheduleStamp.clinician_id, ScheduleStamp.stamp).where(
        ScheduleStamp.clinician_id.in_([c.id for c in candidates]))) if candidates else []  # fmt: skip
    stamps = {clinician_id: stamp for clinician_id, stamp in rows}
    for clinician in candidates:
        open_ = slots_of(SlotSubject.of(clinician, stamps.get(clinician.id)), type_code, from_date, to_date, view_tz,
                         now)  # fmt: skip
        if open_:
            found.append((clinician, open_[0][0]))
            if len(found) == limit:
                break
    return found

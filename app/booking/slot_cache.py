"""A per-process cache of open slots, exact by construction (standard library and ``slots`` only).

Two layers per clinician, both keyed by the clinician's schedule stamp (``stamp.py``: database
triggers change it with every appointment or availability change, on every instance):

* the **schedule**: the availability document and the booked appointments of the whole bookable
  horizon, loaded once per stamp instead of on every request;
* **offers**: computed answers for one (type, from, to, viewer zone), each with the span of "now"
  in which the answer stays exactly what ``slots.compute_slots`` would return (see ``exact_until``).

A stale stamp can therefore never serve stale slots: the caller reads the stamp first, in the
request's own transaction, and anything changed after that read carries a new stamp. Booking never
reads this cache; it re-checks the slot under the clinician's lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking import slots

Slot = tuple[datetime, datetime]
OfferKey = tuple[str, date, date, str]  # type code, from, to, viewer zone

# Bounds on a worker's memory (budget: 150 MB per worker, ~130 MB without the cache). A schedule of
# 100 visits is ~40 KB, of a busy clinician's 500 about 200 KB.
MAX_CLINICIANS = 128
OFFER_BUDGET_BYTES = 8 * 1024 * 1024


@dataclass(frozen=True)
class Schedule:
    """What one clinician's slots are computed from, as of one stamp: ``busy`` holds every booked
    appointment overlapping ``[lo, hi)``."""

    key: tuple[int, str]  # (stamp, the clinician's zone: the availability default when no row exists)
    avail: slots.Availability
    busy: tuple[slots.Busy, ...]
    lo: datetime
    hi: datetime

    def busy_within(self, lo: datetime, hi: datetime) -> Sequence[slots.Busy] | None:
        """The appointments a computation over the busy window ``[lo, hi)`` needs, if held."""
        return self.busy if self.lo <= lo and hi <= self.hi else None


@dataclass(frozen=True)
class Offer:
    """An answer and the span ``[computed_at, exact_until)`` of "now" in which it is exact.

    ``rendered`` holds what callers derive from the slots alone (the API's JSON body), made once
    per offer; it goes when the offer goes.
    """

    computed_at: datetime
    exact_until: datetime
    slots: tuple[Slot, ...]
    rendered: dict[str, bytes] = field(default_factory=dict, compare=False, repr=False)


def horizon_window(avail: slots.Availability, now: datetime, longest_minutes: int) -> tuple[datetime, datetime]:
    """The busy window that covers every request a patient can make of the bookable horizon from
    ``now`` (a day of slack on the early side for viewers far east of the clinician)."""
    zone = ZoneInfo(avail.timezone)
    today = now.astimezone(zone).date()
    first = slots.wall_to_utc(today - timedelta(days=1), 0, zone)
    last = slots.wall_to_utc(today + timedelta(days=avail.horizon_days + 1), 0, zone)
    return slots.busy_window(avail, longest_minutes, first, last)


def exact_until(avail: slots.Availability, offered: Sequence[Slot], now: datetime) -> datetime:
    """Until when ``compute_slots`` with the same inputs and a later ``now`` returns the same slots.

    Time only changes the answer in two ways: a slot leaves when ``now + min_notice`` passes its
    start (the earliest offered start leaves first), and the horizon grows by a day at the
    clinician's local midnight. Before both, every later ``now`` gives the same list.
    """
    zone = ZoneInfo(avail.timezone)
    until = slots.wall_to_utc(now.astimezone(zone).date() + timedelta(days=1), 0, zone)
    if offered:
        until = min(until, offered[0][0] - timedelta(minutes=avail.min_notice_minutes))
    return until


@dataclass
class _Entry:
    schedule: Schedule
    offers: dict[OfferKey, Offer] = field(default_factory=dict)


def _size(offer: Offer) -> int:
    """Bytes an offer will hold, roughly: measured ~330 per slot (two aware datetimes in a tuple), and
    the JSON body rendered from it later ~70 per slot."""
    return 400 * len(offer.slots) + 512


class SlotCache:
    """Least-recently-used and bounded: at most ``max_clinicians`` schedules, and offers within
    ``offer_budget`` bytes over all clinicians (a 4-week answer is ~50 KB). Safe to share between
    threads."""

    def __init__(self, max_clinicians: int = MAX_CLINICIANS, offer_budget: int = OFFER_BUDGET_BYTES) -> None:
        self._entries: OrderedDict[int, _Entry] = OrderedDict()
        self._offers: OrderedDict[tuple[int, OfferKey], int] = OrderedDict()  # recency and size of every offer
        self._offer_bytes = 0
        self._lock = threading.Lock()
        self._max_clinicians, self._offer_budget = max_clinicians, offer_budget

    def schedule(self, clinician_id: int, key: tuple[int, str]) -> Schedule | None:
        with self._lock:
            entry = self._entries.get(clinician_id)
            if entry is None or entry.schedule.key != key:
                return None
            self._entries.move_to_end(clinician_id)
            return entry.schedule

    def store_schedule(self, clinician_id: int, schedule: Schedule) -> None:
        with self._lock:
            self._drop_entry(clinician_id)  # its offers answered for the old schedule
            self._entries[clinician_id] = _Entry(schedule)
            while len(self._entries) > self._max_clinicians:
                self._drop_entry(next(iter(self._entries)))

    def offer(self, clinician_id: int, schedule: Schedule, key: OfferKey, now: datetime) -> Offer | None:
        with self._lock:
            entry = self._entries.get(clinician_id)
            if entry is None or entry.schedule is not schedule:
                return None
            found = entry.offers.get(key)
            if found is None or not found.computed_at <= now < found.exact_until:
                return None
            self._offers.move_to_end((clinician_id, key))
            return found

    def store_offer(self, clinician_id: int, schedule: Schedule, key: OfferKey, offer: Offer) -> None:
        with self._lock:
            entry = self._entries.get(clinician_id)
            if entry is None or entry.schedule is not schedule:
                return  # the schedule was replaced meanwhile: this answer belongs to the old one
            self._drop_offer(clinician_id, key)
            entry.offers[key] = offer
            size = _size(offer)
            self._offers[(clinician_id, key)] = size
            self._offer_bytes += size
            while self._offer_bytes > self._offer_budget and len(self._offers) > 1:
                self._drop_offer(*next(iter(self._offers)))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._offers.clear()
            self._offer_bytes = 0

    def _drop_entry(self, clinician_id: int) -> None:
        entry = self._entries.pop(clinician_id, None)
        for key in list(entry.offers) if entry else ():
            self._drop_offer(clinician_id, key)

    def _drop_offer(self, clinician_id: int, key: OfferKey) -> None:
        size = self._offers.pop((clinician_id, key), None)
        if size is not None:
            self._offer_bytes -= size
            entry = self._entries.get(clinician_id)
            if entry is not None:
                entry.offers.pop(key, None)


# One per process: gunicorn workers each have their own; the stamps keep them all exact.
CACHE = SlotCache()

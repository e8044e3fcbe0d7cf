"""Bookable slot computation for one clinician (pure: standard library only).

Public contract, enforced here and nowhere else:

* Availability is written in wall-clock times of the clinician's ``timezone``; ``weekly`` maps a weekday
  (0 = Monday) to intervals, an override replaces that date's weekly intervals (empty = day off).
  Intervals are half-open ``[start, end)``; ``24:00`` as an end is midnight starting the next local day.
* A nonexistent wall time (spring-forward gap) is moved forward by the gap; an ambiguous one (fall-back)
  is its first occurrence.
* Candidates: each interval's start instant, then every ``slot_step_minutes`` of *elapsed* time, while
  ``start + duration <= end instant``.  The grid is the clinician's; a viewer's zone only changes how
  slots are written, never which instants are offered.
* A candidate is offered iff ``start >= now + min_notice``; its clinician-local date is at most
  ``horizon_days`` after now's clinician-local date; it does not conflict with a booked appointment
  (``[s, e)`` and ``[S, E)`` conflict iff ``s < E + gap and S < e + gap``); and, with ``max_per_day``
  set, fewer than that many appointments start on its clinician-local date.
* Duplicates (overlapping intervals) appear once; results are sorted by start.
"""

from __future__ import annotations

import bisect
import itertools
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MINUTES_PER_DAY = 1440
_ONE_DAY = timedelta(days=1)
# is_offered asks compute_slots for the single-instant window [start, start + _TICK).
_TICK = timedelta(microseconds=1)


def parse_hhmm(value: str, *, allow_24: bool = False) -> int:
    """Parse strict ``HH:MM`` (two ASCII digits each, 00:00-23:59) into minutes since local midnight.

    ``"24:00"`` (1440) is accepted only with ``allow_24``: it is meaningful only as an interval end.
    Anything else (``"9:5"``, ``"25:00"``, ``"24:30"``, ``"12:60"``) raises ValueError.
    """
    if (
        not isinstance(value, str)
        or len(value) != 5
        or value[2] != ":"
        or not value.isascii()  # str.isdigit() alone would accept e.g. Arabic-Indic digits
        or not (value[:2] + value[3:]).isdigit()
    ):
        raise ValueError(f"invalid time {value!r}: expected HH:MM")
    hours, minutes = int(value[:2]), int(value[3:])
    if allow_24 and hours == 24 and minutes == 0:
        return MINUTES_PER_DAY
    if hours > 23 or minutes > 59:
        raise ValueError(f"invalid time {value!r}: out of range")
    return hours * 60 + minutes


def format_hhmm(minute: int) -> str:
    """Inverse of :func:`parse_hhmm`: 0..1440 minutes -> ``"HH:MM"`` (1440 -> ``"24:00"``)."""
    if not 0 <= minute <= MINUTES_PER_DAY:
        raise ValueError(f"minute {minute} outside 0..{MINUTES_PER_DAY}")
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)  # cached by zoneinfo, so calling this per request is cheap
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc


def _utc(value: datetime, name: str) -> datetime:
    """Reject naive datetimes (they are ambiguous by construction); normalise aware ones to UTC."""
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")
    return value.astimezone(UTC)


@dataclass(frozen=True)
class Interval:
    """Wall-clock ``[start_minute, end_minute)`` in minutes since local midnight; end may be 1440."""

    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError(f"invalid interval {self.start_minute}..{self.end_minute}")


@dataclass(frozen=True)
class Availability:
    """A clinician's availability document, already validated by the caller."""

    timezone: str
    weekly: Mapping[int, tuple[Interval, ...]]
    overrides: Mapping[date, tuple[Interval, ...]]
    gap_minutes: int = 0
    slot_step_minutes: int = 30
    min_notice_minutes: int = 240
    horizon_days: int = 60
    max_per_day: int | None = None

    def __post_init__(self) -> None:
        _zone(self.timezone)
        if self.slot_step_minutes <= 0:
            raise ValueError("slot_step_minutes must be positive")  # a zero step would never advance
        if min(self.gap_minutes, self.min_notice_minutes, self.horizon_days) < 0:
            raise ValueError("gap_minutes, min_notice_minutes and horizon_days must be >= 0")
        if self.max_per_day is not None and self.max_per_day < 0:
            raise ValueError("max_per_day must be >= 0 or None")

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The wall-clock intervals of ``day``: its override if any (empty = day off), else weekly."""
        if day in self.overrides:
            return tuple(self.overrides[day])
        return tuple(self.weekly.get(day.weekday(), ()))

    @classmethod
    def from_document(cls, doc: Mapping[str, Any]) -> Availability:
        """Build from the JSON availability document (shape in the module docstring)."""

        def intervals(items: Any) -> tuple[Interval, ...]:
            return tuple(Interval(parse_hhmm(i["start"]), parse_hhmm(i["end"], allow_24=True)) for i in items)

        weekly: dict[int, tuple[Interval, ...]] = {}
        for item in doc.get("weekly", ()):
            weekly[item["weekday"]] = weekly.get(item["weekday"], ()) + intervals([item])
        overrides: dict[date, tuple[Interval, ...]] = {}
        for item in doc.get("overrides", ()):
            day = date.fromisoformat(item["date"])
            overrides[day] = overrides.get(day, ()) + intervals(item["intervals"])
        optional = ("gap_minutes", "slot_step_minutes", "min_notice_minutes", "horizon_days", "max_per_day")
        return cls(doc["timezone"], weekly, overrides, **{k: doc[k] for k in optional if k in doc})


@dataclass(frozen=True)
class Busy:
    """A booked appointment of the clinician, ``[start, end)`` as aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        _utc(self.start, "Busy.start")
        _utc(self.end, "Busy.end")


def wall_to_utc(day: date, minute: int, tz: str | ZoneInfo) -> datetime:
    """The instant of wall time ``minute`` (0..1440) on ``day`` in ``tz``, as aware UTC.

    fold=0 gives exactly the contract: a nonexistent time takes the pre-transition offset, i.e. moves
    forward by the gap; an ambiguous time takes its first occurrence.  1440 is 00:00 of the next day.
    """
    zone = tz if isinstance(tz, ZoneInfo) else _zone(tz)
    if minute == MINUTES_PER_DAY:
        day, minute = day + _ONE_DAY, 0
    return datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone).astimezone(UTC)


def local_range_to_utc(from_date: date, to_date: date, tz: str) -> tuple[datetime, datetime]:
    """``[start of from_date in tz, start of (to_date + 1 day) in tz)`` as aware UTC datetimes.

    Both dates are inclusive; ``from_date > to_date`` raises ValueError.
    """
    if from_date > to_date:
        raise ValueError("from_date must not be after to_date")
    if to_date == date.max:
        raise ValueError("to_date out of range")
    zone = _zone(tz)
    return wall_to_utc(from_date, 0, zone), wall_to_utc(to_date + _ONE_DAY, 0, zone)


def busy_window(
    avail: Availability, duration_minutes: int, window_start: datetime, window_end: datetime
) -> tuple[datetime, datetime]:
    """The UTC window ``[lo, hi)`` of appointments a caller must load to compute slots in a window.

    Load every appointment that overlaps it (``appt.start < hi and appt.end > lo``; zero-length ones
    with ``lo <= start < hi``).  Loading more is harmless, less is not.  With ``first``/``last`` the
    clinician-local dates of ``window_start``/``window_end``:

    * ``lo = start of (first - 1 day) - gap``
    * ``hi = start of (last + 2 days) + gap + duration``

    This covers every appointment that can conflict with a candidate ``c`` in the window (those need
    ``S < c + duration + gap`` and ``E > c - gap``) and every appointment starting on a local date a
    candidate can have, which is what ``max_per_day`` counts; the extra day each side absorbs 25-26 h
    local days.  For a date range, pass ``local_range_to_utc(from_date, to_date, view_tz)``.
    """
    zone = _zone(avail.timezone)
    ws, we = _utc(window_start, "window_start"), _utc(window_end, "window_end")
    gap = timedelta(minutes=avail.gap_minutes)
    first, last = ws.astimezone(zone).date(), we.astimezone(zone).date()
    lo = wall_to_utc(first - _ONE_DAY, 0, zone) - gap
    hi = wall_to_utc(last + 2 * _ONE_DAY, 0, zone) + gap + timedelta(minutes=duration_minutes)
    return lo, hi


class _BusyIndex:
    """Busy appointments sorted once, answering the conflict rule in O(log n)."""

    def __init__(self, busy: Sequence[Busy], gap: timedelta, zone: ZoneInfo, count_days: bool) -> None:
        spans = sorted((_utc(b.start, "busy start"), _utc(b.end, "busy end")) for b in busy)
        self._gap = gap
        self._starts = [s for s, _ in spans]
        # Appointments may overlap or differ in length, so the latest end among a start-sorted prefix is
        # a running max, not the end of the last element.
        self._max_end = list(itertools.accumulate((e for _, e in spans), max))
        self.per_day = Counter(s.astimezone(zone).date() for s in self._starts) if count_days else Counter()

    def conflicts(self, start: datetime, end: datetime) -> bool:
        """``[start, end)`` conflicts with some ``[S, E)`` iff ``start < E + gap and S < end + gap``."""
        # Appointments with S < end + gap are exactly a prefix of the start-sorted list; one of them
        # conflicts iff the latest end in that prefix satisfies start < E + gap.
        i = bisect.bisect_left(self._starts, end + self._gap)
        return i > 0 and start < self._max_end[i - 1] + self._gap


def _candidates(
    start: datetime, end: datetime, step: timedelta, duration: timedelta, earliest: datetime, stop: datetime
) -> Iterator[datetime]:
    """Grid points ``start + k*step`` with ``earliest <= t < stop`` and ``t + duration <= end``."""
    k = max(0, -((start - earliest) // step))  # ceil((earliest - start) / step): skip points too early
    t = start + k * step
    while t < stop and t + duration <= end:
        yield t
        t += step


def compute_slots(
    avail: Availability,
    duration_minutes: int,
    busy: Sequence[Busy],
    now: datetime,
    window_start: datetime,
    window_end: datetime,
) -> list[datetime]:
    """Offered slot starts (aware UTC, sorted, unique) with ``window_start <= start < window_end``.

    Applies every rule of the module docstring; ``busy`` may be unsorted and must contain at least the
    appointments in :func:`busy_window`.  Naive datetimes raise ValueError.
    """
    if duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    now, ws, we = _utc(now, "now"), _utc(window_start, "window_start"), _utc(window_end, "window_end")
    zone = _zone(avail.timezone)
    duration = timedelta(minutes=duration_minutes)
    step = timedelta(minutes=avail.slot_step_minutes)
    index = _BusyIndex(busy, timedelta(minutes=avail.gap_minutes), zone, avail.max_per_day is not None)
    earliest = max(ws, now + timedelta(minutes=avail.min_notice_minutes))
    today = now.astimezone(zone).date()
    last_day = today + timedelta(days=avail.horizon_days)

    # A wall time on date d maps to an instant whose local date is d (or later, when pushed over a gap),
    # so only dates within a day of the window can hold candidates in it; dates before yesterday cannot
    # reach `now` and dates past the horizon are rejected anyway.
    day = max(ws.astimezone(zone).date(), today) - _ONE_DAY
    stop_day = min(we.astimezone(zone).date() + _ONE_DAY, last_day)
    found: set[datetime] = set()  # a set: overlapping intervals may produce the same instant twice
    while day <= stop_day:
        for iv in avail.intervals_on(day):
            start, end = wall_to_utc(day, iv.start_minute, zone), wall_to_utc(day, iv.end_minute, zone)
            found.update(_candidates(start, end, step, duration, earliest, we))
        day += _ONE_DAY

    offered = []
    for start in sorted(found):
        local_day = start.astimezone(zone).date()
        if local_day > last_day or index.conflicts(start, start + duration):
            continue
        if avail.max_per_day is not None and index.per_day[local_day] >= avail.max_per_day:
            continue
        offered.append(start)
    return offered


def slots_for_range(
    avail: Availability,
    duration_minutes: int,
    busy: Sequence[Busy],
    now: datetime,
    from_date: date,
    to_date: date,
    view_tz: str,
) -> list[tuple[datetime, datetime]]:
    """Offered ``(start, end)`` pairs whose start's local date in ``view_tz`` is in ``[from_date, to_date]``.

    The instants are those of :func:`compute_slots`; only their rendering (aware datetimes carrying
    ``view_tz``'s offset) and the date filter depend on the viewer.
    """
    view = _zone(view_tz)
    lo, hi = local_range_to_utc(from_date, to_date, view_tz)
    duration = timedelta(minutes=duration_minutes)
    result = []
    for start in compute_slots(avail, duration_minutes, busy, now, lo, hi):
        local = start.astimezone(view)
        # The window already matches the range; the date test keeps the rule exact even in zones whose
        # transitions happen around midnight.
        if from_date <= local.date() <= to_date:
            result.append((local, (start + duration).astimezone(view)))
    return result


def is_offered(
    avail: Availability, duration_minutes: int, busy: Sequence[Busy], now: datetime, start: datetime
) -> bool:
    """True iff ``start`` (any offset) is exactly one of the instants :func:`compute_slots` offers.

    Implemented as compute_slots over the one-instant window ``[start, start + 1 µs)`` so the two can
    never disagree; booking calls it inside its transaction with freshly loaded ``busy``.
    """
    instant = _utc(start, "start")
    return instant in compute_slots(avail, duration_minutes, busy, now, instant, instant + _TICK)


def is_free(avail: Availability, duration_minutes: int, busy: Sequence[Busy], start: datetime) -> bool:
    """Whether a colleague could take over a visit already promised to a patient at ``start``: the
    whole visit lies inside one of their availability intervals of its clinician-local date (or of the
    day before, for an interval ending at 24:00), it conflicts with none of their booked appointments
    (the same rule and gap as ``compute_slots``) and, with ``max_per_day`` set, that date has room.
    Not applied, on purpose: the slot grid, minimum notice and horizon, which govern what patients may
    pick, not a time the practice already gave them."""
    if duration_minutes <= 0:
        raise ValueError("duration_minutes must be positive")
    start = _utc(start, "start")
    end = start + timedelta(minutes=duration_minutes)
    zone = _zone(avail.timezone)
    local_day = start.astimezone(zone).date()
    inside = any(
        wall_to_utc(day, iv.start_minute, zone) <= start and end <= wall_to_utc(day, iv.end_minute, zone)
        for day in (local_day - _ONE_DAY, local_day)
        for iv in avail.intervals_on(day)
    )
    if not inside:
        return False
    index = _BusyIndex(busy, timedelta(minutes=avail.gap_minutes), zone, avail.max_per_day is not None)
    if index.conflicts(start, end):
        return False
    return avail.max_per_day is None or index.per_day[local_day] < avail.max_per_day

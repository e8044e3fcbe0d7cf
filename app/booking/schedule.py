"""The clinician's calendar grid, laid out without Flask or a database: which local days a day or week
view shows, where each visit sits on its day in the clinician's zone, which hours are open.

Positions are wall-clock minutes of the local day, as a paper calendar has them: on a day the clocks
change, a 10:00 visit still sits at 10:00 (its UTC instant moved by an hour, its row did not). The
grid's rows are ``ROW_MINUTES`` long; a visit that runs past midnight is cut at the day's end.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from app.booking.slots import MINUTES_PER_DAY, Availability, format_hhmm

ROW_MINUTES = 15
DAY_START, DAY_END = 7 * 60, 20 * 60  # shown even when empty; stretched to fit what the days hold


class View(StrEnum):
    DAY = "day"
    WEEK = "week"


@dataclass(frozen=True)
class Visit:
    """What the grid needs to know of one appointment."""

    id: int
    start: datetime  # aware
    end: datetime
    patient_id: int
    patient_name: str
    type_name: str
    status: str


@dataclass(frozen=True)
class Block:
    visit: Visit
    start_minute: int  # wall-clock minute of its day
    end_minute: int
    label: str  # complete on its own: "10:00–11:00 Alex Rivera, psychiatric evaluation, booked"


@dataclass(frozen=True)
class Span:
    start_minute: int
    end_minute: int

    @property
    def label(self) -> str:
        return f"{format_hhmm(self.start_minute)}–{format_hhmm(self.end_minute)}"


@dataclass
class Day:
    day: date
    is_today: bool
    blocks: list[Block] = field(default_factory=list)
    open: list[Span] = field(default_factory=list)


@dataclass
class Grid:
    view: View
    anchor: date  # the day shown, or the Monday of the week shown
    days: list[Day]
    first_minute: int
    last_minute: int
    timezone: str

    @property
    def rows(self) -> int:
        return (self.last_minute - self.first_minute) // ROW_MINUTES

    @property
    def hours(self) -> list[int]:
        return list(range(self.first_minute, self.last_minute, 60))

    def row_of(self, minute: int) -> int:
        """The 1-based CSS grid line where ``minute`` falls (row 1 is the day's heading)."""
        return 2 + (max(minute, self.first_minute) - self.first_minute) // ROW_MINUTES

    def row_end(self, minute: int) -> int:
        span = -(-(min(minute, self.last_minute) - self.first_minute) // ROW_MINUTES)  # ceiling
        return max(2 + span, 0)

    @property
    def previous(self) -> date:
        return self.anchor - timedelta(days=1 if self.view == View.DAY else 7)

    @property
    def next(self) -> date:
        return self.anchor + timedelta(days=1 if self.view == View.DAY else 7)


def anchor_of(view: View, day: date) -> date:
    """The first day shown: the day itself, or the Monday of its week."""
    return day if view == View.DAY else day - timedelta(days=day.weekday())


def days_shown(view: View, anchor: date) -> list[date]:
    return [anchor + timedelta(days=i) for i in range(1 if view == View.DAY else 7)]


def _wall_minute(moment: datetime, zone: ZoneInfo) -> tuple[date, int]:
    local = moment.astimezone(zone)
    return local.date(), local.hour * 60 + local.minute


def block_label(visit: Visit, zone: ZoneInfo) -> str:
    start, end = visit.start.astimezone(zone), visit.end.astimezone(zone)
    status = visit.status.replace("_", "-")
    return f"{start:%H:%M}–{end:%H:%M} {visit.patient_name}, {visit.type_name.lower()}, {status}"


def layout(
    view: View, day: date, today: date, timezone: str, visits: Iterable[Visit], availability: Availability | None
) -> Grid:
    """The grid of the day or week holding ``day``, in ``timezone`` (the clinician's)."""
    zone = ZoneInfo(timezone)
    anchor = anchor_of(view, day)
    days = [Day(d, d == today) for d in days_shown(view, anchor)]
    by_date = {d.day: d for d in days}
    for visit in sorted(visits, key=lambda v: v.start):
        start_day, start_minute = _wall_minute(visit.start, zone)
        end_day, end_minute = _wall_minute(visit.end, zone)
        if start_day not in by_date:
            continue
        if end_day != start_day:
            end_minute = MINUTES_PER_DAY
        end_minute = max(end_minute, start_minute + ROW_MINUTES)  # never a zero-height block
        by_date[start_day].blocks.append(Block(visit, start_minute, end_minute, block_label(visit, zone)))
    if availability is not None:
        for d in days:
            d.open = [Span(i.start_minute, i.end_minute) for i in sorted(availability.intervals_on(d.day),
                                                                         key=lambda i: i.start_minute)]  # fmt: skip
    first, last = _hours(days)
    return Grid(view, anchor, days, first, last, timezone)


def _hours(days: Sequence[Day]) -> tuple[int, int]:
    spans = [(b.start_minute, b.end_minute) for d in days for b in d.blocks]
    spans += [(s.start_minute, s.end_minute) for d in days for s in d.open]
    first = min([DAY_START, *(start for start, _ in spans)])
    last = max([DAY_END, *(end for _, end in spans)])
    return first // 60 * 60, min(MINUTES_PER_DAY, -(-last // 60) * 60)

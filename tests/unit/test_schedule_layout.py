"""The schedule grid's layout (wall-clock rows in the clinician's zone, across clock changes) and the
availability grid's checks (overlaps, end before start, 00:00 as the day's end), without Flask."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from app.booking import availability_grid as ag
from app.booking.schedule import ROW_MINUTES, View, Visit, layout
from app.booking.slots import Availability, Interval

LA = "America/Los_Angeles"


def _visit(start: datetime, minutes: int = 60, status: str = "booked") -> Visit:
    return Visit(1, start, start + timedelta(minutes=minutes), 7, "Alex Rivera", "Psychiatric evaluation", status)


def test_a_block_says_everything_in_words():
    grid = layout(
        View.DAY, date(2027, 3, 15), date(2027, 3, 15), LA, [_visit(datetime(2027, 3, 15, 17, tzinfo=UTC))], None
    )
    assert [b.label for b in grid.days[0].blocks] == ["10:00–11:00 Alex Rivera, psychiatric evaluation, booked"]


def test_the_week_starts_on_monday_and_marks_today():
    grid = layout(View.WEEK, date(2027, 3, 11), date(2027, 3, 10), LA, [], None)
    assert grid.anchor == date(2027, 3, 8) and [d.day.day for d in grid.days] == list(range(8, 15))
    assert [d.is_today for d in grid.days].index(True) == 2
    assert grid.previous == date(2027, 3, 1) and grid.next == date(2027, 3, 15)


def test_fall_back_day_keeps_wall_clock_rows_and_open_hours():
    """Clocks fall back on 2027-11-07: 10:00 is 17:00 UTC on Saturday and 18:00 UTC on Sunday."""
    hours = Availability(LA, {d: (Interval(540, 1020),) for d in range(7)}, {})
    visits = [_visit(datetime(2027, 11, 6, 17, tzinfo=UTC)), _visit(datetime(2027, 11, 7, 18, tzinfo=UTC))]
    grid = layout(View.WEEK, date(2027, 11, 1), date(2027, 11, 1), LA, visits, hours)
    saturday, sunday = grid.days[5], grid.days[6]
    assert [(b.start_minute, b.end_minute) for b in saturday.blocks] == [(600, 660)]
    assert [(b.start_minute, b.end_minute) for b in sunday.blocks] == [(600, 660)]
    assert [s.label for s in sunday.open] == ["09:00–17:00"]


def test_a_visit_past_midnight_is_cut_at_the_days_end_and_the_grid_stretches():
    grid = layout(
        View.DAY, date(2027, 1, 4), date(2027, 1, 4), LA, [_visit(datetime(2027, 1, 5, 7, 30, tzinfo=UTC))], None
    )
    (block,) = grid.days[0].blocks
    assert (block.start_minute, block.end_minute) == (23 * 60 + 30, 1440) and grid.last_minute == 1440


@given(st.integers(0, 24 * 60 // ROW_MINUTES - 1), st.integers(1, 8), st.sampled_from([LA, "America/New_York", "UTC"]))
def test_rows_follow_the_wall_clock(slot, quarters, tz):
    day = date(2027, 6, 9)
    local = datetime(2027, 6, 9, tzinfo=ZoneInfo(tz)) + timedelta(minutes=slot * ROW_MINUTES)
    grid = layout(View.DAY, day, day, tz, [_visit(local.astimezone(UTC), quarters * ROW_MINUTES)], None)
    (block,) = grid.days[0].blocks
    assert block.start_minute == slot * ROW_MINUTES
    assert grid.first_minute <= block.start_minute < block.end_minute <= grid.last_minute
    assert grid.row_end(block.end_minute) - grid.row_of(block.start_minute) == -(
        -(block.end_minute - block.start_minute) // ROW_MINUTES
    )


def test_grid_checks_overlaps_end_before_start_and_reads_midnight():
    rows = ag.from_form({"w0-0-start": "09:00", "w0-0-end": "17:00", "w0-1-start": "16:00", "w0-1-end": "18:00",
                         "w0-2-start": "17:30", "w0-2-end": "18:30", "w1-0-start": "12:00", "w1-0-end": "11:00",
                         "w2-0-start": "22:00", "w2-0-end": "00:00"})  # fmt: skip
    weekly, _, errors = ag.document_parts(rows)
    assert set(errors) == {"w0-1-start", "w0-2-start", "w1-0-end"}  # 17:30 overlaps the 16:00-18:00 range
    assert "overlaps 16:00–18:00 on Monday" in errors["w0-2-start"]
    assert {"weekday": 2, "start": "22:00", "end": "24:00"} in weekly


def test_round_trip_through_the_rows():
    doc = {"weekly": [{"weekday": 3, "start": "08:00", "end": "24:00"}],
           "overrides": [{"date": "2030-01-02", "intervals": []},
                         {"date": "2030-01-03", "intervals": [{"start": "09:00", "end": "10:00"}]}]}  # fmt: skip
    weekly, overrides, errors = ag.document_parts(ag.from_document(doc))
    assert not errors and weekly == doc["weekly"] and overrides == doc["overrides"]

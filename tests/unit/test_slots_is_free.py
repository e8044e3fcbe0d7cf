"""``slots.is_free``: can a colleague take over a visit already promised at ``start`` (offboarding)?
Inside one availability interval, no conflict under the gap, room under ``max_per_day``; the slot grid,
notice and horizon do not apply. Each rule pinned on both sides of its boundary."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.booking.slots import Availability, Busy, Interval, compute_slots, is_free, parse_hhmm

NY = "America/New_York"


def iv(start: str, end: str) -> Interval:
    return Interval(parse_hhmm(start), parse_hhmm(end, allow_24=True))


def ny(day: int, hour: int, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(2027, 3, day, hour, minute, tzinfo=ZoneInfo(NY)).astimezone(UTC)


def hours(*intervals: Interval, **kw) -> Availability:
    return Availability(NY, {wd: tuple(intervals) for wd in range(7)}, {}, **kw)


@pytest.mark.parametrize(("start", "free"), [((9, 0), True), ((8, 59), False), ((16, 10), True), ((16, 11), False)])
def test_the_visit_lies_inside_the_hours(start, free):
    assert is_free(hours(iv("09:00", "17:00")), 50, [], ny(10, *start)) is free


def test_off_the_grid_and_without_notice_is_still_free():
    avail = hours(iv("09:00", "17:00"), slot_step_minutes=60, min_notice_minutes=10_000, horizon_days=0)
    start = ny(10, 9, 20)
    assert is_free(avail, 50, [], start)
    assert compute_slots(avail, 50, [], start - timedelta(days=1), start, start + timedelta(hours=1)) == []


@pytest.mark.parametrize(("ends_before", "free"), [(10, True), (9, False)])
def test_the_gap_after_a_booked_visit(ends_before, free):
    start = ny(10, 12)
    busy = [Busy(start - timedelta(minutes=60 + ends_before), start - timedelta(minutes=ends_before))]
    assert is_free(hours(iv("09:00", "17:00"), gap_minutes=10), 50, busy, start) is free


@pytest.mark.parametrize(("starts_after", "free"), [(10, True), (9, False)])
def test_the_gap_before_a_booked_visit(starts_after, free):
    start = ny(10, 12)
    later = start + timedelta(minutes=50 + starts_after)
    busy = [Busy(later, later + timedelta(minutes=30))]
    assert is_free(hours(iv("09:00", "17:00"), gap_minutes=10), 50, busy, start) is free


@pytest.mark.parametrize(("booked", "free"), [(1, True), (2, False)])
def test_the_daily_cap(booked, free):
    busy = [Busy(ny(10, 9 + i), ny(10, 9 + i, 30)) for i in range(booked)]
    assert is_free(hours(iv("09:00", "17:00"), max_per_day=2), 50, busy, ny(10, 15)) is free


def test_an_interval_to_midnight_holds_a_late_visit_and_a_day_off_none():
    assert is_free(hours(iv("20:00", "24:00")), 50, [], ny(10, 23, 10))
    assert not is_free(hours(iv("20:00", "24:00")), 50, [], ny(10, 23, 11))
    off = Availability(NY, {}, {}, 0)
    assert not is_free(off, 20, [], ny(10, 12))


@settings(max_examples=150, deadline=None, database=None)
@given(minute=st.integers(0, 24 * 60 - 1), gap=st.integers(0, 30))
def test_every_offered_slot_is_free(minute, gap):
    """What patients may book is always free for a takeover (the converse is not required)."""
    avail = hours(iv("09:00", "12:00"), iv("13:00", "17:00"), gap_minutes=gap, min_notice_minutes=0)
    busy = [Busy(ny(10, 10), ny(10, 10, 50)), Busy(ny(10, 14, 5), ny(10, 14, 25))]
    start = ny(10, 0) + timedelta(minutes=minute)
    offered = compute_slots(avail, 50, busy, ny(9, 0), start, start + timedelta(microseconds=1))
    if offered:
        assert is_free(avail, 50, busy, start)

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


def test_a_duration_that_is_not_positive_is_refused_and_one_minute_is_a_visit():
    with pytest.raises(ValueError, match=r"^duration_minutes must be positive$"):
        is_free(hours(iv("09:00", "17:00")), 0, [], ny(10, 9))
    assert is_free(hours(iv("09:00", "17:00")), 1, [], ny(10, 16, 59))


def test_a_naive_start_is_refused_naming_it():
    with pytest.raises(ValueError, match=r"^start must be a timezone-aware datetime$"):
        is_free(hours(iv("09:00", "17:00")), 50, [], datetime(2027, 3, 10, 9))


TOKYO = "Asia/Tokyo"  # ahead of UTC: the clinician's date is a day later than UTC's in the morning


def tokyo(day: int, hour: int, minute: int = 0) -> datetime:
    from zoneinfo import ZoneInfo

    return datetime(2027, 3, day, hour, minute, tzinfo=ZoneInfo(TOKYO)).astimezone(UTC)


def test_the_day_and_the_daily_cap_are_the_clinicians_own_not_utcs():
    # 08:00 in Tokyo is 23:00 UTC the day before: the hours and the count are those of Tokyo's date.
    mornings = Availability(TOKYO, {wd: (iv("07:00", "12:00"),) for wd in range(7)}, {}, max_per_day=1)
    assert is_free(mornings, 50, [], tokyo(10, 8))
    earlier_that_morning = [Busy(tokyo(10, 7), tokyo(10, 7, 30))]  # 22:00 UTC on the 9th
    assert not is_free(mornings, 50, earlier_that_morning, tokyo(10, 10))
    assert is_free(mornings, 50, [Busy(tokyo(9, 7), tokyo(9, 7, 30))], tokyo(10, 10))  # the day before

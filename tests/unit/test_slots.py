"""Tests for app.booking.slots: hand-computed examples plus property tests against a brute-force oracle."""

from __future__ import annotations

import re
import time as system_time
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.booking.slots import (
    Availability,
    Busy,
    Interval,
    busy_window,
    compute_slots,
    format_hhmm,
    is_offered,
    local_range_to_utc,
    parse_hhmm,
    slots_for_range,
    wall_to_utc,
)

LA, NY = "America/Los_Angeles", "America/New_York"
# database=None: no .hypothesis/ example store written into the repo.
PROPS = settings(max_examples=120, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def iv(start: str, end: str) -> Interval:
    return Interval(parse_hhmm(start), parse_hhmm(end, allow_24=True))


def avail(tz: str = "UTC", weekly=None, overrides=None, **kw) -> Availability:
    kw.setdefault("min_notice_minutes", 0)
    kw.setdefault("horizon_days", 3650)  # examples use a fixed FAR_PAST "now"
    return Availability(tz, weekly or {}, overrides or {}, **kw)


def every_day(*intervals: Interval) -> dict[int, tuple[Interval, ...]]:
    return {wd: tuple(intervals) for wd in range(7)}


FAR_PAST = utc(2027, 1, 1)  # "now" for examples that are not about notice/horizon


def slots(a: Availability, dur: int, busy=(), now=FAR_PAST, ws=None, we=None) -> list[datetime]:
    return compute_slots(a, dur, list(busy), now, ws or now - timedelta(days=1), we or now + timedelta(days=400))


# --- brute-force oracle: independent of the module's conversions and optimisations ------------------------


def oracle_wall_to_utc(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Contract semantics without relying on fold: first valid occurrence, else shift over the gap."""
    naive = datetime.combine(day, time()) + timedelta(minutes=minute)
    as_utc = naive.replace(tzinfo=UTC)
    offsets = {(as_utc + timedelta(hours=h)).astimezone(zone).utcoffset() for h in range(-26, 27)}
    valid = [
        naive - o for o in offsets if (naive - o).replace(tzinfo=UTC).astimezone(zone).replace(tzinfo=None) == naive
    ]
    if valid:
        return min(valid).replace(tzinfo=UTC)
    # Nonexistent: interpret with the offset in force just before the transition (moves it forward).
    before = (as_utc - timedelta(hours=26)).astimezone(zone).utcoffset()
    return (naive - before).replace(tzinfo=UTC)


def oracle_candidates(a: Availability, dur: int, ws: datetime, we: datetime) -> set[datetime]:
    zone = ZoneInfo(a.timezone)
    out: set[datetime] = set()
    day = ws.astimezone(zone).date() - timedelta(days=3)
    while day <= we.astimezone(zone).date() + timedelta(days=3):
        for i in a.overrides[day] if day in a.overrides else a.weekly.get(day.weekday(), ()):
            t, end = (
                oracle_wall_to_utc(day, i.start_minute, zone),
                oracle_wall_to_utc(day, i.end_minute, zone),
            )
            while t + timedelta(minutes=dur) <= end:
                if ws <= t < we:
                    out.add(t)
                t += timedelta(minutes=a.slot_step_minutes)
        day += timedelta(days=1)
    return out


def conflicts(s: datetime, e: datetime, b: Busy, gap: int) -> bool:
    g = timedelta(minutes=gap)
    return s < b.end + g and b.start < e + g


def oracle(a: Availability, dur: int, busy: list[Busy], now: datetime, ws: datetime, we: datetime):
    zone = ZoneInfo(a.timezone)
    today = now.astimezone(zone).date()
    out = []
    for c in sorted(oracle_candidates(a, dur, ws, we)):
        local = c.astimezone(zone).date()
        if c < now + timedelta(minutes=a.min_notice_minutes) or (local - today).days > a.horizon_days:
            continue
        if any(conflicts(c, c + timedelta(minutes=dur), b, a.gap_minutes) for b in busy):
            continue
        if a.max_per_day is not None and sum(b.start.astimezone(zone).date() == local for b in busy) >= a.max_per_day:
            continue
        out.append(c)
    return out


# --- strategies ----------------------------------------------------------------------------------------

ZONES = [
    "UTC",
    LA,
    NY,
    "Europe/London",
    "Australia/Lord_Howe",
    "Asia/Kolkata",
    "Pacific/Kiritimati",
    "America/St_Johns",
    "Pacific/Chatham",
    "America/Santiago",
    "Pacific/Pago_Pago",
]
# Zones whose DST transitions never touch local midnight, so "inside an interval of its local date" holds.
SANE_ZONES = ["UTC", LA, NY, "Europe/London", "Asia/Kolkata", "Pacific/Kiritimati", "America/St_Johns"]
# DST transition days of the zones above in 2027, so examples cluster where bugs live.
ANCHORS = [
    utc(2027, 3, 14),
    utc(2027, 3, 28),
    utc(2027, 4, 4),
    utc(2027, 9, 5),
    utc(2027, 9, 26),
    utc(2027, 10, 3),
    utc(2027, 10, 31),
    utc(2027, 11, 7),
    utc(2027, 6, 1),
]


@st.composite
def intervals(draw) -> tuple[Interval, ...]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.integers(0, 1439))
        end = draw(st.one_of(st.just(1440), st.integers(start + 1, 1440)))
        out.append(Interval(start, end))
    return tuple(out)


@st.composite
def scenarios(draw, zones=ZONES):
    anchor = draw(st.sampled_from(ANCHORS))
    a = Availability(
        draw(st.sampled_from(zones)),
        {wd: draw(intervals()) for wd in range(7) if draw(st.booleans())},
        {(anchor + timedelta(days=k)).date(): draw(intervals()) for k in draw(st.sets(st.integers(-3, 9)))},
        gap_minutes=draw(st.sampled_from([0, 0, 5, 10, 30])),
        slot_step_minutes=draw(st.sampled_from([10, 15, 20, 30, 45, 60])),
        min_notice_minutes=draw(st.sampled_from([0, 30, 240, 1440])),
        horizon_days=draw(st.integers(0, 8)),
        max_per_day=draw(st.sampled_from([None, None, 0, 1, 2, 3])),
    )
    now = anchor + timedelta(minutes=draw(st.integers(-2880, 2880)), seconds=draw(st.integers(0, 59)))
    dur = draw(st.sampled_from([15, 30, 45, 50, 60, 90]))
    busy = []
    for _ in range(draw(st.integers(0, 12))):
        start = anchor + timedelta(minutes=draw(st.integers(-2880, 14400)))
        end = start + timedelta(minutes=draw(st.integers(0, 180)))
        view = ZoneInfo(draw(st.sampled_from(ZONES)))  # any offset must be accepted
        busy.append(Busy(start.astimezone(view), end.astimezone(view)))
    ws = now + timedelta(minutes=draw(st.integers(-2880, 4320)))
    we = ws + timedelta(minutes=draw(st.integers(0, 11520)))
    return a, dur, busy, now, ws, we


# --- property tests ------------------------------------------------------------------------------------


@PROPS
@given(scenarios())
def test_matches_brute_force_oracle(sc):
    assert compute_slots(*sc) == oracle(*sc)


@PROPS
@given(scenarios(zones=SANE_ZONES))
def test_offered_slots_obey_every_rule(sc):
    a, dur, busy, now, ws, we = sc
    zone, d = ZoneInfo(a.timezone), timedelta(minutes=dur)
    got = compute_slots(*sc)
    assert got == sorted(set(got))
    for s in got:
        assert s.tzinfo is UTC and ws <= s < we and s >= now + timedelta(minutes=a.min_notice_minutes)
        assert not any(conflicts(s, s + d, b, a.gap_minutes) for b in busy)
        local = s.astimezone(zone).date()
        assert (local - now.astimezone(zone).date()).days <= a.horizon_days
        inside = [
            i
            for i in (a.overrides[local] if local in a.overrides else a.weekly.get(local.weekday(), ()))
            if oracle_wall_to_utc(local, i.start_minute, zone) <= s
            and s + d <= oracle_wall_to_utc(local, i.end_minute, zone)
        ]
        assert inside, f"{s} not inside an interval of {local}"
        if a.max_per_day is not None:
            assert sum(b.start.astimezone(zone).date() == local for b in busy) < a.max_per_day


@PROPS
@given(scenarios(), st.sampled_from(ZONES))
def test_is_offered_agrees_with_compute_slots(sc, view):
    a, dur, busy, now, ws, we = sc
    offered = set(compute_slots(*sc))
    probes = oracle_candidates(a, dur, ws, we) | {s + timedelta(minutes=m) for s in offered for m in (-1, 1)}
    probes |= {s + timedelta(microseconds=1) for s in offered}
    for p in probes:
        assert is_offered(a, dur, busy, now, p.astimezone(ZoneInfo(view))) == (p in offered), p


@PROPS
@given(scenarios(), st.sampled_from(ZONES), st.sampled_from(ZONES), st.integers(-3, 3), st.integers(2, 8))
def test_viewer_zone_never_changes_the_instants(sc, tz1, tz2, offset, span):
    a, dur, busy, now, _, _ = sc
    first = now.date() + timedelta(days=offset)
    last = first + timedelta(days=span)
    r1 = slots_for_range(a, dur, busy, now, first, last, tz1)
    r2 = slots_for_range(a, dur, busy, now, first, last, tz2)
    (lo1, hi1), (lo2, hi2) = local_range_to_utc(first, last, tz1), local_range_to_utc(first, last, tz2)
    lo, hi = max(lo1, lo2), min(hi1, hi2)
    assert lo < hi  # span >= 2 days keeps a real overlap even between UTC+14 and UTC-11
    # Compare in UTC: Python's inter-zone == is always False for a time inside a DST fold (PEP 495).
    u1, u2 = [s.astimezone(UTC) for s, _ in r1], [s.astimezone(UTC) for s, _ in r2]
    assert {s for s in u1 if lo <= s < hi} == {s for s in u2 if lo <= s < hi}
    assert u1 == compute_slots(a, dur, busy, now, lo1, hi1)
    for tz, rows in ((tz1, r1), (tz2, r2)):
        for s, e in rows:
            assert s.utcoffset() == s.astimezone(ZoneInfo(tz)).utcoffset() and first <= s.date() <= last
            # Same-tzinfo subtraction is wall-clock in Python, so compare elapsed time in UTC.
            assert e.astimezone(UTC) - s.astimezone(UTC) == timedelta(minutes=dur)
            assert e.utcoffset() == e.astimezone(ZoneInfo(tz)).utcoffset()


@PROPS
@given(scenarios())
def test_loading_only_busy_window_gives_same_slots(sc):
    a, dur, busy, now, ws, we = sc
    lo, hi = busy_window(a, dur, ws, we)
    loaded = [b for b in busy if b.start < hi and (b.end > lo or b.start >= lo)]
    assert compute_slots(a, dur, loaded, now, ws, we) == compute_slots(*sc)
    # and the window is not absurdly wide
    assert ws - lo <= timedelta(days=3) and hi - we <= timedelta(days=3, minutes=dur + a.gap_minutes)


@pytest.mark.parametrize(
    ("max_per_day", "gap", "busy_at", "window", "expected"),
    [
        # max_per_day counts appointments earlier / later on the same local date, outside the window.
        (1, 0, ("08:00", "09:00"), ("12:00", "13:00"), []),
        (1, 0, ("20:00", "21:00"), ("12:00", "13:00"), []),
        # gap conflicts reach past both window edges: ends before the start, starts after start + duration.
        (None, 30, ("11:00", "11:45"), ("12:00", "12:01"), []),
        (None, 30, ("13:10", "14:00"), ("12:00", "12:01"), []),
        (None, 30, ("13:30", "14:00"), ("12:00", "12:01"), [utc(2027, 1, 4, 20)]),  # 12:00 PST
    ],
)
def test_busy_window_covers_edge_appointments(max_per_day, gap, busy_at, window, expected):
    a = avail(LA, weekly=every_day(iv("00:00", "24:00")), max_per_day=max_per_day, gap_minutes=gap)
    pst = ZoneInfo(LA)

    def at(hhmm: str) -> datetime:
        return datetime.combine(MONDAY, time.fromisoformat(hhmm), tzinfo=pst)

    busy = [Busy(at(busy_at[0]), at(busy_at[1]))]
    ws, we = at(window[0]), at(window[1])
    lo, hi = busy_window(a, 60, ws, we)
    assert [b for b in busy if b.start < hi and b.end > lo] == busy
    assert compute_slots(a, 60, busy, FAR_PAST, ws, we) == expected


# --- DST: hand-computed instants -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "start", "end", "dur", "expected"),
    [
        # LA spring forward 2027-03-14 02:00 PST -> 03:00 PDT: 02:30 does not exist -> 03:30 PDT = 10:30Z.
        (
            LA,
            date(2027, 3, 14),
            "02:30",
            "05:00",
            30,
            [utc(2027, 3, 14, 10, 30), utc(2027, 3, 14, 11), utc(2027, 3, 14, 11, 30)],
        ),
        # 01:00 PST (09:00Z) .. 04:00 PDT (11:00Z) is two elapsed hours: 01:00, 01:30 PST, 03:00, 03:30 PDT.
        (
            LA,
            date(2027, 3, 14),
            "01:00",
            "04:00",
            30,
            [utc(2027, 3, 14, 9), utc(2027, 3, 14, 9, 30), utc(2027, 3, 14, 10), utc(2027, 3, 14, 10, 30)],
        ),
        # An interval wholly inside the gap collapses: 02:15 -> 03:15 PDT, 03:00 PDT is before it.
        (LA, date(2027, 3, 14), "02:15", "03:00", 15, []),
        # LA fall back 2027-11-07: 01:00 is PDT (08:00Z), 03:00 is PST (11:00Z); 30-min elapsed steps.
        (
            LA,
            date(2027, 11, 7),
            "01:00",
            "03:00",
            30,
            [
                utc(2027, 11, 7, 8),
                utc(2027, 11, 7, 8, 30),
                utc(2027, 11, 7, 9),
                utc(2027, 11, 7, 9, 30),
                utc(2027, 11, 7, 10),
                utc(2027, 11, 7, 10, 30),
            ],
        ),
        # NY spring: 01:30 EST (06:30Z) .. 03:30 EDT (07:30Z) is one hour.
        (NY, date(2027, 3, 14), "01:30", "03:30", 30, [utc(2027, 3, 14, 6, 30), utc(2027, 3, 14, 7)]),
        # NY fall: 01:30 first occurrence = EDT (05:30Z) .. 02:00 EST (07:00Z).
        (
            NY,
            date(2027, 11, 7),
            "01:30",
            "02:00",
            30,
            [utc(2027, 11, 7, 5, 30), utc(2027, 11, 7, 6), utc(2027, 11, 7, 6, 30)],
        ),
    ],
)
def test_dst_days(tz, day, start, end, dur, expected):
    a = avail(tz, overrides={day: (iv(start, end),)}, slot_step_minutes=30 if dur == 30 else 15)
    assert slots(a, dur) == expected


def test_fall_back_local_rendering_in_los_angeles():
    a = avail(LA, weekly={6: (iv("01:00", "03:00"),)})  # weekday 6 = Sunday 2027-11-07
    got = slots_for_range(a, 30, [], FAR_PAST, date(2027, 11, 7), date(2027, 11, 7), LA)
    assert [(s.strftime("%H:%M"), s.utcoffset().total_seconds() / 3600) for s, _ in got] == [
        ("01:00", -7),
        ("01:30", -7),
        ("01:00", -8),
        ("01:30", -8),
        ("02:00", -8),
        ("02:30", -8),
    ]


def test_full_fall_back_day_has_25_hourly_slots_and_spring_day_23():
    a = avail(NY, weekly=every_day(iv("00:00", "24:00")), slot_step_minutes=60)
    fall = slots_for_range(a, 60, [], FAR_PAST, date(2027, 11, 7), date(2027, 11, 7), NY)
    assert len(fall) == 25 and fall[0][0] == utc(2027, 11, 7, 4) and fall[-1][0] == utc(2027, 11, 8, 4)
    spring = slots_for_range(a, 60, [], FAR_PAST, date(2027, 3, 14), date(2027, 3, 14), NY)
    assert len(spring) == 23 and spring[2][0] == utc(2027, 3, 14, 7)  # 03:00 EDT follows 01:00 EST


# --- rule edge cases -----------------------------------------------------------------------------------

MONDAY = date(2027, 1, 4)


def test_min_notice_boundary_is_inclusive():
    a = avail(weekly=every_day(iv("00:00", "24:00")), min_notice_minutes=240)
    assert slots(a, 30, now=utc(2027, 1, 4, 8))[0] == utc(2027, 1, 4, 12)
    assert slots(a, 30, now=utc(2027, 1, 4, 8, 0, 1))[0] == utc(2027, 1, 4, 12, 30)


def test_horizon_counts_local_dates_in_clinician_zone():
    a = avail(LA, weekly=every_day(iv("00:00", "24:00")), horizon_days=2)
    now = utc(2027, 1, 5, 7)  # 2027-01-04 23:00 PST: "today" is the 4th in LA although the 5th in UTC
    got = slots(a, 30, now=now)
    assert got[-1] == utc(2027, 1, 7, 7, 30)  # 2027-01-06 23:30 PST: exactly horizon_days -> allowed
    assert max(s.astimezone(ZoneInfo(LA)).date() for s in got) == date(2027, 1, 6)
    assert not is_offered(a, 30, [], now, utc(2027, 1, 7, 8))  # 2027-01-07 00:00 PST: one day more


def test_horizon_zero_means_today_only():
    a = avail(weekly=every_day(iv("09:00", "10:00")), horizon_days=0)
    assert slots(a, 30, now=utc(2027, 1, 4, 6)) == [utc(2027, 1, 4, 9), utc(2027, 1, 4, 9, 30)]


def test_max_per_day_counts_appointments_by_clinician_local_start_date():
    a = avail(LA, weekly=every_day(iv("09:00", "12:00")), max_per_day=2)
    pst = ZoneInfo(LA)
    busy = [
        Busy(datetime(2027, 1, 4, 13, tzinfo=pst), datetime(2027, 1, 4, 14, tzinfo=pst)),
        # 23:30 PST on the 4th is the 5th in UTC; it still counts for the 4th.
        Busy(datetime(2027, 1, 4, 23, 30, tzinfo=pst), datetime(2027, 1, 5, 0, 30, tzinfo=pst)),
        Busy(datetime(2027, 1, 5, 15, tzinfo=pst), datetime(2027, 1, 5, 16, tzinfo=pst)),
    ]
    got = {s.astimezone(pst).date() for s in slots(a, 60, busy, ws=utc(2027, 1, 4), we=utc(2027, 1, 7))}
    assert got == {date(2027, 1, 5), date(2027, 1, 6)}
    # max_per_day=0 closes every day; None (the default) means no limit.
    assert not slots(avail(LA, weekly=every_day(iv("09:00", "12:00")), max_per_day=0), 60)
    unlimited = avail(LA, weekly=every_day(iv("09:00", "12:00")))
    assert len(slots(unlimited, 60, busy, ws=utc(2027, 1, 4), we=utc(2027, 1, 7))) == 3 * 5


@pytest.mark.parametrize(
    ("gap", "expected"),
    [
        (0, ["08:00", "08:30", "09:00", "11:00", "11:30", "12:00", "12:30", "13:00"]),
        (10, ["08:00", "08:30", "11:30", "12:00", "12:30", "13:00"]),
    ],
)
def test_gap_edges(gap, expected):
    a = avail(overrides={MONDAY: (iv("08:00", "14:00"),)}, gap_minutes=gap)
    busy = [Busy(utc(2027, 1, 4, 10), utc(2027, 1, 4, 11))]
    assert [s.strftime("%H:%M") for s in slots(a, 60, busy)] == expected


def test_unsorted_overlapping_busy_uses_the_latest_end():
    a = avail(overrides={MONDAY: (iv("08:00", "14:00"),)})
    # The long appointment sorts first; a short one nested inside must not hide its end.
    busy = [
        Busy(utc(2027, 1, 4, 9, 30), utc(2027, 1, 4, 9, 45)),
        Busy(utc(2027, 1, 4, 9), utc(2027, 1, 4, 12)),
    ]
    expected = ["08:00", "12:00", "12:30", "13:00"]
    assert [s.strftime("%H:%M") for s in slots(a, 60, busy)] == expected
    assert [s.strftime("%H:%M") for s in slots(a, 60, busy[::-1])] == expected


def test_overrides_replace_weekly_and_empty_means_day_off():
    a = avail(
        weekly={0: (iv("09:00", "17:00"),)},
        overrides={
            MONDAY: (iv("12:00", "13:00"),),
            MONDAY + timedelta(days=7): (),
            MONDAY + timedelta(days=6): (iv("10:00", "11:00"),),
        },  # a Sunday with no weekly hours
    )
    got = slots(a, 30, ws=utc(2027, 1, 4), we=utc(2027, 1, 18))
    assert got == [
        utc(2027, 1, 4, 12),
        utc(2027, 1, 4, 12, 30),
        utc(2027, 1, 10, 10),
        utc(2027, 1, 10, 10, 30),
    ]


def test_24_00_end_and_duplicates_from_overlapping_intervals():
    a = avail(weekly={0: (iv("22:00", "24:00"), iv("22:30", "24:00"), iv("22:15", "23:15"))})
    got = slots(a, 60, ws=utc(2027, 1, 4), we=utc(2027, 1, 5, 12))
    assert [s.strftime("%H:%M") for s in got] == ["22:00", "22:15", "22:30", "23:00"]


def test_validation_errors():
    a = avail(weekly=every_day(iv("09:00", "10:00")))
    naive = datetime(2027, 1, 4, 9)  # deliberately naive
    with pytest.raises(ValueError, match="aware"):
        compute_slots(a, 30, [], naive, utc(2027, 1, 4), utc(2027, 1, 5))
    with pytest.raises(ValueError, match="aware"):
        compute_slots(a, 30, [], FAR_PAST, naive, utc(2027, 1, 5))
    with pytest.raises(ValueError, match="aware"):
        is_offered(a, 30, [], FAR_PAST, naive)
    with pytest.raises(ValueError, match="aware"):
        Busy(naive, utc(2027, 1, 4, 10))
    for bad in ({"timezone": "Mars/Olympus"}, {"slot_step_minutes": 0}, {"gap_minutes": -1}):
        with pytest.raises(ValueError):
            Availability(**{"timezone": "UTC", "weekly": {}, "overrides": {}, **bad})
    for lo, hi in ((600, 600), (-1, 10), (0, 1441)):
        with pytest.raises(ValueError):
            Interval(lo, hi)
    with pytest.raises(ValueError):
        compute_slots(a, 0, [], FAR_PAST, utc(2027, 1, 4), utc(2027, 1, 5))
    with pytest.raises(ValueError):
        local_range_to_utc(date(2027, 1, 5), date(2027, 1, 4), "UTC")


@pytest.mark.parametrize(
    "bad",
    [
        "25:00",
        "9:5",
        "09:5",
        "9:05",
        "24:30",
        "12:60",
        "ab:cd",
        "",
        "09-00",
        " 9:00",
        "+9:00",
        "\u0660\u0669:\u0660\u0660",
        "09: 5",
        "09:+5",
    ],
)
def test_parse_hhmm_rejects(bad):
    with pytest.raises(ValueError):
        parse_hhmm(bad, allow_24=True)


def test_parse_hhmm_accepts_and_24_needs_opt_in():
    assert [parse_hhmm(v) for v in ("00:00", "09:30", "23:59")] == [0, 570, 1439]
    assert parse_hhmm("24:00", allow_24=True) == 1440
    with pytest.raises(ValueError):
        parse_hhmm("24:00")


@settings(database=None)
@given(st.integers(0, 1440))
def test_format_parse_round_trip(minute):
    assert parse_hhmm(format_hhmm(minute), allow_24=True) == minute


def test_local_range_to_utc_and_from_document():
    assert local_range_to_utc(date(2027, 3, 14), date(2027, 3, 14), LA) == (
        utc(2027, 3, 14, 8),
        utc(2027, 3, 15, 7),
    )
    a = Availability.from_document(
        {
            "timezone": LA,
            "weekly": [
                {"weekday": 0, "start": "09:00", "end": "17:00"},
                {"weekday": 0, "start": "18:00", "end": "24:00"},
            ],
            "overrides": [
                {"date": "2027-03-15", "intervals": [{"start": "12:00", "end": "16:00"}]},
                {"date": "2027-03-22", "intervals": []},
            ],
            "gap_minutes": 5,
            "slot_step_minutes": 20,
            "min_notice_minutes": 240,
            "horizon_days": 60,
            "max_per_day": None,
        }
    )
    assert a.weekly == {0: (Interval(540, 1020), Interval(1080, 1440))} and a.slot_step_minutes == 20
    assert a.intervals_on(date(2027, 3, 15)) == (Interval(720, 960),) and a.intervals_on(date(2027, 3, 22)) == ()


def test_format_hhmm_says_which_minute_is_out_of_range():
    from app.booking.slots import format_hhmm

    assert format_hhmm(0) == "00:00" and format_hhmm(1440) == "24:00"
    with pytest.raises(ValueError, match=r"^minute 1441 outside 0\.\.1440$"):
        format_hhmm(1441)


def test_parse_hhmm_says_what_is_wrong_with_a_time():
    with pytest.raises(ValueError, match=r"^invalid time '09:a5': expected HH:MM$"):
        parse_hhmm("09:a5")
    with pytest.raises(ValueError, match=r"^invalid time '12:60': out of range$"):
        parse_hhmm("12:60")


def test_local_range_to_utc_says_why_it_refuses_a_range():
    with pytest.raises(ValueError, match=r"^from_date must not be after to_date$"):
        local_range_to_utc(date(2027, 1, 5), date(2027, 1, 4), "UTC")
    with pytest.raises(ValueError, match=r"^to_date out of range$"):
        local_range_to_utc(date(2027, 1, 5), date.max, "UTC")


def test_from_document_reads_every_optional_setting_and_merges_a_dates_overrides():
    a = Availability.from_document(
        {
            "timezone": NY,
            "overrides": [
                {"date": "2027-03-15", "intervals": [{"start": "09:00", "end": "10:00"}]},
                {"date": "2027-03-15", "intervals": [{"start": "14:00", "end": "15:00"}]},
            ],
            "gap_minutes": 7,
            "slot_step_minutes": 20,
            "min_notice_minutes": 90,
            "horizon_days": 14,
            "max_per_day": 3,
        }
    )
    settings_read = (a.gap_minutes, a.slot_step_minutes, a.min_notice_minutes, a.horizon_days, a.max_per_day)
    assert settings_read == (7, 20, 90, 14, 3)
    assert a.weekly == {} and a.intervals_on(date(2027, 3, 15)) == (Interval(540, 600), Interval(840, 900))
    bare = Availability.from_document({"timezone": "UTC"})  # no weekly hours, no overrides: no slots
    assert (bare.weekly, bare.overrides) == ({}, {})


def test_busy_window_is_the_clinicians_local_days_around_the_window_widened_by_the_gap():
    """lo = start of (first local day - 1) - gap; hi = start of (last local day + 2) + gap + duration,
    the days taken in the clinician's zone (02:00 UTC on 5 January is still 4 January in Los Angeles)."""
    a = avail(LA, gap_minutes=10)
    lo, hi = busy_window(a, 30, utc(2027, 1, 5, 2), utc(2027, 1, 5, 3))
    assert lo == utc(2027, 1, 3, 8) - timedelta(minutes=10)
    assert hi == utc(2027, 1, 6, 8) + timedelta(minutes=10 + 30)
    with pytest.raises(ValueError, match=r"^window_start must be a timezone-aware datetime$"):
        busy_window(a, 30, datetime(2027, 1, 5, 2), utc(2027, 1, 5, 3))
    with pytest.raises(ValueError, match=r"^window_end must be a timezone-aware datetime$"):
        busy_window(a, 30, utc(2027, 1, 5, 2), datetime(2027, 1, 5, 3))


def test_a_naive_datetime_is_refused_by_the_name_of_its_argument():
    a = avail(weekly=every_day(iv("09:00", "10:00")))
    naive, aware = datetime(2027, 1, 4, 9), utc(2027, 1, 4, 9)
    calls = {
        "now": lambda: compute_slots(a, 30, [], naive, aware, aware),
        "window_start": lambda: compute_slots(a, 30, [], FAR_PAST, naive, aware),
        "window_end": lambda: compute_slots(a, 30, [], FAR_PAST, aware, naive),
        "start": lambda: is_offered(a, 30, [], FAR_PAST, naive),
        "Busy.start": lambda: Busy(naive, aware),
        "Busy.end": lambda: Busy(aware, naive),
    }
    for name, call in calls.items():
        with pytest.raises(ValueError, match=rf"^{name} must be a timezone-aware datetime$"):
            call()


def test_wall_to_utc_takes_a_zone_by_name_and_1440_is_the_next_midnight():
    # A zone name, not only a ZoneInfo; 02:30 on New York's spring-forward day does not exist and
    # moves forward by the gap (03:30 EDT); 1440 is 00:00 of the next day, not 00:01.
    assert wall_to_utc(date(2027, 3, 14), 150, NY) == utc(2027, 3, 14, 7, 30)
    assert wall_to_utc(date(2027, 3, 14), 1440, NY) == utc(2027, 3, 15, 4, 0)
    assert wall_to_utc(date(2027, 3, 14), 1440, ZoneInfo(NY)) == utc(2027, 3, 15, 4, 0)


@pytest.mark.parametrize("minutes", [0, -30])
def test_compute_slots_refuses_a_duration_that_is_not_positive_and_says_so(minutes):
    with pytest.raises(ValueError, match=r"^duration_minutes must be positive$"):
        compute_slots(avail(weekly={0: [iv("09:00", "10:00")]}), minutes, [], utc(2027, 1, 1), utc(2027, 1, 4),
                      utc(2027, 1, 5))  # fmt: skip


def test_compute_slots_offers_a_one_minute_visit():
    slots = compute_slots(avail(weekly={0: [iv("09:00", "09:02")]}, slot_step_minutes=1), 1, [], utc(2027, 1, 1),
                          utc(2027, 1, 4), utc(2027, 1, 5))  # fmt: skip
    assert slots == [utc(2027, 1, 4, 9, 0), utc(2027, 1, 4, 9, 1)]


@pytest.fixture
def server_zone(monkeypatch):
    """Run with the server's own zone (TZ) set to a zone by name; restored afterwards."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        system_time.tzset()

    yield use
    monkeypatch.undo()
    system_time.tzset()


@pytest.mark.parametrize(
    ("clinician_zone", "server", "hours", "window"),
    [
        # 23:00-23:30 in Pago Pago (UTC-11) on 4 Jan is already 6 Jan in Kiritimati (UTC+14).
        ("Pacific/Pago_Pago", "Pacific/Kiritimati", ("23:00", "23:30"), ((2027, 1, 4, 23), (2027, 1, 4, 23, 30))),
        # 00:00-00:30 in Kiritimati on 4 Jan is still 2 Jan in Pago Pago.
        ("Pacific/Kiritimati", "Pacific/Pago_Pago", ("00:00", "00:30"), ((2027, 1, 4, 0), (2027, 1, 4, 0, 30))),
    ],
)
def test_slots_do_not_depend_on_the_servers_own_zone(server_zone, clinician_zone, server, hours, window):
    zone = ZoneInfo(clinician_zone)
    a = avail(clinician_zone, weekly={d: [iv(*hours)] for d in range(7)})
    lo, hi = (datetime(*w, tzinfo=zone) for w in window)
    for name in ("UTC", server):
        server_zone(name)
        assert compute_slots(a, 30, [], utc(2026, 12, 1), lo, hi) == [lo.astimezone(UTC)], name


def test_an_unknown_zone_and_an_empty_interval_say_what_is_wrong():
    with pytest.raises(ValueError, match=r"^unknown time zone 'Mars/Olympus'$"):
        local_range_to_utc(date(2027, 1, 1), date(2027, 1, 2), "Mars/Olympus")
    with pytest.raises(ValueError, match=r"^invalid interval 600\.\.540$"):
        Interval(600, 540)


@pytest.mark.parametrize("step", [0, -30])
def test_a_slot_step_that_is_not_positive_is_refused_and_says_so(step):
    with pytest.raises(ValueError, match=r"^slot_step_minutes must be positive$"):
        avail(slot_step_minutes=step)
    assert avail(slot_step_minutes=1).slot_step_minutes == 1


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("gap_minutes", "gap_minutes, min_notice_minutes and horizon_days must be >= 0"),
        ("min_notice_minutes", "gap_minutes, min_notice_minutes and horizon_days must be >= 0"),
        ("horizon_days", "gap_minutes, min_notice_minutes and horizon_days must be >= 0"),
        ("max_per_day", "max_per_day must be >= 0 or None"),
    ],
)
def test_each_negative_setting_is_refused_and_zero_is_not(setting, message):
    with pytest.raises(ValueError, match="^" + re.escape(message) + "$"):
        avail(**{setting: -1})
    assert getattr(avail(**{setting: 0}), setting) == 0


def test_the_window_end_is_excluded_even_on_a_grid_point():
    # window_start <= start < window_end: a slot starting exactly at the window's end belongs to the next window.
    a = avail(weekly=every_day(iv("09:00", "17:00")), slot_step_minutes=30)
    found = compute_slots(a, 30, [], FAR_PAST, utc(2027, 3, 10, 9), utc(2027, 3, 10, 10))
    assert found == [utc(2027, 3, 10, 9), utc(2027, 3, 10, 9, 30)]

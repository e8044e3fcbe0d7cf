"""The bounded parsers of app.validation: any text in, a value inside the bounds or None out, never an
exception (the routes rely on that to answer 4xx, not 500)."""

from __future__ import annotations

from datetime import UTC, date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from app.validation import MAX_DAY, MAX_DB_ID, MIN_DAY, parse_day, parse_db_id, parse_instant, parse_int

TEXT = st.one_of(
    st.text(max_size=40),
    st.integers().map(str),
    st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31)).map(date.isoformat),
    st.datetimes(timezones=st.timezones()).map(lambda d: d.isoformat()),
    st.sampled_from(["²", "١٢", "9" * 5000, "-0", " 7 ", "0x10", "1e3", "\x00"]),
)


@given(TEXT)
def test_parsers_never_raise_and_stay_in_bounds(raw):
    n = parse_db_id(raw)
    assert n is None or 1 <= n <= MAX_DB_ID
    day = parse_day(raw)
    assert day is None or MIN_DAY <= day <= MAX_DAY
    at = parse_instant(raw)
    if at is not None:
        assert at.utcoffset() is not None
        at.astimezone(UTC) + timedelta(days=400)  # room to add a visit, a week or a zone offset
    small = parse_int(raw, -5, 5)
    assert small is None or -5 <= small <= 5


def test_examples():
    assert parse_db_id("42") == 42 and parse_db_id(" 42 ") == 42
    assert parse_db_id("²") is None and parse_db_id("١٢") is None and parse_db_id(str(2**31)) is None
    assert parse_db_id("0") is None and parse_db_id("-1") is None and parse_db_id(None) is None
    assert parse_day("2027-03-15") == date(2027, 3, 15)
    assert parse_day("9999-12-31") is None and parse_day("0001-01-01") is None and parse_day("2027-02-30") is None
    assert parse_instant("2027-03-15T10:00:00-04:00") is not None
    assert parse_instant("2027-03-15T10:00:00") is None  # no offset: not an instant
    assert parse_instant("9999-12-31T23:59Z") is None and parse_instant("0001-01-01T00:00+05:00") is None

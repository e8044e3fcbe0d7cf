"""Reading booking query parameters from pages: bad input becomes None (the page falls back), never a 500.

Dates and times come through ``app.validation``'s bounded parsers: a week near year 9999 or a start at
0001-01-01+05:00 is not a week or a start the booking code can add days or offsets to.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.validation import _known_zones, parse_day, parse_instant


def parse_tz(value: str | None) -> str | None:
    return value if value and value in _known_zones() else None


def parse_week(value: str | None, today: date) -> date:
    """The Monday of the requested week (default: this week); never before this week."""
    day = parse_day(value) or today
    monday = day - timedelta(days=day.weekday())
    this_monday = today - timedelta(days=today.weekday())
    return max(monday, this_monday)


def parse_start(value: str | None) -> datetime | None:
    return parse_instant(value)

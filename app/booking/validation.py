"""Reading booking query parameters from pages: bad input becomes None (the page falls back), never a 500."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from app.validation import _known_zones


def parse_tz(value: str | None) -> str | None:
    return value if value and value in _known_zones() else None


def parse_week(value: str | None, today: date) -> date:
    """The Monday of the requested week (default: this week); never before this week."""
    try:
        day = date.fromisoformat(value) if value else today
    except ValueError:
        day = today
    monday = day - timedelta(days=day.weekday())
    this_monday = today - timedelta(days=today.weekday())
    return max(monday, this_monday)


def parse_start(value: str | None) -> datetime | None:
    try:
        start = datetime.fromisoformat(value or "")
    except ValueError:
        return None
    return start if start.utcoffset() is not None else None

"""The reminder texts' day word (issue 17): "today"/"tomorrow" compare calendar days in the patient's
zone at the moment the text goes out, on both sides of midnight and of each DST change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.sms import messages

NY = ZoneInfo("America/New_York")


def ny(*args: int) -> datetime:
    return datetime(*args, tzinfo=NY)


def before(when: datetime, hours: int) -> datetime:
    """Elapsed hours (aware datetimes in one zone subtract wall-clock time, so go through UTC)."""
    return when.astimezone(UTC) - timedelta(hours=hours)


@pytest.mark.parametrize(
    ("start", "sent", "words"),
    [
        (ny(2027, 5, 4, 15), ny(2027, 5, 3, 15), "tomorrow at 3:00 PM EDT"),
        (ny(2027, 5, 4, 15), ny(2027, 5, 4, 13), "today at 3:00 PM EDT"),
        # across midnight: a 2 h reminder at 11 PM about a 1 AM visit
        (ny(2027, 5, 4, 1), ny(2027, 5, 3, 23), "tomorrow at 1:00 AM EDT"),
        (ny(2027, 5, 4, 0, 30), ny(2027, 5, 3, 23, 59), "tomorrow at 12:30 AM EDT"),
        (ny(2027, 5, 4, 23, 59), ny(2027, 5, 4, 0, 0), "today at 11:59 PM EDT"),
        # fall back (Nov 1 2026 has 25 hours): 24 h before 11:30 PM EST is 12:30 AM EDT the same day
        (ny(2026, 11, 1, 23, 30), before(ny(2026, 11, 1, 23, 30), 24), "today at 11:30 PM EST"),
        (ny(2026, 11, 2, 0, 30), before(ny(2026, 11, 2, 0, 30), 24), "tomorrow at 12:30 AM EST"),
        # spring forward (Mar 14 2027 has 23 hours): 24 h before 12:30 AM EDT is 11:30 PM EST two days before
        (ny(2027, 3, 15, 0, 30), before(ny(2027, 3, 15, 0, 30), 24), "on Mon Mar 15 at 12:30 AM EDT"),
        (ny(2027, 3, 14, 23), before(ny(2027, 3, 14, 23), 24), "tomorrow at 11:00 PM EDT"),
    ],
)
def test_day_word_in_the_patients_zone(start, sent, words):
    assert messages.day_and_time(start, "America/New_York", sent) == words


def test_the_zone_decides_the_day_not_utc():
    start = datetime.fromisoformat("2027-05-04T05:30:00+00:00")  # 10:30 PM May 3 in Los Angeles
    sent = datetime.fromisoformat("2027-05-03T16:00:00+00:00")
    assert messages.day_and_time(start, "America/Los_Angeles", sent) == "today at 10:30 PM PDT"
    assert messages.day_and_time(start, "America/New_York", sent) == "tomorrow at 1:30 AM EDT"


def test_the_24_and_2_hour_reminders_say_different_things():
    start = ny(2027, 5, 4, 15)
    day_before = messages.reminder(start, "America/New_York", "L", sent_at=start - timedelta(hours=24), hours=24)
    last = messages.reminder(start, "America/New_York", "L", sent_at=start - timedelta(hours=2), hours=2)
    assert "tomorrow at 3:00 PM" in day_before and "today at 3:00 PM" in last
    assert day_before != last.replace("today", "tomorrow")
    for body in (day_before, last):
        assert not any(word in body.lower() for word in messages.FORBIDDEN)

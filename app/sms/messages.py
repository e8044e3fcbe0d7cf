"""Text bodies: the minimum — a date, a time in the patient's zone, a link. Never the appointment
type, a diagnosis, a medication, the clinician's specialty or the word "psychiatry": a lock screen
is not private."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

PRACTICE = "Harbor Mind"
FORBIDDEN = (
    "psychiatr",
    "therapy",
    "therapist",
    "medication",
    "depress",
    "anxiety",
    "diagnos",
    "evaluation",
    "prescri",
    "counsel",
    "mental",
)


def _when(start: datetime, tz: str) -> str:
    return start.astimezone(ZoneInfo(tz)).strftime("%a %b %-d at %-I:%M %p %Z")


def booking_confirmation(start: datetime, tz: str, link: str) -> str:
    return f"{PRACTICE}: your visit is booked for {_when(start, tz)}. Details: {link} Reply STOP to opt out."


def day_and_time(start: datetime, tz: str, said_at: datetime) -> str:
    """ "today at 3:00 PM EST", "tomorrow at 9:00 AM EDT" or "on Mon Mar 8 at 12:30 AM EDT": the day
    word compares calendar days in the patient's zone at the moment the text is sent, so a text sent at
    11 PM about a 1 AM visit says "tomorrow", and a 24 h reminder across a DST change says what the
    calendar says (the day the clocks fall back has 25 hours: 24 hours before 11:30 PM is the same day)."""
    zone = ZoneInfo(tz)
    local = start.astimezone(zone)
    days = (local.date() - said_at.astimezone(zone).date()).days
    day = "today" if days == 0 else "tomorrow" if days == 1 else f"on {local:%a %b %-d}"
    return f"{day} at {local:%-I:%M %p %Z}"


def reminder(start: datetime, tz: str, link: str, sent_at: datetime | None = None, hours: int = 24) -> str:
    """The day-before reminder and the last one (2 hours or less before) say different things; both
    name the day as the patient will read it when it arrives (``sent_at``, after quiet hours)."""
    when = day_and_time(start, tz, sent_at or start - timedelta(hours=hours))
    if hours <= 2:
        return f"{PRACTICE}: your video visit starts soon, {when}. Join: {link}"
    return f"{PRACTICE}: reminder of your video visit {when}. Reply C to confirm. Join: {link}"


def rescheduled(start: datetime, tz: str, link: str) -> str:
    return f"{PRACTICE}: your visit was moved to {_when(start, tz)}. Details: {link}"


def cancelled(start: datetime, tz: str, link: str) -> str:
    return f"{PRACTICE}: your visit on {_when(start, tz)} was cancelled. Book again: {link}"


def visit_reassigned(start: datetime, tz: str, link: str) -> str:
    return (
        f"{PRACTICE}: your visit on {_when(start, tz)} will be with another clinician from our team, "
        f"at the same time. Details: {link}"
    )


def cancelled_by_practice(start: datetime, tz: str, link: str) -> str:
    return (
        f"{PRACTICE}: we are sorry, your visit on {_when(start, tz)} was cancelled because your clinician "
        f"is no longer available. There is no charge. Book a new time: {link}"
    )


def missed_visit(link: str) -> str:
    return f"{PRACTICE}: we missed you today. Book a new time when it suits you: {link}"


def book_follow_up(link: str) -> str:
    return f"{PRACTICE}: it is time to book your follow-up visit: {link}"


def check_in(start: datetime, tz: str, link: str) -> str:
    return f"{PRACTICE}: before your visit {_when(start, tz)}, please take a 2-minute check-in: {link}"


# A new secure message: never who wrote it or what it says.
NEW_MESSAGE = f"You have a new message in {PRACTICE}."

HELP = (
    f"{PRACTICE}: appointment texts. Reply STOP to opt out, START to opt back in. "
    "In crisis, call or text 988. Emergencies: 911."
)
CONFIRMED = f"{PRACTICE}: thank you, your next visit is confirmed."
NOTHING_TO_CONFIRM = f"{PRACTICE}: we could not find an upcoming visit for this number."
OPTED_IN = f"{PRACTICE}: you will get appointment texts again. Reply STOP to opt out."

"""Text bodies: the minimum — a date, a time in the patient's zone, a link. Never the appointment
type, a diagnosis, a medication, the clinician's specialty or the word "psychiatry": a lock screen
is not private."""

from __future__ import annotations

from datetime import datetime
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


def reminder(start: datetime, tz: str, link: str) -> str:
    return f"{PRACTICE}: reminder of your video visit {_when(start, tz)}. Reply C to confirm. Join: {link}"


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

"""The patient's "Texts to you": each text with its status in words and the time it was or will be
sent, read from the outbox rows (which keep the machine's statuses and reasons)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.sms.outbox import QUIET_END, QUIET_START, exempt_from_quiet_hours
from app.sms.outbox_message import OutboxMessage, OutboxStatus

KIND_WORDS = {
    "booking_confirmation": "Booking confirmation",
    "reminder_24h": "Reminder the day before",
    "reminder_2h": "Reminder 2 hours before",
    "reschedule_notice": "Visit moved",
    "cancel_notice": "Visit cancelled",
    "followup_no_show": "After a missed visit",
    "checkin_link": "Check-in before a visit",
    "book_follow_up": "Time to book a follow-up",
}
QUIET_WORDS = "Waiting for quiet hours to end (we text no one from 9 PM to 8 AM your time)"
# Why a text was held back (the outbox's reason) in the patient's words.
NOT_SENT = {
    "patient has not opted in to texts": "Not sent because texts are off",
    "patient opted out": "Not sent because texts are off",
    "no mobile number": "Not sent because there is no mobile number on file",
    "number replied STOP": "Not sent because this number replied STOP",
    "appointment moved": "Not sent because the visit was moved",
    "appointment cancelled": "Not sent because the visit was cancelled",
    "appointment no longer booked": "Not sent because the visit is no longer booked",
}


@dataclass(frozen=True)
class TextToYou:
    what: str  # "Reminder the day before"
    body: str
    status: str  # in words
    sent: bool
    at: datetime  # when it was sent, or is (or was) due
    at_words: str  # "Sent", "To be sent", "Was due"


def _natural_due(message: OutboxMessage) -> datetime:
    """When the text was meant to go before quiet hours moved it: a reminder's visit start (in its key)
    less its hours, else the moment it was written."""
    parts = message.dedupe_key.split(":")
    hours = message.kind.removeprefix("reminder_").removesuffix("h")
    if message.kind.startswith("reminder_") and hours.isdigit() and len(parts) >= 4 and parts[2].isdigit():
        start = datetime.fromtimestamp(int(parts[2]), tz=message.due_at.tzinfo)
        return start - timedelta(hours=int(hours))
    return message.created_at


def held_for_quiet_hours(message: OutboxMessage, tz: str) -> bool:
    """A queued text moved to 8 AM because it fell in the patient's quiet hours."""
    if exempt_from_quiet_hours(message.kind):
        return False
    natural = _natural_due(message)
    local = natural.astimezone(ZoneInfo(tz)).time()
    moved = message.due_at > natural + timedelta(minutes=1)
    return (
        moved
        and (local >= QUIET_START or local < QUIET_END)
        and message.due_at.astimezone(ZoneInfo(tz)).time() == QUIET_END
    )


def status_words(message: OutboxMessage, tz: str, now: datetime) -> tuple[str, str, datetime, bool]:
    """(status in words, what the time means, the time, sent?) for one text."""
    status = message.status
    if status in (OutboxStatus.SENT, OutboxStatus.DELIVERED):
        return "Sent", "Sent", message.sent_at or message.updated_at, True
    if status == OutboxStatus.SENDING:
        return "Being sent now", "To be sent", message.due_at, False
    if status == OutboxStatus.QUEUED:
        if message.due_at > now and held_for_quiet_hours(message, tz):
            return QUIET_WORDS, "To be sent", message.due_at, False
        return "Waiting to be sent", "To be sent", message.due_at, False
    if status == OutboxStatus.SUPPRESSED:
        reason = message.status_reason or ""
        if reason.startswith("number refused by carrier"):
            words = "Not sent because the phone company refused this number"
        else:
            words = NOT_SENT.get(reason, "Not sent")
        return words, "Was due", message.due_at, False
    return "Could not be delivered", "Tried", message.updated_at, False


def texts_to_you(messages: list[OutboxMessage], tz: str, now: datetime) -> list[TextToYou]:
    rows = []
    for m in messages:
        words, at_words, at, sent = status_words(m, tz, now)
        rows.append(TextToYou(KIND_WORDS.get(m.kind, "Message"), m.body, words, sent, at, at_words))
    return rows

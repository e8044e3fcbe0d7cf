"""The texts an appointment's life causes: confirmation, 24 h and 2 h reminders, moved and cancelled
notices, the rebooking text after a missed visit. Called by the booking service inside its
transaction; the outbox (``app.sms.outbox``) below keeps and sends them."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from flask import current_app

from app.accounts.user import User
from app.booking.appointment import Appointment, AppointmentStatus
from app.extensions import db
from app.sms import messages, sender
from app.sms.outbox import Text, after_quiet_hours, enqueue, enqueue_all, exempt_from_quiet_hours, suppress_pending
from app.sms.outbox_message import OutboxMessage


def _link(appointment: Appointment) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/appointments/{appointment.id}"


def _key(appointment: Appointment, kind: str) -> str:
    # The start is part of the key: a moved appointment gets fresh reminders.
    return f"appointment:{appointment.id}:{int(appointment.start_at.timestamp())}:{kind}"


def _text(patient: User, appointment: Appointment, kind: str, build, due: datetime, link: str | None = None) -> Text:
    """One text about this appointment, never due after its start."""
    body = build(appointment.start_at, patient.timezone, link or _link(appointment))
    return Text(
        kind=kind,
        body=body,
        due_at=due,
        dedupe_key=_key(appointment, kind),
        appointment_id=appointment.id,
        not_after=appointment.start_at,
    )


def _reminders(patient: User, appointment: Appointment, now: datetime) -> list[Text]:
    reminders = []
    for hours in current_app.config["SMS_REMINDER_HOURS"]:
        kind, due = f"reminder_{hours}h", appointment.start_at - timedelta(hours=hours)
        if due > now:  # a reminder whose time had already passed when the visit was booked is skipped
            # Its day word ("today", "tomorrow") is said as of when it will go out: after quiet hours.
            sent = due if exempt_from_quiet_hours(kind) else after_quiet_hours(due, patient.timezone)
            build = partial(messages.reminder, sent_at=sent, hours=hours)
            reminders.append(_text(patient, appointment, kind, build, due))
    return reminders


# Each event's texts go to the outbox together, in one INSERT (enqueue_all), not one round trip each.


def booked(patient: User, appointment: Appointment, now: datetime) -> None:
    confirmation = _text(patient, appointment, "booking_confirmation", messages.booking_confirmation, now)
    enqueue_all(patient, [confirmation, *_reminders(patient, appointment, now)])


def moved(patient: User, appointment: Appointment, now: datetime) -> None:
    suppress_pending(
        appointment_id=appointment.id,
        reason="appointment moved",
        kinds=("reminder_24h", "reminder_2h", "booking_confirmation"),
    )
    notice = _text(patient, appointment, "reschedule_notice", messages.rescheduled, now)
    enqueue_all(patient, [notice, *_reminders(patient, appointment, now)])


def cancelled(patient: User, appointment: Appointment, now: datetime) -> None:
    suppress_pending(appointment_id=appointment.id, reason="appointment cancelled")
    book_again = f"{current_app.config['PUBLIC_BASE_URL']}/clinicians"
    enqueue_all(patient, [_text(patient, appointment, "cancel_notice", messages.cancelled, now, link=book_again)])


def reassigned(patient: User, appointment: Appointment, now: datetime) -> None:
    """Its clinician left and a colleague takes the visit: same time, so the reminders stand."""
    notice = _text(patient, appointment, "visit_reassigned", messages.visit_reassigned, now)
    enqueue_all(patient, [replace(notice, dedupe_key=f"{notice.dedupe_key}:{appointment.clinician_id}")])


def cancelled_by_practice(patient: User, appointment: Appointment, now: datetime) -> None:
    """Its clinician left and nobody could take the visit: its texts stop, the patient is told."""
    suppress_pending(appointment_id=appointment.id, reason="appointment cancelled")
    book_again = f"{current_app.config['PUBLIC_BASE_URL']}/clinicians"
    notice = _text(patient, appointment, "practice_cancel_notice", messages.cancelled_by_practice, now,
                   link=book_again)  # fmt: skip
    enqueue_all(patient, [notice])


def missed(patient: User, appointment: Appointment, now: datetime) -> None:
    """A same-day text to rebook after a no-show (the care team's task is its own: ``events.visit_missed``)."""
    enqueue(
        patient,
        kind="followup_no_show",
        body=messages.missed_visit(f"{current_app.config['PUBLIC_BASE_URL']}/clinicians/{appointment.clinician_id}"),
        due_at=now,
        dedupe_key=f"appointment:{appointment.id}:followup_no_show",
        appointment_id=appointment.id,
    )


# --- before sending ------------------------------------------------------------------------------

VISIT_KINDS = {"booking_confirmation", "reschedule_notice", "checkin_link", "visit_reassigned"}  # and every reminder_*


def about_a_visit(kind: str) -> bool:
    """Texts that only make sense while their visit is booked."""
    return kind in VISIT_KINDS or kind.startswith("reminder_")


def visit_still_booked(message: OutboxMessage) -> str | None:
    """The sender's re-check for a visit's text: why it must not go out (the visit is gone or no
    longer booked), or None."""
    if message.appointment_id is None:
        return None
    appointment = db.session.get(Appointment, message.appointment_id)
    if appointment is None or appointment.status != AppointmentStatus.BOOKED:
        return "appointment no longer booked"
    return None


def connect() -> None:
    """Called by the composition root: the sender re-checks a visit's texts with booking's rule."""
    sender.register_check(about_a_visit, visit_still_booked)

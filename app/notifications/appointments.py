"""The texts an appointment's life causes: confirmation, 24 h and 2 h reminders, moved and cancelled
notices. Called by the booking service inside its transaction."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app

from app.accounts.user import User
from app.booking.appointment import Appointment
from app.notifications import messages
from app.notifications.outbox import enqueue, suppress_pending

REMINDERS = (("reminder_24h", timedelta(hours=24)), ("reminder_2h", timedelta(hours=2)))


def _link(appointment: Appointment) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL']}/appointments/{appointment.id}"


def _key(appointment: Appointment, kind: str) -> str:
    # The start is part of the key: a moved appointment gets fresh reminders.
    return f"appointment:{appointment.id}:{int(appointment.start_at.timestamp())}:{kind}"


def _reminders(patient: User, appointment: Appointment, now: datetime) -> None:
    for kind, before in REMINDERS:
        due = appointment.start_at - before
        if due <= now:
            continue  # its time had already passed when the visit was booked
        enqueue(
            patient,
            kind=kind,
            body=messages.reminder(appointment.start_at, patient.timezone, _link(appointment)),
            due_at=due,
            dedupe_key=_key(appointment, kind),
            appointment_id=appointment.id,
            not_after=appointment.start_at,
        )


def booked(patient: User, appointment: Appointment, now: datetime) -> None:
    enqueue(
        patient,
        kind="booking_confirmation",
        body=messages.booking_confirmation(appointment.start_at, patient.timezone, _link(appointment)),
        due_at=now,
        dedupe_key=_key(appointment, "booking_confirmation"),
        appointment_id=appointment.id,
        not_after=appointment.start_at,
    )
    _reminders(patient, appointment, now)


def moved(patient: User, appointment: Appointment, now: datetime) -> None:
    suppress_pending(
        appointment_id=appointment.id,
        reason="appointment moved",
        kinds=("reminder_24h", "reminder_2h", "booking_confirmation"),
    )
    enqueue(
        patient,
        kind="reschedule_notice",
        body=messages.rescheduled(appointment.start_at, patient.timezone, _link(appointment)),
        due_at=now,
        dedupe_key=_key(appointment, "reschedule_notice"),
        appointment_id=appointment.id,
        not_after=appointment.start_at,
    )
    _reminders(patient, appointment, now)


def cancelled(patient: User, appointment: Appointment, now: datetime) -> None:
    suppress_pending(appointment_id=appointment.id, reason="appointment cancelled")
    book_again = f"{current_app.config['PUBLIC_BASE_URL']}/clinicians"
    enqueue(
        patient,
        kind="cancel_notice",
        body=messages.cancelled(appointment.start_at, patient.timezone, book_again),
        due_at=now,
        dedupe_key=_key(appointment, "cancel_notice"),
        appointment_id=appointment.id,
        not_after=appointment.start_at,
    )

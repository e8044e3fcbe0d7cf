"""Replies and delivery reports from Twilio: opt-out keywords, HELP, "C" to confirm, status updates."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update

from app.accounts.patient import PatientProfile
from app.audit import service as audit
from app.booking.appointment import Appointment, AppointmentStatus
from app.extensions import db
from app.sms import messages
from app.sms.outbox_message import OutboxMessage, OutboxStatus, SmsNumber

STOP = {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
START = {"START", "UNSTOP", "YES"}
HELP = {"HELP", "INFO"}
CONFIRM = {"C"}
# What a delivery report may set an outbox row to.
REPORTED = (OutboxStatus.SENT, OutboxStatus.DELIVERED, OutboxStatus.UNDELIVERED, OutboxStatus.FAILED)
# Delivery order: a report may arrive late, but a message's status never moves backwards.
RANK = {
    "queued": 0,
    "accepted": 0,
    "scheduled": 0,
    "sending": 1,
    "sent": 2,
    "delivered": 3,
    "undelivered": 3,
    "failed": 3,
    "read": 4,
}


def handle_reply(number: str, body: str, now: datetime) -> str | None:
    """Act on a reply; return the text to answer with, or None for no answer (STOP: Twilio confirms)."""
    keyword = (body or "").strip().upper()
    if keyword in STOP:
        row = db.session.get(SmsNumber, number) or SmsNumber(number=number)
        row.opted_out, row.opted_out_at, row.last_keyword = True, now, keyword
        db.session.add(row)
        db.session.execute(update(PatientProfile).where(PatientProfile.phone == number).values(sms_opt_in=False))
        db.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.to_number == number, OutboxMessage.status == OutboxStatus.QUEUED)
            .values(status=OutboxStatus.SUPPRESSED, status_reason="number replied STOP")
        )
        audit.record("sms.opt_out", actor=None, object_type="phone", subject=number)
        db.session.commit()
        return None
    if keyword in START:
        row = db.session.get(SmsNumber, number) or SmsNumber(number=number)
        row.opted_out, row.last_keyword = False, keyword
        db.session.add(row)
        # Only patients who once gave consent are opted back in; a START alone is not consent to new texts.
        db.session.execute(
            update(PatientProfile)
            .where(PatientProfile.phone == number, PatientProfile.sms_consent_at.is_not(None))
            .values(sms_opt_in=True)
        )
        audit.record("sms.opt_in", actor=None, object_type="phone", subject=number)
        db.session.commit()
        return messages.OPTED_IN
    if keyword in HELP:
        return messages.HELP
    if keyword in CONFIRM:
        return messages.CONFIRMED if _confirm_next(number, now) else messages.NOTHING_TO_CONFIRM
    return None


def _confirm_next(number: str, now: datetime) -> bool:
    patient_ids = select(PatientProfile.user_id).where(PatientProfile.phone == number, PatientProfile.sms_opt_in)
    appointment = db.session.scalar(
        select(Appointment)
        .where(
            Appointment.patient_id.in_(patient_ids),
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.start_at > now,
        )
        .order_by(Appointment.start_at)
        .limit(1)
    )
    if appointment is None:
        return False
    appointment.patient_confirmed_at = now
    audit.record(
        "appointment.confirm_by_sms",
        actor=None,
        patient_id=appointment.patient_id,
        object_type="appointment",
        object_id=appointment.id,
    )
    db.session.commit()
    return True


def record_status(sid: str, status: str, error_code: str | None) -> bool:
    """Apply a delivery report unless it is older news than what we have."""
    message = db.session.scalar(select(OutboxMessage).where(OutboxMessage.provider_sid == sid))
    status = (status or "").lower()
    if message is None or status not in RANK:
        return False
    if RANK[status] >= RANK.get(message.status, 0) and message.status != status:
        message.status = status if status in REPORTED else message.status
        if error_code:
            message.error_code = error_code
            message.status_reason = f"carrier error {error_code}"
        db.session.commit()
    return True

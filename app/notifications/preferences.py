"""A patient's text preferences and who may see which outbox rows."""

from __future__ import annotations

from sqlalchemy import select, update

from app.accounts.service import SMS_CONSENT_TEXT
from app.accounts.user import User
from app.audit import service as audit
from app.db import utcnow
from app.extensions import db
from app.notifications import access
from app.reference.roles import Role
from app.sms.outbox_message import OutboxMessage, OutboxStatus, SmsNumber

STOPPED_NOTICE = (
    "Your choice is saved, but this number replied STOP to our texts, so we send it nothing until it "
    "texts START to us. Text START from that phone to get reminders again."
)


def opt_in(patient: User, phone: str, *, source: str) -> None:
    """Explicit consent: the time, where it was given and the exact wording are kept.

    It is the account's consent, not the number's: a number that replied STOP stays opted out (nothing
    is sent to it) until that number itself sends START. Anyone can type any number into their
    settings, so typing it must never undo its owner's STOP (``number_replied_stop`` tells the page)."""
    profile = patient.patient
    profile.phone, profile.sms_opt_in = phone, True
    profile.sms_consent_at, profile.sms_consent_source, profile.sms_consent_text = utcnow(), source, SMS_CONSENT_TEXT
    audit.record("sms.opt_in", actor=patient, patient_id=patient.id, object_type="patient", object_id=patient.id)
    db.session.commit()


def number_replied_stop(phone: str | None) -> bool:
    """The number replied STOP (or the carrier reports it opted out) and has not sent START since."""
    number = db.session.get(SmsNumber, phone) if phone else None
    return number is not None and number.opted_out


def opt_out(patient: User) -> None:
    patient.patient.sms_opt_in = False
    db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.patient_id == patient.id, OutboxMessage.status == OutboxStatus.QUEUED)
        .values(status=OutboxStatus.SUPPRESSED, status_reason="patient opted out")
    )
    audit.record("sms.opt_out", actor=patient, patient_id=patient.id, object_type="patient", object_id=patient.id)
    db.session.commit()


def outbox_for(user: User, status: str | None, limit: int = 200) -> list[tuple[OutboxMessage, str | None]]:
    """Admins see every text; clinicians those of their care-team patients; patients their own."""
    query = access.listable(
        user,
        select(OutboxMessage, User.name)
        .outerjoin(User, User.id == OutboxMessage.patient_id)
        .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .limit(limit),
    )
    if query is None:
        return []
    if status:
        query = query.where(OutboxMessage.status == status)
    rows = [(m, name) for m, name in db.session.execute(query)]
    if user.role != Role.PATIENT:  # staff read each listed patient's texts
        audit.record_patients("outbox.read", actor=user, patient_ids=[m.patient_id for m, _ in rows],
                              object_type="outbox_message")  # fmt: skip
        audit.commit_keeping_loaded()
    return rows

"""Consent to coordinated (collaborative) care: asked when a patient first books with a clinician,
kept with its time, wording version, exact text and source, withdrawable by the patient at any time.

CoCM care-management services may only be billed with this consent on file, so the minutes report
asks ``in_effect`` which days a consent covered.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from app.accounts.user import User
from app.audit import service as audit
from app.booking.care_consent import CONSENT_TEXT, CONSENT_VERSION, SOURCES, CareConsent, current, record
from app.care_team import access
from app.db import utcnow
from app.errors import Conflict, Forbidden
from app.extensions import db

# The record and its wording live with booking, which asks for consent inside the booking transaction.
__all__ = ["CONSENT_TEXT", "CONSENT_VERSION", "SOURCES", "CareConsent", "NoConsent", "covered_days", "current",
           "give", "give_from_page", "history", "withdraw"]  # fmt: skip


class NoConsent(Conflict):
    code = "no_consent"
    message = "There is no consent to coordinated care on file."


def give(patient: User, source: str, now: datetime | None = None) -> CareConsent:
    """The patient agrees to the current wording, in a transaction of its own. Idempotent: a consent
    already in force is returned as it is. Only the patient gives their own consent."""
    row = record(patient, source, now)
    db.session.commit()
    return row


def give_from_page(user: User, patient_id: int, now: datetime | None = None) -> CareConsent:
    """The patient gives consent from their care plan page; team members may not do it for them."""
    access.patient_or_team(user, patient_id)  # 404 for strangers
    if user.id != patient_id:
        raise Forbidden("Only the patient gives consent to coordinated care.")
    return give(user, "care_plan", now)


def withdraw(user: User, patient_id: int, now: datetime | None = None) -> CareConsent:
    """The patient withdraws their consent; from then on no CoCM codes are supported."""
    access.patient_or_team(user, patient_id)  # 404 for strangers
    if user.id != patient_id:
        raise Forbidden("Only the patient withdraws their consent.")
    row = current(patient_id)
    if row is None:
        raise NoConsent()
    row.withdrawn_at = now or utcnow()
    audit.record("care_consent.withdraw", actor=user, patient_id=patient_id, object_type="care_consent",
                 object_id=row.id)  # fmt: skip
    db.session.commit()
    return row


def history(patient_id: int) -> list[CareConsent]:
    return list(
        db.session.scalars(
            select(CareConsent).where(CareConsent.patient_id == patient_id).order_by(CareConsent.given_at.desc())
        )
    )


def covered_days(patient_id: int, first: date, last: date, tz: str) -> set[date]:
    """The days from ``first`` to ``last`` (local dates in ``tz``) on which a consent was in force at
    some time of the day: from the day it was given through the day it was withdrawn."""
    zone = ZoneInfo(tz)
    days: set[date] = set()
    for row in history(patient_id):
        start = max(row.given_at.astimezone(zone).date(), first)
        end = min(row.withdrawn_at.astimezone(zone).date(), last) if row.withdrawn_at else last
        day = start
        while day <= end:
            days.add(day)
            day = date.fromordinal(day.toordinal() + 1)
    return days

"""Consent to coordinated (collaborative) care: asked when a patient first books with a clinician,
kept with its time, wording version, exact text and source, withdrawable by the patient at any time.

CoCM care-management services may only be billed with this consent on file, so the minutes report
asks ``in_effect`` which days a consent covered.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.user import User
from app.audit import service as audit
from app.care_team import access
from app.db import UTCDateTime, utcnow
from app.errors import Conflict, Forbidden
from app.extensions import db

CONSENT_VERSION = "2026-12-01"
CONSENT_TEXT = (
    "I agree to coordinated care: the clinicians on my Harbor Mind care team (my prescriber, my therapist "
    "and a psychiatric consultant who reviews my care with them) share my care plan, my check-in scores "
    "and their notes with each other to treat me. Care-management time may be billed to me or my insurer, "
    "and cost-sharing may apply. I can withdraw this consent at any time from my care plan page; "
    "withdrawing does not cancel my appointments."
)
SOURCES = ("booking", "api", "care_plan")


class CareConsent(db.Model):
    """One consent as given; withdrawing stamps ``withdrawn_at`` (the row is never deleted).
    Giving consent again after a withdrawal adds a new row."""

    __tablename__ = "care_consents"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    given_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    version: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    source: Mapped[str] = mapped_column(String(40))
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class NoConsent(Conflict):
    code = "no_consent"
    message = "There is no consent to coordinated care on file."


def current(patient_id: int) -> CareConsent | None:
    """The consent in force now, if any."""
    return db.session.scalar(
        select(CareConsent)
        .where(CareConsent.patient_id == patient_id, CareConsent.withdrawn_at.is_(None))
        .order_by(CareConsent.given_at.desc(), CareConsent.id.desc())
        .limit(1)
    )


def give(patient: User, source: str, now: datetime | None = None) -> CareConsent:
    """The patient agrees to the current wording. Idempotent: a consent already in force is returned
    as it is. Only the patient gives their own consent."""
    if patient.patient is None:
        raise Forbidden("Only a patient gives consent to coordinated care.")
    if source not in SOURCES:
        raise ValueError(f"unknown consent source {source!r}")
    existing = current(patient.id)
    if existing is not None:
        return existing
    row = CareConsent(
        patient_id=patient.id, given_at=now or utcnow(), version=CONSENT_VERSION, text=CONSENT_TEXT, source=source
    )
    db.session.add(row)
    db.session.flush()
    audit.record("care_consent.give", actor=patient, patient_id=patient.id, object_type="care_consent",
                 object_id=row.id)  # fmt: skip
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

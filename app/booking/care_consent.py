"""The record of a patient's consent to coordinated (collaborative) care: asked when a patient first
books with a clinician, kept with its time, wording version, exact text and source.

Booking asks for it and records it in the booking's own transaction (``record`` never commits), so
the record lives here, below the care team, which reads it (``app.care_team.consent``: withdrawing,
the care plan page, and which days CoCM minutes may be billed).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.user import User
from app.audit import service as audit
from app.db import UTCDateTime, utcnow
from app.errors import Forbidden
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


def current(patient_id: int) -> CareConsent | None:
    """The consent in force now, if any."""
    return db.session.scalar(
        select(CareConsent)
        .where(CareConsent.patient_id == patient_id, CareConsent.withdrawn_at.is_(None))
        .order_by(CareConsent.given_at.desc(), CareConsent.id.desc())
        .limit(1)
    )


def record(patient: User, source: str, now: datetime | None = None) -> CareConsent:
    """The patient agrees to the current wording, in the caller's transaction (nothing is committed
    here). Idempotent: a consent already in force is returned as it is. Only the patient gives their
    own consent."""
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
    return row

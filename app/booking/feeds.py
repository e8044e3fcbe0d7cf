"""A clinician's private calendar feed: one secret URL (its token stored hashed), replaced or revoked
by the clinician, listing their booked visits from 30 days back."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, select

from app.accounts.user import User
from app.audit import service as audit
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.feed import CalendarFeed
from app.db import utcnow
from app.extensions import db


def _feed_digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def new_calendar_feed(clinician: User) -> str:
    """A new private feed token (returned once); any earlier feed URL stops working."""
    raw = secrets.token_urlsafe(32)
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.clinician_id == clinician.id))
    db.session.add(CalendarFeed(clinician_id=clinician.id, token_hash=_feed_digest(raw)))
    audit.record("calendar_feed.create", actor=clinician, object_type="clinician", object_id=clinician.id)
    db.session.commit()
    return raw


def revoke_calendar_feed(clinician: User) -> None:
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.clinician_id == clinician.id))
    audit.record("calendar_feed.revoke", actor=clinician, object_type="clinician", object_id=clinician.id)
    db.session.commit()


def has_calendar_feed(clinician: User) -> bool:
    return db.session.get(CalendarFeed, clinician.id) is not None


def feed_appointments(raw: str, now: datetime | None = None) -> list[Appointment] | None:
    """The booked appointments of the feed's clinician from 30 days back, or None for a bad token;
    the fetch is audited on each listed patient's record."""
    now = now or utcnow()
    if not raw or len(raw) > 200:
        return None
    feed = db.session.scalar(select(CalendarFeed).where(CalendarFeed.token_hash == _feed_digest(raw)))
    if feed is None:
        return None
    items = list(db.session.scalars(
        select(Appointment).where(Appointment.clinician_id == feed.clinician_id,
                                  Appointment.status == AppointmentStatus.BOOKED,
                                  Appointment.start_at >= now - timedelta(days=30)).order_by(Appointment.start_at)
    ))  # fmt: skip
    # Whoever holds the URL reads these patients' visits in the clinician's name: on each patient's record.
    audit.record_patients("calendar_feed.read", actor=db.session.get(User, feed.clinician_id),
                          patient_ids=[a.patient_id for a in items], object_type="calendar_feed")  # fmt: skip
    audit.commit_keeping_loaded()
    return items

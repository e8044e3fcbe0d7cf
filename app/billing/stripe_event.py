"""Every webhook event received, under its Stripe id: the unique key that makes a repeat a no-op,
and the event log the billing admin reads (and re-processes from)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime
from app.extensions import db


class EventOutcome(StrEnum):
    """What applying an event came to. The first three are stored; ``duplicate`` is only answered."""

    PROCESSED = "processed"
    IGNORED = "ignored"
    FAILED = "failed"  # the provider could not answer: Stripe's retry or a billing admin applies it later
    DUPLICATE = "duplicate"


STORED_OUTCOMES = (EventOutcome.PROCESSED, EventOutcome.IGNORED, EventOutcome.FAILED)


class StripeEvent(db.Model):
    __tablename__ = "stripe_events"

    id: Mapped[str] = mapped_column(String(255), primary_key=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    created: Mapped[int] = mapped_column(BigInteger)  # Unix seconds: past 2038
    payload: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    processed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # an EventOutcome, one of STORED_OUTCOMES
    outcome: Mapped[str] = mapped_column(String(20), index=True)
    detail: Mapped[str | None] = mapped_column(Text)
    patient_id: Mapped[int | None] = mapped_column(Integer, index=True)
    attempts: Mapped[int] = mapped_column(Integer, default=1)

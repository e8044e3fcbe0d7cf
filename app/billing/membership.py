"""A patient's membership: our copy of their Stripe subscription, one row per patient."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime
from app.extensions import db


class MembershipStatus(StrEnum):
    """Stripe's subscription statuses, plus ``none``: no subscription yet (the row holds a customer
    id only, or nothing at all). The column stores the value."""

    NONE = "none"
    TRIALING = "trialing"
    ACTIVE = "active"
    PAST_DUE = "past_due"
    CANCELED = "canceled"
    UNPAID = "unpaid"
    INCOMPLETE = "incomplete"
    INCOMPLETE_EXPIRED = "incomplete_expired"
    PAUSED = "paused"


# What a trialing or active membership opens; the initial consultation is free for everyone.
MEMBER_STATUSES = frozenset({MembershipStatus.TRIALING, MembershipStatus.ACTIVE})
# A payment is owed: the patient is told so, and the billing console lists them as failed payments.
PAYMENT_DUE_STATUSES = frozenset({MembershipStatus.PAST_DUE, MembershipStatus.UNPAID})


class Membership(db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    customer_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Stripe's own creation time of the subscription held here: a late event about an older
    # subscription of the same patient must not replace a newer one.
    subscription_created: Mapped[int | None] = mapped_column(BigInteger)  # Unix seconds: past 2038
    plan: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(30), default=MembershipStatus.NONE.value)
    trial_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    current_period_end: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    canceled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # One free trial per patient, ever: set as soon as Stripe reports a subscription with a trial.
    trial_used: Mapped[bool] = mapped_column(Boolean, default=False)
    converted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_payment_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

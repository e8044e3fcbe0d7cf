"""The dummy backend's stand-in for Stripe's side: subscriptions it "holds", so webhook handlers can
re-read them exactly as they re-read Stripe. Used only with ``BILLING_BACKEND=dummy``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Integer, String, select
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class DemoSubscription(db.Model):
    __tablename__ = "demo_billing_subscriptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer: Mapped[str] = mapped_column(String(64), index=True)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    price: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))  # a MembershipStatus (Stripe's subscription statuses)
    created: Mapped[int] = mapped_column(BigInteger)
    trial_end: Mapped[int | None] = mapped_column(BigInteger)
    current_period_end: Mapped[int] = mapped_column(BigInteger)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    canceled_at: Mapped[int | None] = mapped_column(BigInteger)


def as_stripe(sub: DemoSubscription) -> dict[str, Any]:
    """The subscription as Stripe's API would show it (and its events carry it)."""
    return {
        "id": sub.id, "object": "subscription", "customer": sub.customer, "status": sub.status,
        "created": sub.created, "trial_end": sub.trial_end, "cancel_at_period_end": sub.cancel_at_period_end,
        "canceled_at": sub.canceled_at, "metadata": {"patient_id": str(sub.patient_id)},
        "items": {"object": "list", "data": [{"object": "subscription_item", "price": {"id": sub.price},
                                              "current_period_end": sub.current_period_end}]},
    }  # fmt: skip


def subscription_for_session(session_id: str) -> DemoSubscription | None:
    return db.session.scalar(select(DemoSubscription).where(DemoSubscription.session_id == session_id))

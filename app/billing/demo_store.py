"""The dummy backend's stand-in for Stripe's side: subscriptions it "holds", so webhook handlers can
re-read them exactly as they re-read Stripe. Used only with ``BILLING_BACKEND=dummy``."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base


class DemoSubscription(Base):
    __tablename__ = "demo_billing_subscriptions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(String(64), unique=True)
    customer: Mapped[str] = mapped_column(String(64), index=True)
    patient_id: Mapped[int] = mapped_column(Integer, index=True)
    price: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(30))
    created: Mapped[int] = mapped_column(BigInteger)
    trial_end: Mapped[int | None] = mapped_column(BigInteger)
    current_period_end: Mapped[int] = mapped_column(BigInteger)
    cancel_at_period_end: Mapped[bool] = mapped_column(Boolean, default=False)
    canceled_at: Mapped[int | None] = mapped_column(BigInteger)

"""The one table of plans. Money is integer cents; the Stripe Price ids come from settings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.settings import Settings


@dataclass(frozen=True)
class Plan:
    code: Literal["monthly", "annual"]
    name: str
    amount_cents: int
    currency: str
    interval: Literal["month", "year"]
    trial_days: int
    price_setting: str

    @property
    def monthly_cents(self) -> int:
        """The plan's monthly rate, rounded to the cent (annual ÷ 12), as MRR counts it."""
        months = 12 if self.interval == "year" else 1
        return (self.amount_cents + months // 2) // months

    @property
    def price_label(self) -> str:
        return f"${self.amount_cents / 100:.2f}/{self.interval}"


PLANS: dict[str, Plan] = {
    "monthly": Plan("monthly", "Monthly", 1299, "usd", "month", 7, "STRIPE_PRICE_MONTHLY"),
    "annual": Plan("annual", "Annual", 6999, "usd", "year", 14, "STRIPE_PRICE_ANNUAL"),
}


def price_id(plan: Plan, settings: Settings) -> str:
    """The Stripe Price id for ``plan``; the dummy backend needs none and gets a stable stand-in."""
    value: str | None = getattr(settings, plan.price_setting)
    return value or f"price_demo_{plan.code}"


def plan_for_price(price: str | None, settings: Settings) -> Plan | None:
    for plan in PLANS.values():
        if price and price == price_id(plan, settings):
            return plan
    return None

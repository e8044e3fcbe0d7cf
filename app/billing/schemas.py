"""Request and response models of the billing API (they also generate the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class MembershipPlanOut(BaseModel):
    code: Literal["monthly", "annual"]
    amount_cents: int
    currency: str
    interval: Literal["month", "year"]
    trial_days: int
    name: str
    monthly_equivalent_cents: int


class CheckoutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    plan: Literal["monthly", "annual"]


class CheckoutOut(BaseModel):
    url: str


class SubscriptionOut(BaseModel):
    status: str
    plan: Literal["monthly", "annual"] | None
    trial_end: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    trial_available: bool = False
    payment_failed: bool = False


class ReportOut(BaseModel):
    active: int = Field(ge=0)
    trialing: int = Field(ge=0)
    past_due: int = Field(ge=0)
    canceled: int = Field(ge=0)
    mrr_cents: int = Field(ge=0)
    trial_conversion_rate: float | None = Field(ge=0, le=1)
    trials_ended_90d: int = Field(ge=0)
    churn_rate_30d: float | None = Field(ge=0, le=1)
    canceled_30d: int = Field(ge=0)

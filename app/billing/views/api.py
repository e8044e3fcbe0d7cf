"""Billing API (contract section "Billing")."""

from __future__ import annotations

from flask import current_app
from flask_login import current_user

from app import access
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.billing import report, service
from app.billing.plans import PLANS
from app.billing.schemas import CheckoutIn, CheckoutOut, MembershipPlanOut, ReportOut, SubscriptionOut
from app.db import utcnow
from app.reference.roles import Role
from app.settings import Settings

TAGS = ["billing"]


@endpoint(api_bp, "/billing/plans", access_rule=access.PUBLIC, response=list[MembershipPlanOut], tags=TAGS)
def plans() -> list[MembershipPlanOut]:
    """The memberships on offer, in integer cents."""
    return [MembershipPlanOut(code=p.code, amount_cents=p.amount_cents, currency=p.currency, interval=p.interval,
                    trial_days=p.trial_days, name=p.name, monthly_equivalent_cents=p.monthly_cents)
            for p in PLANS.values()]  # fmt: skip


@endpoint(api_bp, "/billing/checkout", methods=["POST"], access_rule=access.roles(Role.PATIENT), body=CheckoutIn,
          response=CheckoutOut, errors=[401, 403, 409, 422, 502], tags=TAGS)  # fmt: skip
def checkout(body: CheckoutIn) -> CheckoutOut:
    """A payment page for the plan (with its free trial, unless the patient has had one)."""
    settings: Settings = current_app.config["SETTINGS"]
    base = settings.PUBLIC_BASE_URL
    url = service.start_checkout(
        current_user, body.plan, now=utcnow(), settings=settings,
        success_url=base + "/billing/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url=base + "/pricing",
    )  # fmt: skip
    return CheckoutOut(url=url)


@endpoint(api_bp, "/billing/subscription", access_rule=access.roles(Role.PATIENT), response=SubscriptionOut,
          errors=[401, 403], tags=TAGS)  # fmt: skip
def subscription() -> SubscriptionOut:
    """The caller's membership; ``status`` is ``none`` or Stripe's."""
    return SubscriptionOut(**service.summary(current_user))


@endpoint(api_bp, "/billing/report", access_rule=access.roles(Role.BILLING_ADMIN, Role.ADMIN), response=ReportOut,
          errors=[401, 403], tags=TAGS)  # fmt: skip
def billing_report() -> ReportOut:
    """Membership counts by status, MRR (annual at 1/12) and 90-day trial conversion."""
    return ReportOut(**report.figures(utcnow()))

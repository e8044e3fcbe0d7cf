"""What Stripe would do to a demo subscription (checkout completed, the portal, time passing), and the
events it would send about it, handed to ``events.process``: the very handlers real webhooks use.
Demo only. Only this module of the demo calls into the handlers; the provider behind the port never does."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.billing import events
from app.billing.backends import CheckoutStatus
from app.billing.demo import provider
from app.billing.demo.store import DemoSubscription, as_stripe, subscription_for_session
from app.billing.membership import PAYMENT_DUE_STATUSES, MembershipStatus
from app.billing.plans import PLANS, plan_for_price, price_id
from app.errors import Conflict, NotFound
from app.extensions import db
from app.settings import Settings

ACTIONS = {
    "cancel_at_period_end": "Cancel at the end of the period",
    "resume": "Keep my membership (undo cancel)",
    "switch_monthly": "Switch to monthly",
    "switch_annual": "Switch to annual",
    # Billing-admin simulations of what Stripe would do over time:
    "end_trial": "Simulate: trial ends, first charge succeeds",
    "fail_payment": "Simulate: a charge fails",
    "pay": "Simulate: the failed charge is paid",
    "trial_will_end": "Simulate: Stripe's 3-day trial reminder",
    "cancel_now": "Simulate: subscription ends now",
}
PATIENT_ACTIONS = ("cancel_at_period_end", "resume", "switch_monthly", "switch_annual")


def _settings() -> Settings:
    """The demo plays Stripe inside the app: it reads the app's settings itself (Stripe has its own)
    and hands them on to the webhook handlers as the webhook view does."""
    settings: Settings = current_app.config["SETTINGS"]
    return settings


def _event(kind: str, obj: dict[str, Any], now: datetime) -> dict[str, Any]:
    return {"id": "evt_demo_" + secrets.token_hex(12), "object": "event", "type": kind,
            "created": int(now.timestamp()), "livemode": False, "data": {"object": obj}}  # fmt: skip


def _emit(kinds: list[tuple[str, dict[str, Any]]], now: datetime) -> None:
    for kind, obj in kinds:
        events.process(_event(kind, obj, now), now, _settings())


def complete_checkout(token: str, now: datetime) -> tuple[str, str]:
    """The patient pressed "Start" on the demo payment page: create the subscription and send what
    Stripe sends. Returns (session id, where to go next). Completing twice does nothing more."""
    data = provider.read_token(token)
    if data is None:
        raise NotFound("That payment page has expired. Please start again from the pricing page.")
    session_id = provider.session_id(token)
    if subscription_for_session(session_id) is None:
        created = int(now.timestamp())
        trial_days = int(data["trial"])
        plan = plan_for_price(data["price"], _settings()) or PLANS["monthly"]
        period_end = now + (timedelta(days=trial_days) if trial_days else period(plan.code))
        sub = DemoSubscription(
            id="sub_demo_" + hashlib.sha256(session_id.encode()).hexdigest()[:20], session_id=session_id,
            customer=data["c"], patient_id=int(data["p"]), price=data["price"],
            status=MembershipStatus.TRIALING if trial_days else MembershipStatus.ACTIVE, created=created,
            trial_end=int(period_end.timestamp()) if trial_days else None,
            current_period_end=int(period_end.timestamp()), cancel_at_period_end=False,
        )  # fmt: skip
        db.session.add(sub)
        db.session.commit()
        session = {"id": session_id, "object": "checkout.session", "mode": "subscription",
                   "status": CheckoutStatus.COMPLETE.value, "client_reference_id": str(data["p"]),
                   "customer": data["c"], "subscription": sub.id}  # fmt: skip
        _emit([("checkout.session.completed", session), ("customer.subscription.created", as_stripe(sub))], now)
    return session_id, str(data["ok"]).replace("{CHECKOUT_SESSION_ID}", session_id)


def seed_trial(patient_id: int, plan_code: str, now: datetime) -> None:
    """The demo clinic's first patient starts with a running free trial (through the same events)."""
    if current_for(patient_id) is not None:
        return
    plan = PLANS[plan_code]
    end = int((now + timedelta(days=plan.trial_days)).timestamp())
    sub = DemoSubscription(id=f"sub_demo_seed_{patient_id}", session_id=f"cs_demo_seed_{patient_id}",
                           customer=f"cus_demo_{patient_id}", patient_id=patient_id, price=price_id(plan, _settings()),
                           status=MembershipStatus.TRIALING, created=int(now.timestamp()), trial_end=end,
                           current_period_end=end, cancel_at_period_end=False)  # fmt: skip
    db.session.add(sub)
    db.session.commit()
    _emit([("customer.subscription.created", as_stripe(sub))], now)


def period(plan_code: str) -> timedelta:
    return timedelta(days=365) if plan_code == "annual" else timedelta(days=30)


def current_for(patient_id: int) -> DemoSubscription | None:
    return db.session.scalar(
        select(DemoSubscription).where(DemoSubscription.patient_id == patient_id)
        .order_by(DemoSubscription.created.desc(), DemoSubscription.id.desc()).limit(1)
    )  # fmt: skip


def act(patient_id: int, action: str, now: datetime) -> str:
    """Change a demo subscription as Stripe (its portal, or time passing) would, and send the events."""
    sub = current_for(patient_id)
    if sub is None or action not in ACTIONS:
        raise NotFound("No demo subscription to change.")
    if sub.status == MembershipStatus.CANCELED:
        raise Conflict("This membership has ended. Start a new one from the pricing page.")
    stamp = int(now.timestamp())
    plan = plan_for_price(sub.price, _settings()) or PLANS["monthly"]
    extra: list[tuple[str, dict[str, Any]]] = []
    if action == "cancel_at_period_end":
        sub.cancel_at_period_end = True
    elif action == "resume":
        sub.cancel_at_period_end = False
    elif action in ("switch_monthly", "switch_annual"):
        sub.price = price_id(PLANS[action.removeprefix("switch_")], _settings())
    elif action in ("end_trial", "pay"):
        sub.status = MembershipStatus.ACTIVE
        sub.current_period_end = int((now + period(plan.code)).timestamp())
        extra.append(("invoice.paid", _invoice(sub, stamp)))
    elif action == "fail_payment":
        sub.status = MembershipStatus.PAST_DUE
        extra.append(("invoice.payment_failed", _invoice(sub, stamp)))
    elif action == "trial_will_end":
        extra.append(("customer.subscription.trial_will_end", {"id": sub.id, "object": "subscription"}))
    elif action == "cancel_now":
        sub.status, sub.canceled_at, sub.cancel_at_period_end = MembershipStatus.CANCELED, stamp, False
    db.session.commit()
    if action != "trial_will_end":  # the reminder changes nothing on the subscription itself
        kind = "customer.subscription.deleted" if action == "cancel_now" else "customer.subscription.updated"
        extra.append((kind, as_stripe(sub)))
    _emit(extra, now)
    return ACTIONS[action]


def update_card(patient_id: int, now: datetime) -> bool:
    """The patient saved a test card on the demo portal. As Stripe does after a card update, the open
    invoice of a past-due (or unpaid) subscription is charged again, here at once and successfully:
    ``invoice.paid`` and ``customer.subscription.updated`` reach the webhook handlers and the
    membership is active again. Returns whether a payment was settled."""
    sub = current_for(patient_id)
    if sub is None:
        raise NotFound("No demo subscription to change.")
    if sub.status not in PAYMENT_DUE_STATUSES:
        return False  # nothing owed: the card is saved for the next charge
    stamp = int(now.timestamp())
    plan = plan_for_price(sub.price, _settings()) or PLANS["monthly"]
    sub.status = MembershipStatus.ACTIVE
    sub.current_period_end = int((now + period(plan.code)).timestamp())
    db.session.commit()
    _emit([("invoice.paid", _invoice(sub, stamp)), ("customer.subscription.updated", as_stripe(sub))], now)
    return True


def _invoice(sub: DemoSubscription, stamp: int) -> dict[str, Any]:
    return {"id": f"in_demo_{sub.id[-8:]}_{stamp}", "object": "invoice", "customer": sub.customer,
            "parent": {"subscription_details": {"subscription": sub.id}}}  # fmt: skip

"""The ``dummy`` provider behind the billing port. The checkout page is ours and says "test payment";
completing it (``simulate.complete_checkout``) creates a demo subscription. Reading a subscription
back reads the demo store, as the ``stripe`` provider reads Stripe."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from app.billing.backends import CheckoutSession, CheckoutStatus, ProviderRefused, SubscriptionState, subscription_state
from app.billing.demo.store import DemoSubscription, as_stripe, subscription_for_session
from app.extensions import db
from app.settings import Settings

# Stripe's name for the portal flow that only replaces the card; the demo portal page uses it too.
UPDATE_CARD_FLOW = "payment_method_update"


def _signer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="demo-checkout")


def session_id(token: str) -> str:
    """The demo Checkout Session's id: one per payment page (token)."""
    return "cs_demo_" + hashlib.sha256(token.encode()).hexdigest()[:24]


def read_token(token: str) -> dict[str, Any] | None:
    """What a demo payment page was made for, or None when the token is not one we signed."""
    try:
        data = _signer().loads(token)
    except BadSignature:
        return None
    return data if isinstance(data, dict) else None


class DummyBilling:
    """Demo payments: a signed token carries the checkout; the subscriptions live in the demo store."""

    name = "dummy"

    def __init__(self, public_base_url: str) -> None:
        self.public_base_url = public_base_url

    def create_customer(self, patient_id: int, email: str) -> str:
        return f"cus_demo_{patient_id}"

    def create_checkout(self, *, customer: str, patient_id: int, price: str, trial_days: int | None,
                        success_url: str, cancel_url: str, idempotency_key: str) -> CheckoutSession:  # fmt: skip
        base = self.public_base_url
        # Our own pages: kept as paths, so the demo works on whatever host the browser used.
        ok, back = (u.removeprefix(base) if u.startswith(base + "/") else u for u in (success_url, cancel_url))
        token = _signer().dumps({"c": customer, "p": patient_id, "price": price, "trial": trial_days or 0,
                                      "ok": ok, "back": back, "n": secrets.token_hex(8)})  # fmt: skip
        return CheckoutSession(session_id(token), url_for("billing.demo_checkout", token=token), customer, None,
                               str(patient_id), CheckoutStatus.OPEN)  # fmt: skip

    def checkout(self, session_id: str) -> CheckoutSession:
        sub = subscription_for_session(session_id)
        if sub is None:
            return CheckoutSession(session_id, None, None, None, None, CheckoutStatus.OPEN)
        return CheckoutSession(session_id, None, sub.customer, sub.id, str(sub.patient_id), CheckoutStatus.COMPLETE)

    def subscription(self, subscription_id: str) -> SubscriptionState:
        sub = db.session.get(DemoSubscription, subscription_id)
        if sub is None:
            raise ProviderRefused("No such demo subscription.", reason="404 resource_missing")
        return subscription_state(as_stripe(sub))

    def portal_url(self, customer: str, return_url: str) -> str:
        return url_for("billing.demo_portal")

    def update_card_url(self, customer: str, return_url: str) -> str:
        base = self.public_base_url
        back = return_url.removeprefix(base) if return_url.startswith(base + "/") else None
        return url_for("billing.demo_portal", flow=UPDATE_CARD_FLOW, next=back)


def from_settings(settings: Settings) -> DummyBilling:
    return DummyBilling(settings.PUBLIC_BASE_URL)

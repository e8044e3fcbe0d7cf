"""Payments behind one small port: ``stripe`` (the real SDK, ``STRIPE_API_BASE`` for test doubles) or
``dummy`` (demo: a local, clearly labelled test checkout that drives the very same webhook handlers).

Handlers never trust an event's copy of a subscription: they re-read it through ``subscription``,
so whatever order events arrive in, what we store is what the provider holds now.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, Protocol

from flask import current_app, url_for
from itsdangerous import BadSignature, URLSafeSerializer

from app.errors import DomainError
from app.validation import parse_db_id


class ProviderError(DomainError):
    """The provider could not answer (down, timed out, rate limited, our key refused): worth retrying."""

    status = 502
    code = "payment_provider_error"
    message = "The payment service could not complete this just now. Nothing was charged; please try again."


class ProviderRefused(ProviderError):
    """The provider answered, for good, that the request is wrong (a 400 or 404: e.g. ``resource_missing``
    for a subscription it does not know): retrying the same request can never succeed."""

    def __init__(self, message: str | None = None, *, reason: str = "refused") -> None:
        super().__init__(message)
        self.reason = reason


# Answers that will be the same on every retry; 401/403 (our key), 409, 429 and 5xx may change.
PERMANENT_STATUSES = {400, 404}


@dataclass(frozen=True)
class SubscriptionState:
    id: str
    customer: str
    status: str
    price: str | None
    created: int
    trial_end: int | None
    current_period_end: int | None
    cancel_at_period_end: bool
    canceled_at: int | None
    patient_id: int | None


@dataclass(frozen=True)
class CheckoutSession:
    id: str
    url: str | None
    customer: str | None
    subscription: str | None
    client_reference_id: str | None
    status: str


class BillingBackend(Protocol):
    name: str

    def create_customer(self, patient_id: int, email: str) -> str: ...

    def create_checkout(self, *, customer: str, patient_id: int, price: str, trial_days: int | None,
                        success_url: str, cancel_url: str, idempotency_key: str) -> CheckoutSession: ...  # fmt: skip

    def checkout(self, session_id: str) -> CheckoutSession: ...

    def subscription(self, subscription_id: str) -> SubscriptionState: ...

    def portal_url(self, customer: str, return_url: str) -> str: ...


def _field(obj: Any, name: str, default: Any = None) -> Any:
    """StripeObject is not a dict since stripe-python 15: no ``.get``."""
    return obj[name] if obj is not None and name in obj and obj[name] is not None else default


def subscription_state(sub: Any) -> SubscriptionState:
    items = _field(_field(sub, "items"), "data", [])
    item = items[0] if items else None
    price = _field(item, "price")
    period_end = _field(item, "current_period_end") or _field(sub, "current_period_end")
    metadata = _field(sub, "metadata") or {}
    raw_patient = metadata["patient_id"] if "patient_id" in metadata else None
    return SubscriptionState(
        id=sub["id"],
        customer=_field(sub, "customer") if isinstance(_field(sub, "customer"), str) else _field(sub["customer"], "id"),
        status=_field(sub, "status", "incomplete"),
        price=price if isinstance(price, str) else _field(price, "id"),
        created=int(_field(sub, "created", 0)),
        trial_end=_field(sub, "trial_end"),
        current_period_end=period_end,
        cancel_at_period_end=bool(_field(sub, "cancel_at_period_end", False)),
        canceled_at=_field(sub, "canceled_at"),
        patient_id=parse_db_id(str(raw_patient)) if raw_patient else None,
    )


def _session(obj: Any) -> CheckoutSession:
    sub = _field(obj, "subscription")
    customer = _field(obj, "customer")
    return CheckoutSession(
        id=obj["id"],
        url=_field(obj, "url"),
        customer=customer if isinstance(customer, str) or customer is None else customer["id"],
        subscription=sub if isinstance(sub, str) or sub is None else sub["id"],
        client_reference_id=_field(obj, "client_reference_id"),
        status=_field(obj, "status", "open"),
    )


class StripeBilling:
    name = "stripe"

    def __init__(self, api_key: str, api_base: str | None = None) -> None:
        import stripe

        self._stripe = stripe
        options: dict[str, Any] = {"max_network_retries": 2}
        if api_base:
            options["base_addresses"] = {"api": api_base.rstrip("/")}
        self.client = stripe.StripeClient(api_key, **options)

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except self._stripe.StripeError as exc:
            current_app.logger.warning("Stripe call failed: %s", exc.__class__.__name__)
            if exc.http_status in PERMANENT_STATUSES:
                raise ProviderRefused(reason=f"{exc.http_status} {exc.code or 'invalid_request'}") from exc
            raise ProviderError() from exc

    def create_customer(self, patient_id: int, email: str) -> str:
        customer = self._call(
            self.client.v1.customers.create,
            params={"email": email, "metadata": {"patient_id": str(patient_id)}},
            options={"idempotency_key": f"customer:{patient_id}"},
        )
        return customer["id"]

    def create_checkout(self, *, customer: str, patient_id: int, price: str, trial_days: int | None,
                        success_url: str, cancel_url: str, idempotency_key: str) -> CheckoutSession:  # fmt: skip
        subscription_data: dict[str, Any] = {"metadata": {"patient_id": str(patient_id)}}
        if trial_days:
            subscription_data["trial_period_days"] = trial_days
        session = self._call(
            self.client.v1.checkout.sessions.create,
            params={
                "mode": "subscription",
                "customer": customer,
                "client_reference_id": str(patient_id),
                "line_items": [{"price": price, "quantity": 1}],
                "subscription_data": subscription_data,
                "metadata": {"patient_id": str(patient_id)},
                "success_url": success_url,
                "cancel_url": cancel_url,
            },
            options={"idempotency_key": idempotency_key},
        )
        return _session(session)

    def checkout(self, session_id: str) -> CheckoutSession:
        return _session(self._call(self.client.v1.checkout.sessions.retrieve, session_id))

    def subscription(self, subscription_id: str) -> SubscriptionState:
        return subscription_state(self._call(self.client.v1.subscriptions.retrieve, subscription_id))

    def portal_url(self, customer: str, return_url: str) -> str:
        portal = self._call(
            self.client.v1.billing_portal.sessions.create, params={"customer": customer, "return_url": return_url}
        )
        return portal["url"]


class DummyBilling:
    """Demo payments. The checkout page is ours and says "test payment"; completing it creates a
    demo subscription and hands the same events Stripe would send to the same handlers."""

    name = "dummy"

    def _signer(self) -> URLSafeSerializer:
        return URLSafeSerializer(current_app.secret_key, salt="demo-checkout")

    def create_customer(self, patient_id: int, email: str) -> str:
        return f"cus_demo_{patient_id}"

    def create_checkout(self, *, customer: str, patient_id: int, price: str, trial_days: int | None,
                        success_url: str, cancel_url: str, idempotency_key: str) -> CheckoutSession:  # fmt: skip
        base = current_app.config["PUBLIC_BASE_URL"]
        # Our own pages: kept as paths, so the demo works on whatever host the browser used.
        ok, back = (u.removeprefix(base) if u.startswith(base + "/") else u for u in (success_url, cancel_url))
        token = self._signer().dumps({"c": customer, "p": patient_id, "price": price, "trial": trial_days or 0,
                                      "ok": ok, "back": back, "n": secrets.token_hex(8)})  # fmt: skip
        session_id = self.session_id(token)
        return CheckoutSession(session_id, url_for("billing.demo_checkout", token=token), customer, None,
                               str(patient_id), "open")  # fmt: skip

    def session_id(self, token: str) -> str:
        return "cs_demo_" + hashlib.sha256(token.encode()).hexdigest()[:24]

    def read_token(self, token: str) -> dict[str, Any] | None:
        try:
            data = self._signer().loads(token)
        except BadSignature:
            return None
        return data if isinstance(data, dict) else None

    def checkout(self, session_id: str) -> CheckoutSession:
        from app.billing import demo

        sub = demo.subscription_for_session(session_id)
        if sub is None:
            return CheckoutSession(session_id, None, None, None, None, "open")
        return CheckoutSession(session_id, None, sub.customer, sub.id, str(sub.patient_id), "complete")

    def subscription(self, subscription_id: str) -> SubscriptionState:
        from app.billing import demo

        return demo.state(subscription_id)

    def portal_url(self, customer: str, return_url: str) -> str:
        return url_for("billing.demo_portal")


def backend() -> BillingBackend:
    config = current_app.config
    if config["BILLING_BACKEND"] == "stripe":
        if not config.get("STRIPE_SECRET_KEY"):
            raise ProviderError("Payments are not configured (STRIPE_SECRET_KEY is missing).")
        return StripeBilling(config["STRIPE_SECRET_KEY"], config.get("STRIPE_API_BASE"))
    return DummyBilling()

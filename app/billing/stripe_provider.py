"""The ``stripe`` payment provider: Stripe's SDK behind the port of ``app.billing.backends``
(``STRIPE_API_BASE`` points it at a test double)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from app.billing.backends import (
    CheckoutSession,
    ProviderError,
    ProviderRefused,
    SubscriptionState,
    checkout_session,
    subscription_state,
)
from app.settings import Settings

# Answers that will be the same on every retry; 401/403 (our key), 409, 429 and 5xx may change.
PERMANENT_STATUSES = {400, 404}


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
        return str(customer["id"])

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
        return checkout_session(session)

    def checkout(self, session_id: str) -> CheckoutSession:
        return checkout_session(self._call(self.client.v1.checkout.sessions.retrieve, session_id))

    def subscription(self, subscription_id: str) -> SubscriptionState:
        return subscription_state(self._call(self.client.v1.subscriptions.retrieve, subscription_id))

    def portal_url(self, customer: str, return_url: str) -> str:
        portal = self._call(
            self.client.v1.billing_portal.sessions.create, params={"customer": customer, "return_url": return_url}
        )
        return str(portal["url"])

    def update_card_url(self, customer: str, return_url: str) -> str:
        # The portal's payment-method flow opens straight on "update your card"; Stripe itself then
        # retries the open invoice and tells us through invoice.paid / customer.subscription.updated.
        params = {
            "customer": customer,
            "return_url": return_url,
            "flow_data": {
                "type": "payment_method_update",
                "after_completion": {"type": "redirect", "redirect": {"return_url": return_url}},
            },
        }
        portal = self._call(self.client.v1.billing_portal.sessions.create, params=params)
        return str(portal["url"])


def from_settings(settings: Settings) -> StripeBilling:
    if not settings.STRIPE_SECRET_KEY:
        raise ProviderError("Payments are not configured (STRIPE_SECRET_KEY is missing).")
    return StripeBilling(settings.STRIPE_SECRET_KEY, settings.STRIPE_API_BASE)

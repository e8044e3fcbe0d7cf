"""Payments behind one small port, and the registry of the providers that implement it.

A provider registers a factory under a name (``register``); the ``BILLING_BACKEND`` setting names the
one to use (``backend``). The app ships ``stripe`` (``app.billing.stripe_provider``: the real SDK,
``STRIPE_API_BASE`` for test doubles) and ``dummy`` (``app.billing.demo``: a local, clearly labelled
test checkout that drives the very same webhook handlers); ``app.billing.providers.install`` registers
both at start-up. This module knows neither of them.

Handlers never trust an event's copy of a subscription: they re-read it through ``subscription``,
so whatever order events arrive in, what we store is what the provider holds now.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from app.billing.membership import MembershipStatus
from app.errors import DomainError
from app.settings import Settings
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


class CheckoutStatus(StrEnum):
    """Stripe's Checkout Session statuses."""

    OPEN = "open"
    COMPLETE = "complete"
    EXPIRED = "expired"


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

    def update_card_url(self, customer: str, return_url: str) -> str:
        """The provider's page where the customer replaces their card (and nothing else); after it,
        back to ``return_url``."""
        ...


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
        status=_field(sub, "status", MembershipStatus.INCOMPLETE.value),
        price=price if isinstance(price, str) else _field(price, "id"),
        created=int(_field(sub, "created", 0)),
        trial_end=_field(sub, "trial_end"),
        current_period_end=period_end,
        cancel_at_period_end=bool(_field(sub, "cancel_at_period_end", False)),
        canceled_at=_field(sub, "canceled_at"),
        patient_id=parse_db_id(str(raw_patient)) if raw_patient else None,
    )


def checkout_session(obj: Any) -> CheckoutSession:
    sub = _field(obj, "subscription")
    customer = _field(obj, "customer")
    return CheckoutSession(
        id=obj["id"],
        url=_field(obj, "url"),
        customer=customer if isinstance(customer, str) or customer is None else customer["id"],
        subscription=sub if isinstance(sub, str) or sub is None else sub["id"],
        client_reference_id=_field(obj, "client_reference_id"),
        status=_field(obj, "status", CheckoutStatus.OPEN.value),
    )


# name -> factory, filled at start-up by app.billing.providers.install (CTFd's pattern for uploaders)
ProviderFactory = Callable[[Settings], BillingBackend]
_PROVIDERS: dict[str, ProviderFactory] = {}


def register(name: str, factory: ProviderFactory) -> None:
    """Make ``factory`` the provider called ``name`` (registering the same name again replaces it)."""
    _PROVIDERS[name] = factory


def backend(settings: Settings) -> BillingBackend:
    """The provider the ``BILLING_BACKEND`` setting names, built from ``settings``."""
    factory = _PROVIDERS.get(settings.BILLING_BACKEND)
    if factory is None:
        raise ProviderError(f"No payment provider called {settings.BILLING_BACKEND!r} is installed.")
    return factory(settings)

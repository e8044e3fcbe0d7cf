"""Applying Stripe events exactly once, in any order.

The event id is inserted under its primary key in the same transaction as the event's effect, so a
repeated delivery (even five at once) changes nothing. The effect never trusts the event's copy of
the subscription: it re-reads the subscription from the provider and stores that, which makes the
final state equal the provider's whatever order the events came in. The dummy backend feeds its
demo events through this same function.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.exc import IntegrityError

from app.billing import notices
from app.billing.backends import ProviderError, ProviderRefused, backend
from app.billing.membership import MembershipStatus
from app.billing.service import sync
from app.billing.stripe_event import EventOutcome, StripeEvent
from app.errors import NotFound
from app.extensions import db
from app.settings import Settings
from app.validation import MAX_YEAR, parse_db_id

# Unix seconds up to the end of year 2999 (app.validation's sane range); the column is 64-bit.
MAX_CREATED = int(datetime(MAX_YEAR + 1, 1, 1, tzinfo=UTC).timestamp()) - 1

SUBSCRIPTION_EVENTS = {
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "customer.subscription.trial_will_end",
}
# Subscription statuses under which a payment failure stands.
OWING = frozenset({MembershipStatus.PAST_DUE, MembershipStatus.UNPAID, MembershipStatus.INCOMPLETE})
INVOICE_EVENTS = {"invoice.paid", "invoice.payment_failed", "invoice.payment_succeeded"}


def _get(obj: Any, *path: str) -> Any:
    for name in path:
        if not isinstance(obj, dict) or obj.get(name) is None:
            return None
        obj = obj[name]
    return obj


# A Stripe object id as our columns hold it: printable ASCII (no NUL, no spaces), at most 255 characters.
STRIPE_ID = re.compile(r"[\x21-\x7e]{1,255}")
STRIPE_TYPE = re.compile(r"[\x21-\x7e]{1,100}")


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id")
    return value if isinstance(value, str) and STRIPE_ID.fullmatch(value) else None


def invoice_subscription(invoice: dict[str, Any]) -> str | None:
    """Current API versions put it under parent.subscription_details; older ones at the top."""
    return _id(_get(invoice, "parent", "subscription_details", "subscription")) or _id(invoice.get("subscription"))


def _effect(event: dict[str, Any], now: datetime, settings: Settings) -> tuple[str, int | None, str]:
    kind, obj = event["type"], _get(event, "data", "object") or {}
    if kind == "checkout.session.completed":
        sub_id, hint = _id(obj.get("subscription")), obj.get("client_reference_id")
        patient_hint = parse_db_id(hint)
    elif kind in SUBSCRIPTION_EVENTS:
        sub_id, patient_hint = _id(obj.get("id")), None
    elif kind in INVOICE_EVENTS:
        sub_id, patient_hint = invoice_subscription(obj), None
    else:
        return EventOutcome.IGNORED, None, "event type not used"
    if not sub_id:
        return EventOutcome.IGNORED, None, "no subscription in the event"
    try:
        state = backend(settings).subscription(sub_id)
    except ProviderRefused as exc:  # for good (e.g. no such subscription): acknowledged, never retried
        return EventOutcome.IGNORED, None, f"provider refused subscription {sub_id}: {exc.reason}"
    row = sync(state, now, settings, patient_hint=patient_hint)
    if row is None:
        return EventOutcome.IGNORED, None, f"no patient for subscription {sub_id}"
    detail = f"{sub_id} is {state.status}"
    if kind == "customer.subscription.trial_will_end" and state.status == MembershipStatus.TRIALING:
        notices.trial_ending(row, now, settings.PUBLIC_BASE_URL)
    if kind == "invoice.payment_failed" and state.status in OWING:
        # Only while the provider still says a payment is owed: a failure delivered after the invoice
        # was paid (events arrive in any order) must not record a failure or text the patient.
        row.last_payment_failed_at = now
        notices.payment_failed(row, _id(obj.get("id")) or event["id"], now, settings.PUBLIC_BASE_URL)
        detail += "; payment failed"
    return EventOutcome.PROCESSED, row.patient_id, detail


def created_of(event: dict[str, Any]) -> int | None:
    """The event's ``created`` (Unix seconds) as the column holds it; None when it is not one."""
    created = event.get("created", 0)
    if created is None:
        return 0
    if isinstance(created, bool) or not isinstance(created, int) or not 0 <= created <= MAX_CREATED:
        return None
    return created


def envelope_errors(event: dict[str, Any]) -> dict[str, str]:
    """What makes ``event`` not a Stripe event we can record (field -> reason); empty when it is one."""
    errors = {}
    if not isinstance(event.get("id"), str) or not STRIPE_ID.fullmatch(event["id"]):
        errors["id"] = "must be a Stripe id: 1 to 255 printable ASCII characters"
    if not isinstance(event.get("type"), str) or not STRIPE_TYPE.fullmatch(event["type"]):
        errors["type"] = "must be an event type name"
    if created_of(event) is None:
        errors["created"] = f"must be a Unix time in seconds, a JSON integer from 0 to {MAX_CREATED}"
    return errors


def process(event: dict[str, Any], now: datetime, settings: Settings, *, again: bool = False) -> str:
    """Apply one verified event. Returns ``processed``, ``ignored``, ``duplicate`` or raises
    ``ProviderError`` when the provider could not answer just now (the event is then kept as
    ``failed``: Stripe's retry, or a billing admin's re-process, applies it later). A provider's
    permanent answer (``ProviderRefused``, e.g. no such subscription) is recorded as ``ignored``."""
    if envelope_errors(event):
        return EventOutcome.IGNORED
    event_id = event["id"]
    row = db.session.get(StripeEvent, event_id, with_for_update=True)
    if row is not None and row.outcome != EventOutcome.FAILED and not again:
        db.session.rollback()
        return EventOutcome.DUPLICATE
    if row is None:
        row = StripeEvent(id=event_id, type=event["type"], created=created_of(event), payload=json.dumps(event),
                          received_at=now, outcome=EventOutcome.FAILED, attempts=0)  # fmt: skip
        try:
            with db.session.begin_nested():
                db.session.add(row)
        except IntegrityError:  # the same event, delivered concurrently, got in first
            db.session.rollback()
            return EventOutcome.DUPLICATE
    row.attempts += 1
    try:
        with db.session.begin_nested():
            outcome, patient_id, detail = _effect(event, now, settings)
    except ProviderError as exc:
        row.outcome, row.detail = EventOutcome.FAILED, f"provider unavailable: {exc.message}"
        db.session.commit()
        raise
    row.outcome, row.detail, row.patient_id, row.processed_at = outcome, detail, patient_id, now
    db.session.commit()
    return outcome


def reprocess(event_id: str, now: datetime, settings: Settings) -> str:
    row = db.session.get(StripeEvent, event_id)
    if row is None:
        raise NotFound("No such event.")
    return process(json.loads(row.payload), now, settings, again=True)

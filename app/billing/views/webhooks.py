"""``POST /billing/stripe/webhook``: the raw body's ``Stripe-Signature`` is verified with the stripe
SDK (5-minute tolerance) before anything is read from it."""

from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, request

from app import access
from app.billing import events
from app.billing.backends import ProviderError
from app.db import utcnow
from app.extensions import csrf
from app.pagekit.pages import page
from app.settings import Settings

bp = Blueprint("stripe_webhook", __name__, url_prefix="/billing/stripe")
csrf.exempt(bp)
TOLERANCE_SECONDS = 300


def _json(status: int, **body: object) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


# Stripe's events nest a handful of levels (event > data > object > items > data > price...); storing
# and walking a far deeper one costs stack for nothing.
MAX_DEPTH = 32


def _too_deep(value: object) -> bool:
    level, current = 0, [value] if isinstance(value, (dict, list)) else []
    while current:
        level += 1
        if level > MAX_DEPTH:
            return True
        children = (c for v in current for c in (v.values() if isinstance(v, dict) else v))
        current = [c for c in children if isinstance(c, (dict, list))]
    return False


@page(bp, "/webhook", access_rule=access.PUBLIC, methods=["POST"])
def stripe_webhook() -> Response:
    import stripe

    settings: Settings = current_app.config["SETTINGS"]
    secret = settings.STRIPE_WEBHOOK_SECRET
    payload = request.get_data(cache=False)
    if not secret:
        return _json(400, error="not_configured", message="STRIPE_WEBHOOK_SECRET is not set.")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), request.headers.get("Stripe-Signature"),
                                              secret, tolerance=TOLERANCE_SECONDS)  # fmt: skip
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
        return _json(400, error="bad_signature", message="The Stripe-Signature header does not match this body.")
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        return _json(400, error="malformed_json", message="The event is not valid JSON.")
    if not isinstance(event, dict):
        return _json(400, error="invalid", message="An event is a JSON object.", fields={"body": "not an object"})
    if _too_deep(event):
        return _json(400, error="invalid", message=f"An event nests at most {MAX_DEPTH} levels deep.",
                     fields={"body": "nested too deeply"})  # fmt: skip
    if errors := events.envelope_errors(event):
        return _json(400, error="invalid", message="This is not a Stripe event we can record.", fields=errors)
    try:
        outcome = events.process(event, utcnow(), settings)
    except ProviderError:
        # Kept as "failed": Stripe retries the delivery, and the billing console can re-process it.
        return _json(503, error="provider_unavailable", message="Could not re-read the subscription; retry later.")
    return _json(200, received=True, outcome=outcome)

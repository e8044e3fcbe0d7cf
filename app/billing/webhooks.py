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
from app.web.pages import page

bp = Blueprint("stripe_webhook", __name__, url_prefix="/billing/stripe")
csrf.exempt(bp)
TOLERANCE_SECONDS = 300


def _json(status: int, **body: object) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json")


@page(bp, "/webhook", access_rule=access.PUBLIC, methods=["POST"])
def stripe_webhook() -> Response:
    import stripe

    secret = current_app.config.get("STRIPE_WEBHOOK_SECRET")
    payload = request.get_data(cache=False)
    if not secret:
        return _json(400, error="not_configured", message="STRIPE_WEBHOOK_SECRET is not set.")
    try:
        stripe.WebhookSignature.verify_header(payload.decode("utf-8"), request.headers.get("Stripe-Signature"),
                                              secret, tolerance=TOLERANCE_SECONDS)  # fmt: skip
        event = json.loads(payload)
    except (stripe.SignatureVerificationError, ValueError, UnicodeDecodeError):
        return _json(400, error="bad_signature", message="The Stripe-Signature header does not match this body.")
    if not isinstance(event, dict):
        return _json(400, error="invalid", message="An event is a JSON object.")
    try:
        outcome = events.process(event, utcnow())
    except ProviderError:
        # Kept as "failed": Stripe retries the delivery, and the billing console can re-process it.
        return _json(503, error="provider_unavailable", message="Could not re-read the subscription; retry later.")
    return _json(200, received=True, outcome=outcome)

"""Twilio webhooks. The signature is checked against PUBLIC_BASE_URL + path (behind a TLS proxy the
request's own URL would not match what Twilio signed)."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse

from app import access
from app.db import utcnow
from app.extensions import csrf
from app.notifications import inbound
from app.pagekit.pages import page

bp = Blueprint("sms", __name__, url_prefix="/sms/twilio")
csrf.exempt(bp)


def _verified() -> None:
    token = current_app.config.get("TWILIO_AUTH_TOKEN")
    signature = request.headers.get("X-Twilio-Signature", "")
    url = current_app.config["PUBLIC_BASE_URL"] + request.path
    if not token or not signature or not RequestValidator(token).validate(url, request.form.to_dict(), signature):
        abort(403)


def _twiml(text: str | None) -> Response:
    reply = MessagingResponse()
    if text:
        reply.message(text)
    return Response(str(reply), mimetype="application/xml")


@page(bp, "/inbound", access_rule=access.PUBLIC, methods=["POST"])
def inbound_sms():
    _verified()
    number = request.form.get("From", "")[:20]
    if not number:
        return _twiml(None)
    return _twiml(inbound.handle_reply(number, request.form.get("Body", "")[:1600], utcnow()))


@page(bp, "/status", access_rule=access.PUBLIC, methods=["POST"])
def status_callback():
    _verified()
    inbound.record_status(
        request.form.get("MessageSid", "")[:64],
        request.form.get("MessageStatus", ""),
        request.form.get("ErrorCode") or None,
    )
    return Response(status=204)

"""Sending one text: ``console`` (demo: logged, never sent) or ``twilio`` (the real SDK).

Errors are sorted for the sender: ``Transient`` (5xx, 429, network trouble) is retried with
backoff; ``Permanent`` (opted out, invalid or landline number, other 4xx) is not.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

from flask import current_app

log = logging.getLogger("app.sms")
CLOCK_SKEW = timedelta(minutes=1)  # between our clock and Twilio's date_created
PERMANENT_CODES = {21610: "recipient opted out", 21211: "invalid number", 21614: "not a mobile number"}


class Transient(Exception):
    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


class Permanent(Exception):
    def __init__(self, reason: str, code: str | None = None) -> None:
        super().__init__(reason)
        self.reason, self.code = reason, code


@dataclass(frozen=True)
class Sent:
    sid: str
    status: str


class SmsBackend(Protocol):
    def send(self, to: str, body: str, *, reference: str) -> Sent: ...

    def find_sent(self, to: str, body: str, since: datetime, until: datetime | None = None) -> Sent | None: ...


class ConsoleSms:
    def send(self, to: str, body: str, *, reference: str) -> Sent:
        log.info("[DEMO SMS, not sent] to=%s: %s", to, body)
        return Sent(sid=f"CONSOLE-{reference}", status="sent")

    def find_sent(self, to: str, body: str, since: datetime, until: datetime | None = None) -> Sent | None:
        return None  # nothing leaves the process: logging the text again costs nothing


def _base_url_client(base: str):
    from twilio.http.http_client import TwilioHttpClient

    target = urlsplit(base)

    class BaseUrlHttpClient(TwilioHttpClient):
        """Twilio's SDK has no base-URL option: rewrite scheme and host so TWILIO_API_BASE works."""

        def request(self, method, url, *args, **kwargs):
            parts = urlsplit(url)
            url = urlunsplit((target.scheme, target.netloc, parts.path, parts.query, parts.fragment))
            return super().request(method, url, *args, **kwargs)

    return BaseUrlHttpClient(timeout=10)


class TwilioSms:
    def __init__(
        self, account_sid: str, auth_token: str, from_number: str, status_callback: str, api_base: str | None = None
    ) -> None:
        from twilio.rest import Client

        http_client = _base_url_client(api_base) if api_base else None
        self.client = Client(account_sid, auth_token, http_client=http_client)
        self.from_number, self.status_callback = from_number, status_callback

    def send(self, to: str, body: str, *, reference: str) -> Sent:
        from requests import RequestException
        from twilio.base.exceptions import TwilioException, TwilioRestException

        try:
            message = self.client.messages.create(
                to=to, from_=self.from_number, body=body, status_callback=self.status_callback
            )
        except TwilioRestException as exc:
            if exc.status >= 500 or exc.status == 429:
                raise Transient(f"Twilio answered {exc.status}", str(exc.code or exc.status)) from exc
            reason = PERMANENT_CODES.get(exc.code or 0, f"refused ({exc.status})")
            raise Permanent(reason, str(exc.code or exc.status)) from exc
        except (RequestException, TwilioException, OSError) as exc:
            # A timeout may mean the text went out: retrying risks at most one duplicate, never a loss.
            raise Transient(f"network: {type(exc).__name__}") from exc
        return Sent(sid=message.sid, status=message.status or "queued")

    def find_sent(self, to: str, body: str, since: datetime, until: datetime | None = None) -> Sent | None:
        """The text Twilio created with exactly this body to exactly this number between ``since`` and
        ``until`` (a minute of clock skew allowed each side), or None. Asked before re-sending a text
        whose sender died mid-send.

        Only an exact match counts: "drill message 1" must never adopt "drill message 1x", which
        another sender may have sent and not yet recorded. Twilio echoes nothing of ours in the
        Messages list (the StatusCallback URL is not returned), so recipient, body and the time window
        are the identity; the sender also refuses a SID another outbox row already holds.
        The list is newest first: it is read page by page until a message older than the window."""
        from requests import RequestException
        from twilio.base.exceptions import TwilioException

        earliest = since - CLOCK_SKEW
        latest = until + CLOCK_SKEW if until is not None else None
        try:
            for message in self.client.messages.stream(to=to, from_=self.from_number, page_size=50):
                created = message.date_created
                if created is None:
                    continue
                if created < earliest:
                    return None  # newest first: nothing older can be ours
                if (latest is None or created <= latest) and message.to == to and (message.body or "") == body:
                    return Sent(sid=message.sid, status=message.status or "sent")
        except (RequestException, TwilioException, OSError) as exc:
            raise Transient(f"lookup failed: {type(exc).__name__}") from exc
        return None


def backend() -> SmsBackend:
    config = current_app.config
    if config["SMS_BACKEND"] == "twilio":
        return TwilioSms(
            config["TWILIO_ACCOUNT_SID"] or "",
            config["TWILIO_AUTH_TOKEN"] or "",
            config["TWILIO_FROM_NUMBER"] or "",
            f"{config['PUBLIC_BASE_URL']}/sms/twilio/status",
            config.get("TWILIO_API_BASE"),
        )
    return ConsoleSms()

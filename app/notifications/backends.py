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

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None: ...


class ConsoleSms:
    def send(self, to: str, body: str, *, reference: str) -> Sent:
        log.info("[DEMO SMS, not sent] to=%s: %s", to, body)
        return Sent(sid=f"CONSOLE-{reference}", status="sent")

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None:
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

    def find_sent(self, to: str, body: str, since: datetime) -> Sent | None:
        """A text with this body to this number that Twilio created since ``since`` (a minute of
        clock skew allowed), or None. Asked before re-sending a text whose sender died mid-send."""
        from requests import RequestException
        from twilio.base.exceptions import TwilioException

        try:
            recent = self.client.messages.list(to=to, from_=self.from_number, limit=50)
        except (RequestException, TwilioException, OSError) as exc:
            raise Transient(f"lookup failed: {type(exc).__name__}") from exc
        for message in recent:
            created = message.date_created
            if (
                (message.body or "").startswith(body)
                and created is not None
                and created >= since - timedelta(minutes=1)
            ):
                return Sent(sid=message.sid, status=message.status or "sent")
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

"""Video visits: the public visit link is ours, the provider's room is secret.

Two names per appointment, never the same value:

- ``visit_token`` (stored, >= 128 random bits) makes the *visit link* ``/visits/<visit_token>``: our page,
  which answers only the appointment's patient and clinician (404 for anyone else, admins included)
  and offers the join only inside the join window. This is the ``video_url`` of the API, and what
  calendar files, feeds and texts carry.
- ``room_name`` is derived from the token with HMAC(SECRET_KEY): it is stored nowhere, cannot be worked
  out from the visit link, and is handed out only in the redirect of a checked join
  (``POST /visits/<visit_token>/join``). Knowing the link (from a synced calendar, a forwarded text or
  the admins' appointment list) is not knowing the room.

Providers: ``jitsi`` (default): the room on ``VIDEO_BASE_URL``; with ``VIDEO_JITSI_APP_ID`` and
``VIDEO_JITSI_APP_SECRET`` (a Jitsi deployment with token authentication) the join also carries a JWT
for that one room, valid only from the join window's opening to the visit's end. ``twilio``: a Twilio
Video access token for the room, generated locally by the twilio SDK.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode, urlsplit

import jwt
from flask import current_app

from app.accounts.user import User
from app.booking.appointment import Appointment, AppointmentStatus

JOIN_EARLY = timedelta(minutes=15)
ROOM_CONTEXT = b"video-room:v1:"  # domain separation: this HMAC of SECRET_KEY serves nothing else


class Jitsi:
    def __init__(self, base_url: str, app_id: str | None = None, app_secret: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.app_id, self.app_secret = app_id, app_secret

    def join_url(self, room: str, token: str | None = None) -> str:
        url = f"{self.base_url}/{room}"
        return f"{url}?{urlencode({'jwt': token})}" if token else url

    def room_token(
        self, room: str, *, user: User, moderator: bool, not_before: datetime, expires: datetime
    ) -> str | None:
        """A token for this one room (Jitsi's token authentication: prosody ``token`` auth with
        ``app_id``/``app_secret``), or None when the deployment does not use tokens."""
        if not (self.app_id and self.app_secret):
            return None
        claims = {
            "aud": "jitsi",
            "iss": self.app_id,
            "sub": urlsplit(self.base_url).hostname or "*",
            "room": room,
            "nbf": int(not_before.timestamp()),
            "exp": int(expires.timestamp()),
            "context": {"user": {"id": str(user.id), "name": user.name, "moderator": moderator}},
        }
        return jwt.encode(claims, self.app_secret, algorithm="HS256")


class TwilioVideo:
    def __init__(self, account_sid: str, key_sid: str, key_secret: str) -> None:
        self.account_sid, self.key_sid, self.key_secret = account_sid, key_sid, key_secret

    def access_token(self, room: str, identity: str, ttl_seconds: int = 4 * 3600) -> str:
        from twilio.jwt.access_token import AccessToken
        from twilio.jwt.access_token.grants import VideoGrant

        token = AccessToken(self.account_sid, self.key_sid, self.key_secret, identity=identity, ttl=ttl_seconds)
        token.add_grant(VideoGrant(room=room))
        jwt: str = token.to_jwt()
        return jwt


def provider() -> Jitsi | TwilioVideo:
    config = current_app.config
    if config["VIDEO_PROVIDER"] == "twilio":
        return TwilioVideo(config["TWILIO_ACCOUNT_SID"] or "", config.get("TWILIO_API_KEY_SID") or "",
                           config.get("TWILIO_API_KEY_SECRET") or "")  # fmt: skip
    return Jitsi(config["VIDEO_BASE_URL"], config.get("VIDEO_JITSI_APP_ID"), config.get("VIDEO_JITSI_APP_SECRET"))


def provider_origin() -> str | None:
    """The origin a checked join redirects to (None: the join stays on our page)."""
    if current_app.config["VIDEO_PROVIDER"] != "jitsi":
        return None
    parts = urlsplit(current_app.config["VIDEO_BASE_URL"])
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("https", "http") and parts.netloc else None


def room_name(appointment: Appointment) -> str:
    """The provider's room: HMAC(SECRET_KEY, visit token), 160 bits as hex (a name every provider
    accepts). Derived, not stored, so no listing, export or copy of the table carries it."""
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, ROOM_CONTEXT + appointment.visit_token.encode(), hashlib.sha256).hexdigest()
    return "hm" + digest[:40]


def visit_url(appointment: Appointment) -> str:
    """Our visit page: it checks who and when before handing out the provider's room."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/visits/{appointment.visit_token}"


def can_join(appointment: Appointment, now: datetime) -> bool:
    return (
        appointment.status == AppointmentStatus.BOOKED
        and appointment.start_at - JOIN_EARLY <= now <= appointment.end_at
    )


@dataclass(frozen=True)
class Entry:
    """How a checked participant enters the room: redirected to it (Jitsi), or in our page with an
    access token (Twilio)."""

    redirect_url: str | None = None
    twilio_room: str | None = None
    twilio_token: str | None = None


def enter(appointment: Appointment, user: User, now: datetime) -> Entry:
    """The room for a participant whose join was checked (``booking.service.join_visit``)."""
    chosen = provider()
    room = room_name(appointment)
    if isinstance(chosen, TwilioVideo):
        ttl = max(60, int((appointment.end_at - now).total_seconds()))
        return Entry(twilio_room=room, twilio_token=chosen.access_token(room, f"user-{user.id}", ttl))
    token = chosen.room_token(room, user=user, moderator=user.id == appointment.clinician_id,
                              not_before=appointment.start_at - JOIN_EARLY, expires=appointment.end_at)  # fmt: skip
    return Entry(redirect_url=chosen.join_url(room, token))

"""Video visits: each appointment has its own unguessable room on the configured provider.

``jitsi`` (default): the room name (>= 128 random bits) on ``VIDEO_BASE_URL``. ``twilio``: a Twilio
Video access token with a VideoGrant for the room, generated locally by the twilio SDK.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from flask import current_app

from app.booking.appointment import Appointment

JOIN_EARLY = timedelta(minutes=15)


class VideoProvider(Protocol):
    def join_url(self, room: str) -> str: ...


class Jitsi:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url.rstrip("/")

    def join_url(self, room: str) -> str:
        return f"{self.base_url}/{room}"


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

    def join_url(self, room: str) -> str:
        return ""  # joined in our own page with an access token


def provider() -> VideoProvider:
    config = current_app.config
    if config["VIDEO_PROVIDER"] == "twilio":
        return TwilioVideo(config["TWILIO_ACCOUNT_SID"] or "", config.get("TWILIO_API_KEY_SID") or "",
                           config.get("TWILIO_API_KEY_SECRET") or "")  # fmt: skip
    return Jitsi(config["VIDEO_BASE_URL"])


def visit_url(appointment: Appointment) -> str:
    """Our join page: it checks who and when before handing out the provider's room."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/visits/{appointment.video_room}"


def can_join(appointment: Appointment, now: datetime) -> bool:
    return appointment.status == "booked" and appointment.start_at - JOIN_EARLY <= now <= appointment.end_at

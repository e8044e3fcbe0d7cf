"""Video providers: Jitsi room URLs and Twilio Video access tokens generated locally."""

from __future__ import annotations

import jwt

from app.booking.video import Jitsi, TwilioVideo

SECRET = "twilio-api-key-secret-that-is-long-enough-0123456789"


def test_jitsi_room_url():
    assert Jitsi("https://meet.example.org/").join_url("abc") == "https://meet.example.org/abc"


def test_twilio_token_grants_only_that_room():
    token = TwilioVideo("AC" + "0" * 32, "SK" + "1" * 32, SECRET).access_token("room-xyz", identity="patient-7")
    claims = jwt.decode(token, SECRET, algorithms=["HS256"])
    assert claims["grants"]["identity"] == "patient-7"
    assert claims["grants"]["video"] == {"room": "room-xyz"}
    assert claims["iss"] == "SK" + "1" * 32 and claims["sub"] == "AC" + "0" * 32

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


def test_room_name_is_a_keyed_secret_of_the_visit_token():
    from types import SimpleNamespace

    from flask import Flask

    from app.booking.video import room_name

    visit = SimpleNamespace(visit_token="a" * 32)
    names = []
    for key in ("k" * 40, "k" * 40, "other-key-" * 4):
        app = Flask(__name__)
        app.config["SECRET_KEY"] = key
        with app.app_context():
            names.append(room_name(visit))
    assert names[0] == names[1] != names[2]  # stable for one key; another key, another room
    assert visit.visit_token not in names[0] and len(names[0]) >= 32

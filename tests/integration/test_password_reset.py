"""Password reset and "sign out everywhere"."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from app.auth import recovery
from app.auth.login_session import LoginSession
from app.auth.password_reset import PasswordResetToken
from app.auth.service import authenticate
from app.db import utcnow
from app.extensions import db
from tests.conftest import PASSWORD
from tests.integration.conftest import csrf_token_from, live_sessions, sent_to_login

NEW = "a brand new passphrase"


def _request(client, email, caplog):
    token = csrf_token_from(client.get("/password/forgot").get_data(as_text=True))
    with caplog.at_level(logging.INFO, logger="app.mail"):
        response = client.post("/password/forgot", data={"email": email, "csrf_token": token})
    links = re.findall(r"/password/reset/([\w-]+)", caplog.text)
    return response, links


def test_same_answer_for_known_and_unknown_addresses(client, make_patient, caplog):
    patient = make_patient()
    known, links = _request(client, patient.email, caplog)
    unknown, none = _request(client, "nobody@example.com", caplog)
    assert known.status_code == unknown.status_code == 200
    assert known.get_data(as_text=True) == unknown.get_data(as_text=True)
    assert len(links) == 1 and len(none) == 1  # the log still holds only the first mail


def test_reset_changes_password_ends_all_sessions_and_is_single_use(app, client, make_patient, browser_login, caplog):
    patient = make_patient()
    browser_login(patient)
    other_device = app.test_client()
    cookie = client.get_cookie("clinic_session")
    other_device.set_cookie("clinic_session", cookie.value)
    _, (raw,) = _request(app.test_client(), patient.email, caplog)

    form_page = client.get(f"/password/reset/{raw}").get_data(as_text=True)
    token = csrf_token_from(form_page)
    weak = client.post(f"/password/reset/{raw}", data={"password": "password1234", "csrf_token": token})
    assert weak.status_code == 422 and "too common" in weak.get_data(as_text=True)
    done = client.post(f"/password/reset/{raw}", data={"password": NEW, "csrf_token": token})
    assert done.status_code == 302
    assert authenticate(patient.email, NEW).id == patient.id
    assert sent_to_login(other_device.get("/dashboard"))
    assert all(s.ended_at is not None for s in db.session.scalars(db.select(LoginSession)))
    again = client.get(f"/password/reset/{raw}")
    assert again.status_code == 400 and "expired or was already used" in again.get_data(as_text=True)


def test_reset_link_expires_after_thirty_minutes(make_patient, caplog):
    patient = make_patient()
    with caplog.at_level(logging.INFO, logger="app.mail"):
        recovery.request_reset(patient.email, link_base="http://x", now=utcnow() - timedelta(minutes=31))
    (raw,) = re.findall(r"/password/reset/([\w-]+)", caplog.text)
    assert recovery.valid_token(raw) is None
    assert recovery.valid_token(raw, now=utcnow() - timedelta(minutes=2)) is not None


def test_newer_link_supersedes_older_one(make_patient, caplog):
    patient = make_patient()
    with caplog.at_level(logging.INFO, logger="app.mail"):
        recovery.request_reset(patient.email, link_base="http://x")
        recovery.request_reset(patient.email, link_base="http://x")
    first, second = re.findall(r"/password/reset/([\w-]+)", caplog.text)
    assert recovery.valid_token(first) is None and recovery.valid_token(second) is not None
    stored = db.session.scalars(db.select(PasswordResetToken.token_hash)).all()
    assert first not in stored and second not in stored


def test_sign_out_everywhere_ends_sessions_and_tokens(app, client, make_patient, browser_login, auth_headers):
    patient = make_patient()
    headers = auth_headers(patient)
    browser_login(patient)
    laptop = app.test_client()
    laptop.set_cookie("clinic_session", client.get_cookie("clinic_session").value)
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    assert live_sessions(patient) == 1
    assert sent_to_login(client.post("/account/sign-out-everywhere", data={"csrf_token": token}))
    assert live_sessions(patient) == 0
    assert sent_to_login(laptop.get("/dashboard")) and sent_to_login(client.get("/dashboard"))
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert authenticate(patient.email, PASSWORD).id == patient.id  # the password itself is unchanged

"""Browser sessions: server-side, 15 minutes idle, 12 hours absolute, really ended on logout."""

from __future__ import annotations

from datetime import timedelta

from app.auth.login_session import LoginSession
from app.db import utcnow
from app.extensions import db
from tests.conftest import PASSWORD
from tests.integration.conftest import csrf_token_from, live_sessions, sent_to_login


def _only_session() -> LoginSession:
    return db.session.scalars(db.select(LoginSession)).one()


def test_login_page_signs_in_and_dashboard_shows_the_user(client, make_patient, browser_login):
    patient = make_patient(name="Dana Example")
    browser_login(patient)
    page = client.get("/dashboard")
    assert page.status_code == 200
    assert "Welcome, Dana Example" in page.get_data(as_text=True)


def test_wrong_password_on_the_page_is_401_with_a_message(client, make_patient):
    patient = make_patient()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": patient.email, "password": "nope nope nope", "csrf_token": token})
    assert response.status_code == 401
    assert "E-mail or password is wrong" in response.get_data(as_text=True)


def test_copied_cookie_stops_working_after_logout(app, client, make_patient, browser_login):
    browser_login(make_patient())
    cookie = client.get_cookie("clinic_session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("clinic_session", cookie.value)
    assert thief.get("/dashboard").status_code == 200

    token = csrf_token_from(client.get("/dashboard").get_data(as_text=True))
    assert sent_to_login(client.post("/logout", data={"csrf_token": token}))
    assert _only_session().ended_at is not None
    assert sent_to_login(thief.get("/dashboard"))
    assert sent_to_login(client.get("/dashboard"))


def test_idle_timeout_ends_the_session(client, make_patient, browser_login):
    patient = make_patient()
    browser_login(patient)
    row = _only_session()
    row.last_seen_at = utcnow() - timedelta(minutes=16)
    db.session.commit()
    assert sent_to_login(client.get("/dashboard"))
    assert _only_session().ended_at is not None and live_sessions(patient) == 0


def test_activity_within_the_idle_limit_keeps_the_session(client, make_patient, browser_login):
    patient = make_patient()
    browser_login(patient)
    row = _only_session()
    row.last_seen_at = utcnow() - timedelta(minutes=14)
    db.session.commit()
    assert client.get("/dashboard").status_code == 200
    assert live_sessions(patient) == 1
    assert utcnow() - _only_session().last_seen_at < timedelta(minutes=1)


def test_absolute_limit_ends_even_an_active_session(client, make_patient, browser_login):
    browser_login(make_patient())
    row = _only_session()
    row.created_at = utcnow() - timedelta(hours=12, minutes=1)
    row.last_seen_at = utcnow()
    db.session.commit()
    assert sent_to_login(client.get("/dashboard"))
    assert _only_session().ended_at is not None


def test_disabled_account_is_signed_out_on_next_request(client, make_patient, browser_login):
    patient = make_patient()
    browser_login(patient)
    patient.is_enabled = False
    db.session.commit()
    assert sent_to_login(client.get("/dashboard"))
    patient.is_enabled = True  # the refusal came from the disabled account, not from a lost cookie
    db.session.commit()
    assert client.get("/dashboard").status_code == 200


def test_login_issues_a_fresh_session_cookie(client, make_patient):
    patient = make_patient()
    client.get("/login")
    before = client.get_cookie("clinic_session")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": patient.email, "password": PASSWORD, "csrf_token": token})
    after = client.get_cookie("clinic_session")
    assert after is not None and (before is None or before.value != after.value)


def test_next_parameter_only_redirects_within_the_site(client, make_patient):
    patient = make_patient()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    data = {"email": patient.email, "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=//evil.example.com/x", data=data)
    assert response.headers["Location"].endswith("/dashboard")


def test_login_form_is_throttled_after_ten_failures(client, make_patient):
    patient = make_patient()
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    bad = {"email": patient.email, "password": "wrong wrong wrong", "csrf_token": token}
    for _ in range(10):
        assert client.post("/login", data=bad).status_code == 401
    good = {"email": patient.email, "password": PASSWORD, "csrf_token": token}
    assert client.post("/login", data=good).status_code == 429


def test_signup_page_creates_account_and_signs_in(client):
    token = csrf_token_from(client.get("/signup").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": "Kim Lee",
        "email": "kim@example.com",
        "password": "a long passphrase",
        "state": "WA",
        "timezone": "America/Los_Angeles",
    }
    response = client.post("/signup", data=form)
    assert response.status_code == 302  # on to the optional mobile-number step (test_onboarding.py)
    me = client.get("/dashboard").get_data(as_text=True)
    assert "Kim Lee" in me and "WA" in me and "America/Los_Angeles" in me


def test_signup_page_shows_errors_next_to_fields_and_keeps_input(client, make_patient):
    taken = make_patient()
    token = csrf_token_from(client.get("/signup").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": "Kim",
        "email": taken.email,
        "password": "a long passphrase",
        "state": "ZZ",
        "timezone": "America/New_York",
    }
    response = client.post("/signup", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="state-error">Choose a US state from the list.' in html
    assert 'value="Kim"' in html and "a long passphrase" not in html

"""Contract: 429 after 10 failures for one account (password and code failures, pages and API together)
or one IP within 15 minutes; the second factor is throttled per user, never per an empty form field;
sign-up's 409 is throttled per address and per IP; a session that owes the second factor acts nowhere."""

from __future__ import annotations

import re

from flask.testing import FlaskClient

from app.accounts.user import User
from app.audit.event import AuditEvent
from app.extensions import db
from app.intake.result import IntakeResult
from tests.conftest import PASSWORD
from tests.integration.conftest import csrf_token_from, totp_code


def _from(app, ip: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return client


def _password_step(client: FlaskClient, user: User, password: str = PASSWORD):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})


def _enrolled(app, user: User) -> None:
    """Two-factor set up through the pages, then signed out, so the next sign-in asks for a code."""
    client = _from(app, "10.50.0.1")
    step = _password_step(client, user).headers["Location"]
    if "/account/mfa/setup" not in step:  # a patient opts in from the account page
        step = "/account/mfa/setup"
    page = client.get(step).get_data(as_text=True)
    done = client.post(step, data={"code": totp_code(user), "csrf_token": csrf_token_from(page)})
    assert done.status_code == 200, done.get_data(as_text=True)
    signed_in = csrf_token_from(client.get("/account").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": signed_in}).status_code == 302
    db.session.expire_all()
    assert user.mfa_enabled


def _wrong_code(client: FlaskClient):
    page = client.get("/login/verify").get_data(as_text=True)
    return client.post("/login/verify", data={"code": "000000", "csrf_token": csrf_token_from(page)})


def _right_code(client: FlaskClient, user: User):
    page = client.get("/login/verify").get_data(as_text=True)
    return client.post("/login/verify", data={"code": totp_code(user), "csrf_token": csrf_token_from(page)})


def test_wrong_codes_lock_only_their_own_account(app, client, make_staff):
    jammer, other = make_staff("admin"), make_staff("admin")
    _enrolled(app, jammer)
    _enrolled(app, other)
    for i in range(10):  # each from its own address: only the account's bucket fills
        attacker = _from(app, f"10.51.0.{i}")
        assert _password_step(attacker, jammer).status_code == 302
        assert _wrong_code(attacker).status_code == 401
    elsewhere = _from(app, "10.52.0.1")
    assert _password_step(elsewhere, other).status_code == 302
    assert _right_code(elsewhere, other).status_code == 302  # another admin still signs in
    owner = _from(app, "10.52.0.2")
    assert _password_step(owner, jammer).status_code == 429  # the jammed account itself is locked


def test_password_and_code_failures_count_once_per_account_across_pages_and_api(app, make_staff):
    admin = make_staff("admin")
    _enrolled(app, admin)
    for i in range(4):
        assert _password_step(_from(app, f"10.60.0.{i}"), admin, "wrong wrong wrong").status_code == 401
        api = _from(app, f"10.61.0.{i}").post("/api/v1/auth/token", json={"email": admin.email, "password": "nope"})
        assert api.status_code == 401
    assert (
        _from(app, "10.62.0.1")
        .post("/api/v1/auth/token", json={"email": admin.email, "password": PASSWORD, "otp": "000000"})
        .status_code
        == 401
    )  # a wrong code through the API
    half = _from(app, "10.63.0.1")
    assert _password_step(half, admin).status_code == 302
    assert _wrong_code(half).status_code == 401  # the tenth failure: a wrong code in the pages
    right = {"email": admin.email, "password": PASSWORD, "otp": totp_code(admin)}
    blocked = _from(app, "10.64.0.1").post("/api/v1/auth/token", json=right)
    assert blocked.status_code == 429 and blocked.get_json()["error"] == "rate_limited"
    assert _password_step(_from(app, "10.64.0.2"), admin).status_code == 429


def test_wrong_codes_from_one_address_are_throttled_whatever_the_account(app, make_staff):
    admins = [make_staff("admin") for _ in range(3)]
    for admin in admins:
        _enrolled(app, admin)
    same = "10.70.0.1"
    for i in range(10):
        client = _from(app, same)
        assert _password_step(client, admins[i % 3]).status_code == 302
        assert _wrong_code(client).status_code == 401
    client = _from(app, same)
    assert _password_step(client, admins[0]).status_code == 429


def _signup_form(client: FlaskClient, email: str) -> dict[str, str]:
    token = csrf_token_from(client.get("/signup").get_data(as_text=True))
    return {"csrf_token": token, "email": email, "password": PASSWORD, "name": "Probe", "state": "NY",
            "timezone": "America/New_York"}  # fmt: skip


def _signup_json(email: str) -> dict[str, str]:
    return {"email": email, "password": PASSWORD, "name": "Probe", "state": "NY", "timezone": "America/New_York"}


def test_signup_answers_email_taken_only_ten_times_per_address_of_origin(app, make_patient):
    taken = [make_patient().email for _ in range(10)]
    for i, email in enumerate(taken):  # pages and API together
        client = _from(app, "10.80.0.1")
        if i % 2:
            assert client.post("/api/v1/patients", json=_signup_json(email)).status_code == 409
        else:
            assert client.post("/signup", data=_signup_form(client, email)).status_code == 409
    client = _from(app, "10.80.0.1")
    assert client.post("/api/v1/patients", json=_signup_json("fresh-1@example.com")).status_code == 429
    assert client.post("/signup", data=_signup_form(client, "fresh-2@example.com")).status_code == 429
    assert _from(app, "10.80.0.2").post("/api/v1/patients", json=_signup_json("fresh-3@example.com")).status_code == 201


def test_signup_of_one_taken_address_is_throttled_from_any_address(app, make_patient):
    taken = make_patient().email
    for i in range(10):
        assert _from(app, f"10.81.0.{i}").post("/api/v1/patients", json=_signup_json(taken)).status_code == 409
    assert _from(app, "10.81.1.1").post("/api/v1/patients", json=_signup_json(taken)).status_code == 429


def _crisis_intake() -> dict[str, str]:
    form = {f"phq9_{i}": "3" for i in range(9)} | {f"gad7_{i}": "3" for i in range(7)}
    return form | {"signs": "self_harm"}


def test_a_session_owing_the_second_factor_acts_nowhere(app, make_patient):
    """Every POST route, with a session that passed the password but not the code: nothing is done as
    the account (no intake saved, nothing audited as its act), and it is not shown as signed in."""
    patient = make_patient()
    _enrolled(app, patient)
    half = _from(app, "10.90.0.1")
    assert "/login/verify" in _password_step(half, patient).headers["Location"]
    token = csrf_token_from(half.get("/login/verify").get_data(as_text=True))
    before = db.session.scalar(db.select(db.func.max(AuditEvent.id)))
    crawled = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if "POST" not in rule.methods or getattr(view, "access_rule", None) == "mfa_step":
            continue
        if rule.endpoint in ("auth.logout", "auth.login"):
            continue  # sign-out may act; a fresh password sign-in replaces the session
        args = {name: patient.id if "int" in type(conv).__name__.lower() else "x"
                for name, conv in rule._converters.items()}  # fmt: skip
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m, args=args: str(args[m.group(1)]), rule.rule)
        response = half.post(path, data=_crisis_intake() | {"csrf_token": token})
        assert response.status_code < 500, (path, response.status_code)
        if response.status_code in (301, 302, 303):
            location = response.headers["Location"]
            assert "/login" in location or "/account/mfa/setup" in location or rule.endpoint == "accounts.signup", (
                path,
                location,
            )
        crawled.append(path)
    assert "/care-finder" in crawled and len(crawled) > 20
    db.session.expire_all()
    assert db.session.scalars(db.select(IntakeResult).where(IntakeResult.patient_id == patient.id)).all() == []
    acted = db.session.scalars(
        db.select(AuditEvent.action).where(AuditEvent.id > (before or 0), AuditEvent.actor_id == patient.id)
    ).all()
    assert acted == []
    home = half.get("/care-finder").get_data(as_text=True)
    assert patient.name not in home
    # The half-signed-in session still reaches its two-factor step and finishes there.
    assert _right_code(half, patient).status_code == 302

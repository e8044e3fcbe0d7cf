"""Contract: "Auth and accounts" — tokens, 401, 429 after 10 failures per e-mail or per address."""

from __future__ import annotations

from datetime import timedelta

from app.auth import service as auth_service
from app.auth.api_token import ApiToken
from app.db import utcnow
from app.extensions import db
from tests.conftest import PASSWORD


def token_call(client, email, password, ip="10.0.0.1"):
    return client.post(
        "/api/v1/auth/token", json={"email": email, "password": password}, environ_base={"REMOTE_ADDR": ip}
    )


def test_token_for_valid_credentials(client, make_patient):
    patient = make_patient()
    response = token_call(client, patient.email.upper(), PASSWORD)
    assert response.status_code == 200
    body = response.get_json()
    assert body["user"] == {"id": patient.id, "role": "patient"}
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {body['token']}"})
    assert me.status_code == 200 and me.get_json()["email"] == patient.email


def test_wrong_password_and_unknown_email_look_the_same(client, make_patient):
    patient = make_patient()
    wrong = token_call(client, patient.email, "not the password at all")
    unknown = token_call(client, "nobody@example.com", PASSWORD)
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.get_json()["error"] == unknown.get_json()["error"] == "invalid_credentials"


def test_token_is_stored_hashed(client, make_patient):
    patient = make_patient()
    raw = token_call(client, patient.email, PASSWORD).get_json()["token"]
    stored = db.session.scalars(db.select(ApiToken.token_hash)).all()
    assert raw not in stored and len(stored) == 1


def test_expired_revoked_and_garbage_tokens_are_401(client, make_patient):
    patient = make_patient()
    raw = auth_service.issue_token(patient, timedelta(hours=1), now=utcnow() - timedelta(hours=2))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401
    live = auth_service.issue_token(patient, timedelta(hours=1))
    db.session.execute(db.update(ApiToken).values(revoked_at=utcnow()))
    db.session.commit()
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {live}"}).status_code == 401


def test_disabled_account_token_stops_working(client, make_patient, auth_headers):
    patient = make_patient()
    headers = auth_headers(patient)
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    patient.is_enabled = False
    db.session.commit()
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_429_after_ten_failures_for_one_email(client, make_patient):
    patient = make_patient()
    for i in range(10):
        assert token_call(client, patient.email, "wrong password!", ip=f"10.0.1.{i}").status_code == 401
    blocked = token_call(client, patient.email, PASSWORD, ip="10.0.2.1")
    assert blocked.status_code == 429
    assert blocked.get_json()["error"] == "rate_limited"
    # Another account from a fresh address is unaffected.
    other = make_patient()
    assert token_call(client, other.email, PASSWORD, ip="10.0.3.1").status_code == 200


def test_429_after_ten_failures_from_one_address(client, make_patient):
    patient = make_patient()
    for i in range(10):
        assert token_call(client, f"someone{i}@example.com", "wrong password!", ip="10.9.9.9").status_code == 401
    assert token_call(client, patient.email, PASSWORD, ip="10.9.9.9").status_code == 429
    assert token_call(client, patient.email, PASSWORD, ip="10.9.9.10").status_code == 200


def test_successes_do_not_count_towards_the_limit(client, make_patient):
    patient = make_patient()
    for _ in range(12):
        assert token_call(client, patient.email, PASSWORD).status_code == 200


def test_nine_failures_then_success_is_allowed(client, make_patient):
    patient = make_patient()
    for _ in range(9):
        token_call(client, patient.email, "wrong password!")
    assert token_call(client, patient.email, PASSWORD).status_code == 200


def test_token_request_validation(client):
    assert client.post("/api/v1/auth/token", json={"email": "a@b.c"}).status_code == 422
    assert client.post("/api/v1/auth/token", json=["not", "an", "object"]).status_code == 422
    bad = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert bad.status_code == 400 and bad.get_json()["error"] == "malformed_json"

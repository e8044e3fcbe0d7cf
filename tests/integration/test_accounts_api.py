"""Contract: "Auth and accounts" — sign-up, clinicians, staff users, /me."""

from __future__ import annotations

import pytest

from app.accounts.patient import PatientProfile
from app.extensions import db
from tests.conftest import PASSWORD

SIGNUP = {
    "email": "new@example.com",
    "password": PASSWORD,
    "name": "New Patient",
    "state": "ny",
    "timezone": "America/Chicago",
}


def test_patient_signup_201(client):
    response = client.post("/api/v1/patients", json=SIGNUP)
    assert response.status_code == 201
    body = response.get_json()
    assert body["id"] > 0 and body["role"] == "patient" and body["patient"]["state"] == "NY"
    assert body["patient"]["sms_opt_in"] is False and "password" not in str(body)


def test_sms_opt_in_records_consent_evidence(client):
    response = client.post("/api/v1/patients", json={**SIGNUP, "phone": "212-555-0142", "sms_opt_in": True})
    assert response.status_code == 201
    profile = db.session.get(PatientProfile, response.get_json()["id"])
    assert profile.phone == "+12125550142" and profile.sms_opt_in
    assert profile.sms_consent_at is not None and profile.sms_consent_source == "api"
    assert "STOP" in profile.sms_consent_text


def test_email_taken_409_case_insensitive(client, make_patient):
    existing = make_patient()
    response = client.post("/api/v1/patients", json={**SIGNUP, "email": existing.email.upper()})
    assert response.status_code == 409 and response.get_json()["error"] == "email_taken"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("email", "not-an-email"),
        ("password", "x" * 11),
        ("state", "ZZ"),
        ("timezone", "Mars/Olympus"),
        ("phone", "12345"),
        ("name", "   "),
        ("sms_opt_in", "maybe"),
    ],
)
def test_signup_422_names_the_field(client, field, value):
    response = client.post("/api/v1/patients", json={**SIGNUP, field: value})
    body = response.get_json()
    assert response.status_code == 422 and body["error"] == "invalid"
    assert field in body["fields"], body


def test_password_of_exactly_twelve_characters_is_accepted(client):
    assert client.post("/api/v1/patients", json={**SIGNUP, "password": "tulip-violet"}).status_code == 201


@pytest.mark.parametrize("password", ["password1234", "Qwerty123456!", "aaaaaaaaaaaaaa", "iloveyouiloveyou"])
def test_common_passwords_are_refused(client, password):
    response = client.post("/api/v1/patients", json={**SIGNUP, "password": password})
    assert response.status_code == 422 and "too common" in response.get_json()["fields"]["password"]


def test_missing_fields_and_unknown_fields_are_422(client):
    body = client.post("/api/v1/patients", json={"email": "a@example.com"}).get_json()
    assert {"password", "name", "state", "timezone"} <= set(body["fields"])
    assert client.post("/api/v1/patients", json={**SIGNUP, "role": "admin"}).status_code == 422


CLINICIAN = {
    "email": "doc@example.com",
    "password": PASSWORD,
    "name": "Dr. Doc",
    "credential": "MD",
    "licensed_states": ["NY", "ca"],
    "modalities": ["medication_management"],
    "timezone": "America/New_York",
    "bio": "Hello",
    "languages": ["English", "Spanish"],
}


@pytest.mark.parametrize(
    ("credential", "clinical_role"),
    [
        ("MD", "prescriber"),
        ("DO", "prescriber"),
        ("PMHNP", "prescriber"),
        ("PhD", "therapist"),
        ("PsyD", "therapist"),
        ("LCSW", "therapist"),
        ("LMHC", "therapist"),
        ("LMFT", "therapist"),
    ],
)
def test_admin_creates_clinicians_with_derived_clinical_role(
    client, make_staff, auth_headers, credential, clinical_role
):
    admin = make_staff("admin")
    response = client.post(
        "/api/v1/clinicians", json={**CLINICIAN, "credential": credential}, headers=auth_headers(admin)
    )
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["clinical_role"] == clinical_role
    assert body["clinician"]["licensed_states"] == ["CA", "NY"]


def test_clinical_role_cannot_be_chosen(client, make_staff, auth_headers):
    admin = make_staff("admin")
    response = client.post(
        "/api/v1/clinicians",
        json={**CLINICIAN, "credential": "LCSW", "clinical_role": "prescriber"},
        headers=auth_headers(admin),
    )
    assert response.status_code == 422


def test_clinician_validation(client, make_staff, auth_headers):
    headers = auth_headers(make_staff("admin"))
    for field, value in [
        ("credential", "RN"),
        ("licensed_states", []),
        ("licensed_states", ["XX"]),
        ("modalities", ["astrology"]),
        ("timezone", "Nowhere"),
    ]:
        response = client.post("/api/v1/clinicians", json={**CLINICIAN, field: value}, headers=headers)
        assert response.status_code == 422, (field, value)
        assert any(k.split(".")[0] == field for k in response.get_json()["fields"])


def test_only_admins_create_clinicians_and_users(client, make_patient, make_clinician, make_staff, auth_headers):
    assert client.post("/api/v1/clinicians", json=CLINICIAN).status_code == 401
    for user in (make_patient(), make_clinician(), make_staff("billing_admin")):
        headers = auth_headers(user)
        assert client.post("/api/v1/clinicians", json=CLINICIAN, headers=headers).status_code == 403
        staff = {"email": "s@example.com", "password": PASSWORD, "name": "S", "role": "admin"}
        assert client.post("/api/v1/users", json=staff, headers=headers).status_code == 403


def test_admin_creates_staff_users(client, make_staff, auth_headers):
    headers = auth_headers(make_staff("admin"))
    for role in ("billing_admin", "admin"):
        body = {"email": f"{role}@example.org", "password": PASSWORD, "name": "Staff", "role": role}
        response = client.post("/api/v1/users", json=body, headers=headers)
        assert response.status_code == 201 and response.get_json()["role"] == role
    bad = {"email": "p@example.org", "password": PASSWORD, "name": "P", "role": "patient"}
    assert client.post("/api/v1/users", json=bad, headers=headers).status_code == 422


def test_me_for_each_role(client, make_patient, make_clinician, make_staff, auth_headers):
    clinician = make_clinician("PsyD")
    body = client.get("/api/v1/me", headers=auth_headers(clinician)).get_json()
    assert body["role"] == "clinician" and body["clinical_role"] == "therapist"
    assert body["clinician"]["credential"] == "PsyD"
    for user in (make_patient(), make_staff("billing_admin"), make_staff("admin")):
        body = client.get("/api/v1/me", headers=auth_headers(user)).get_json()
        assert body["id"] == user.id and body["role"] == user.role

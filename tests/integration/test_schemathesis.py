"""schemathesis against /api/v1/openapi.json with each role's bearer token: no 5xx, every answer
matches the documented schema, invalid input is refused, and no operation that declares a token
works without one (``not_a_server_error``, ``response_schema_conformance``,
``negative_data_rejection``, ``ignored_auth``).

Bounded for CI: a few examples per operation and role (positive and negative), no shrinking, and
only on PostgreSQL (the regression tests at the end run on both databases). Each
operation and role is one test, inside the suite's rolled-back transaction, and every request runs
in a fresh context like the suite's other requests (``IsolatedClient``).
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import ignored_auth, negative_data_rejection, response_schema_conformance

from app import create_app
from tests.conftest import TEST_SECRET

CHECKS = [not_a_server_error, response_schema_conformance, negative_data_rejection, ignored_auth]
MAX_EXAMPLES = 10


def _load() -> schemathesis.BaseSchema:
    # The document only: requests go to the suite's app through the ``client`` each test passes.
    document_app = create_app({"TESTING": True, "DATABASE_URL": "sqlite://", "SECRET_KEY": TEST_SECRET})
    loaded = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", document_app)
    loaded.config.generation.update(
        modes=[GenerationMode.POSITIVE, GenerationMode.NEGATIVE], max_examples=MAX_EXAMPLES, no_shrink=True,
        deterministic=True,
    )  # fmt: skip
    return loaded


schema = _load()


@pytest.fixture
def headers_for(app, make_patient, make_clinician, make_staff, auth_headers):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("generated API tests run once, on PostgreSQL (make test-postgres): a few minutes each run")
    made: dict[str, dict[str, str]] = {}

    def headers(role: str) -> dict[str, str]:
        if role not in made:
            user = (
                make_patient() if role == "patient" else make_clinician() if role == "clinician" else make_staff(role)
            )
            made[role] = auth_headers(user)
        return made[role]

    return headers


BOUNDED = settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)


def _check(case, headers: dict[str, str], client) -> None:
    case.call_and_validate(session=client, headers=headers, checks=CHECKS)


# One test per operation and role.
@schema.parametrize()
@BOUNDED
def test_api_as_patient(case, headers_for, client):
    _check(case, headers_for("patient"), client)


@schema.parametrize()
@BOUNDED
def test_api_as_clinician(case, headers_for, client):
    _check(case, headers_for("clinician"), client)


@schema.parametrize()
@BOUNDED
def test_api_as_billing_admin(case, headers_for, client):
    _check(case, headers_for("billing_admin"), client)


@schema.parametrize()
@BOUNDED
def test_api_as_admin(case, headers_for, client):
    _check(case, headers_for("admin"), client)


# What schemathesis found, pinned down.


def test_an_id_too_large_for_a_column_is_not_found(client, make_patient, auth_headers):
    headers = auth_headers(make_patient())
    for path in ("/api/v1/appointments/99999999999999999999", "/api/v1/patients/2147483648/care-plan"):
        assert client.get(path, headers=headers).status_code == 404
    assert client.get("/api/v1/appointments/2147483647", headers=headers).status_code == 404


def test_availability_fields_may_be_left_out_but_not_sent_as_null(client, make_clinician, auth_headers):
    clinician = make_clinician()
    url, headers = f"/api/v1/clinicians/{clinician.id}/availability", auth_headers(clinician)
    for field in ("weekly", "timezone", "gap_minutes"):
        response = client.put(url, json={field: None}, headers=headers)
        assert response.status_code == 422 and field in response.get_json()["fields"], field
    assert client.put(url, json={"max_per_day": None}, headers=headers).status_code == 200


def test_two_models_of_one_name_get_two_components(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    care_plan = doc["paths"]["/api/v1/patients/{patient_id}/care-plan"]["get"]["responses"]["200"]
    plans = doc["paths"]["/api/v1/billing/plans"]["get"]["responses"]["200"]
    care_ref = care_plan["content"]["application/json"]["schema"]["$ref"]
    plan_ref = plans["content"]["application/json"]["schema"]["items"]["$ref"]
    assert care_ref != plan_ref
    assert "version" in doc["components"]["schemas"][care_ref.rsplit("/", 1)[1]]["properties"]

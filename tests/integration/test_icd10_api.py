"""Contract: ``GET /api/v1/icd10?q=`` (docs/api.md, "Visit notes, problems, tasks, messages, invitations")."""

from __future__ import annotations

import pytest


@pytest.fixture
def clinician_h(make_clinician, auth_headers):
    return auth_headers(make_clinician("MD"))


def test_a_clinician_searches_by_code_and_by_words(client, clinician_h):
    exact = client.get("/api/v1/icd10?q=F33.1", headers=clinician_h)
    assert exact.status_code == 200
    assert exact.get_json()[0] == {"code": "F33.1", "description": "Major depressive disorder, recurrent, moderate"}
    under = client.get("/api/v1/icd10", query_string={"q": "f33"}, headers=clinician_h).get_json()
    assert under and all(row["code"].startswith("F33.") for row in under)
    words = client.get("/api/v1/icd10", query_string={"q": "recurrent depression"}, headers=clinician_h).get_json()
    assert "F33.1" in [row["code"] for row in words]
    many = client.get("/api/v1/icd10?q=disorder", headers=clinician_h).get_json()
    assert len(many) == 20 and all(set(row) == {"code", "description"} for row in many)
    assert client.get("/api/v1/icd10?q=xyzzyplugh", headers=clinician_h).get_json() == []


@pytest.mark.parametrize("query", ["", "?q=", "?q=F", "?q=%20%20F%20", "?q=" + "x" * 101])
def test_a_missing_or_too_short_query_is_422(client, clinician_h, query):
    response = client.get("/api/v1/icd10" + query, headers=clinician_h)
    assert response.status_code == 422
    assert response.get_json()["error"] == "invalid" and "q" in response.get_json()["fields"]


def test_an_unknown_parameter_is_422(client, clinician_h):
    assert client.get("/api/v1/icd10?q=F33&limit=500", headers=clinician_h).status_code == 422


def test_only_clinicians(client, make_patient, make_staff, auth_headers):
    # The role gates of every route: test_access_roles_matrix.py; here the answer each role gets.
    assert client.get("/api/v1/icd10?q=F33").status_code == 401
    for user in (make_patient(), make_staff("admin"), make_staff("billing_admin")):
        response = client.get("/api/v1/icd10?q=F33", headers=auth_headers(user))
        assert response.status_code == 403 and response.get_json()["error"] == "forbidden"


def test_the_search_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    op = doc["paths"]["/api/v1/icd10"]["get"]
    (param,) = op["parameters"]
    assert param["name"] == "q" and param["required"] and param["schema"]["minLength"] == 2
    assert {"200", "403", "422"} <= set(op["responses"])
    assert set(doc["components"]["schemas"]["Icd10CodeOut"]["properties"]) == {"code", "description"}

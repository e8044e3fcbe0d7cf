"""Hostile input on every JSON route, for every role: always a 4xx (or a success), never a 5xx.

The routes come from the endpoint registry, so every endpoint added later is covered too.
"""

from __future__ import annotations

import re

import pytest

from app.api.endpoint import REGISTRY
from tests.integration.conftest import csrf_token_from

HOSTILE = [
    "' OR 1=1; DROP TABLE users; --",
    "\x00nul\x00",
    "<img src=x onerror=alert(1)>",
    "{{7*7}}",
    "2027-02-30",
    "2027-03-14T02:30:00",  # a wall time that does not exist in US zones
    "9" * 400,
    -1,
    10**30,
    1.5,
    True,
    None,
    [],
    {"$ne": None},
]


def _path(spec_path: str) -> str:
    return re.sub(r"<(?:\w+:)?\w+>", "1", spec_path)


@pytest.fixture
def role_headers(make_patient, make_clinician, make_staff, auth_headers):
    return {
        "anonymous": {},
        "patient": auth_headers(make_patient()),
        "therapist": auth_headers(make_clinician("LCSW")),
        "prescriber": auth_headers(make_clinician("MD")),
        "billing_admin": auth_headers(make_staff("billing_admin")),
        "admin": auth_headers(make_staff("admin")),
    }


def test_hostile_json_bodies_never_5xx(client, role_headers):
    failures = []
    for spec in REGISTRY:
        for method in spec.methods:
            if method == "GET":
                continue
            fields = list(spec.body.model_fields) if spec.body else ["anything"]
            for role, headers in role_headers.items():
                for value in HOSTILE:
                    response = client.open(_path(spec.path), method=method, json=dict.fromkeys(fields, value),
                                           headers=headers)  # fmt: skip
                    if response.status_code >= 500:
                        failures.append((method, spec.path, role, repr(value)[:40], response.status_code))
    assert failures == []


def test_hostile_query_strings_never_5xx(client, role_headers):
    failures = []
    for spec in REGISTRY:
        if "GET" not in spec.methods:
            continue
        names = list(spec.query.model_fields) if spec.query else ["q"]
        for role, headers in role_headers.items():
            for value in ["2027-02-30", "' OR 1=1", "-1", "9" * 400, "Mars/Base", "%00", "[]"]:
                response = client.get(_path(spec.path), query_string=dict.fromkeys(names, value), headers=headers)
                if response.status_code >= 500:
                    failures.append((spec.path, role, value[:20], response.status_code))
    assert failures == []


def test_huge_and_deep_bodies_are_refused(client):
    assert (
        client.post("/api/v1/patients", data="x" * (2 * 1024 * 1024), content_type="application/json").status_code
        == 413
    )
    deep = "[" * 50_000 + "]" * 50_000
    assert client.post("/api/v1/auth/token", data=deep, content_type="application/json").status_code in (400, 422)


def test_nul_in_a_form_is_400(client):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"email": "a\x00@example.com", "password": "x", "csrf_token": token})
    assert response.status_code == 400


# Stored markup in every field on every page: test_stored_xss.py.

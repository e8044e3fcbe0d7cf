"""Cross-cutting behaviour: access rules on every route, errors, CSRF, security headers, OpenAPI."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from app.api.endpoint import REGISTRY
from tests.conftest import PASSWORD


def test_every_route_declares_an_access_rule(app: Flask) -> None:
    missing = [
        rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and not hasattr(app.view_functions[rule.endpoint], "access_rule")
    ]
    assert missing == []


@pytest.mark.parametrize("path", ["/no-such-page", "/api/v1/no-such-thing", "/api/v1/patients/abc"])
def test_unknown_routes_are_404_never_500(client, path):
    response = client.get(path)
    assert response.status_code == 404
    if path.startswith("/api/"):
        assert response.get_json()["error"] == "not_found"
    else:
        assert "Page not found" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "raw",
    [b"{", b"null", b"[]", b"123", b'"text"', b'{"email": 1}', b"\xff\xfe", b"[" * 100_000 + b"]" * 100_000],
)
def test_bad_json_bodies_are_4xx(client, raw):
    response = client.post("/api/v1/patients", data=raw, content_type="application/json")
    assert 400 <= response.status_code < 500, response.status_code
    assert response.get_json()["error"] in {"malformed_json", "invalid"}


def test_body_over_one_megabyte_is_413(client):
    response = client.post(
        "/api/v1/patients", data=b"{" + b" " * (1024 * 1024 + 10) + b"}", content_type="application/json"
    )
    assert response.status_code == 413


def test_method_not_allowed_is_405_json(client):
    response = client.delete("/api/v1/me")
    assert response.status_code == 405 and response.get_json()["error"] == "method_not_allowed"


def test_form_post_without_csrf_token_fails(client, make_patient):
    patient = make_patient()
    response = client.post("/login", data={"email": patient.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "reload the page" in response.get_data(as_text=True)


def test_cookie_authenticated_api_writes_need_the_csrf_token(client, make_patient, make_staff, browser_login):
    browser_login(make_staff("admin"))
    body = {"email": "x@example.com", "password": PASSWORD, "name": "X", "role": "admin"}
    refused = client.post("/api/v1/users", json=body)
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf_failed"


def test_security_headers_on_pages(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "Strict-Transport-Security" not in response.headers  # plain HTTP here


def test_hsts_when_https(client):
    response = client.get("/", base_url="https://clinic.example.com")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")


def test_pages_with_personal_data_are_not_cached(client, make_patient, browser_login):
    browser_login(make_patient())
    assert client.get("/dashboard").headers["Cache-Control"] == "no-store"
    assert client.get("/api/v1/me").headers["Cache-Control"] == "no-store"


def test_no_inline_script_in_pages(client):
    for path in ("/", "/login", "/signup"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>" not in html and "onclick=" not in html and "//cdn" not in html


def test_openapi_is_generated_from_the_code(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert doc["openapi"].startswith("3.")
    assert len(REGISTRY) >= 5
    for spec in REGISTRY:
        path = spec.path.replace("<int:", "{").replace("<", "{").replace(">", "}")
        for method in spec.methods:
            assert method.lower() in doc["paths"][path], (path, method)
    signup = doc["paths"]["/api/v1/patients"]["post"]
    assert signup["security"] == []
    assert {"201", "409", "422"} <= set(signup["responses"])
    schema = doc["components"]["schemas"]["PatientSignup"]
    assert {"email", "password", "name", "state", "timezone"} <= set(schema["required"])
    # Every $ref points at a schema the document defines.
    refs = {part.split('"')[0] for part in json.dumps(doc).split('"$ref": "#/components/schemas/')[1:]}
    assert refs <= set(doc["components"]["schemas"])


def test_pages_link_a_favicon_that_is_served(client):
    """Issue 17: a favicon (no 404 in every tab's first request, a mark to find the tab by)."""
    import re

    page = client.get("/").get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert href, "no <link rel=icon> on the home page"
    with client.get(href.group(1)) as icon:
        assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data

"""The client address behind a proxy: X-Forwarded-For is parsed and validated as an IP address
(anything else falls back to the connection's peer), so no header value can overflow a column."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from app.audit.event import AuditEvent
from app.auth.login_session import LoginSession
from app.extensions import db

PEER = "127.0.0.1"  # the test client's connection


@pytest.fixture
def behind_proxy(app, monkeypatch):
    """What create_app installs when PUBLIC_BASE_URL is https: trust one proxy hop."""
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1))


def _failed_login_ip(client, make_patient, forwarded: str) -> str | None:
    patient = make_patient()
    response = client.post("/api/v1/auth/token", json={"email": patient.email, "password": "wrong wrong wrong"},
                           headers={"X-Forwarded-For": forwarded})  # fmt: skip
    assert response.status_code == 401, response.get_data(as_text=True)
    return db.session.scalars(
        select(AuditEvent.ip).where(AuditEvent.action == "auth.login", AuditEvent.subject == patient.email)
    ).one()


@pytest.mark.parametrize(
    ("forwarded", "stored"),
    [
        ("203.0.113.9", "203.0.113.9"),
        ("spoofed, 198.51.100.4", "198.51.100.4"),  # one trusted hop: the proxy's own entry
        ("2001:DB8:0:0:0:0:0:1", "2001:db8::1"),
        ("::ffff:192.0.2.1", "192.0.2.1"),
        ("fe80::1%" + "z" * 60, "fe80::1"),
        ("1" * 100, PEER),
        ("x" * 5000, PEER),
        ("not-an-address", PEER),
        ("<script>", PEER),
    ],
)
def test_forwarded_address_is_validated_never_truncated(client, make_patient, behind_proxy, forwarded, stored):
    assert _failed_login_ip(client, make_patient, forwarded) == stored


def test_a_long_forwarded_for_does_not_break_sign_in(client, make_patient, behind_proxy, browser_login):
    patient = make_patient()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "9" * 200
    browser_login(patient)
    sessions = db.session.scalars(select(LoginSession.ip).where(LoginSession.user_id == patient.id)).all()
    assert sessions and set(sessions) == {PEER}

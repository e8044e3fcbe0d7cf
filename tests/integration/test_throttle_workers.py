"""The login throttle holds the way production runs: gunicorn with 2 workers, no Redis (counters in the
database), wrong passwords split between the login page and the token API. The 429 comes at the 11th
failure at the latest, whichever worker and endpoint take each guess."""

from __future__ import annotations

import os
import re

import flask_migrate
import requests

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import PatientSignup
from app.extensions import db
from bench.processes import start_gunicorn
from tests.conftest import PASSWORD, TEST_AUDIT_KEY, TEST_SECRET, private_database
from tests.integration.conftest import REAL_SESSION


def _seed(url: str) -> str:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "AUDIT_KEY": TEST_AUDIT_KEY, "REDIS_URL": None})
    swapped, db.session = db.session, REAL_SESSION  # real commits in this test's own database
    try:
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
            signup = PatientSignup(email="guessed@example.com", password=PASSWORD, name="Guessed", state="NY",
                                   timezone="America/New_York")  # fmt: skip
            email = accounts.register_patient(signup, source="test").email
            db.session.remove()
            db.engine.dispose()
    finally:
        db.session = swapped
    return email


def _page_guess(base: str, email: str) -> int:
    with requests.Session() as browser:  # a fresh connection each time: either worker may take it
        html = browser.get(f"{base}/login", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        data = {"email": email, "password": "wrong wrong wrong", "csrf_token": token}
        return browser.post(f"{base}/login", data=data, allow_redirects=False, timeout=10).status_code


def _api_guess(base: str, email: str) -> int:
    body = {"email": email, "password": "wrong wrong wrong"}
    return requests.post(
        f"{base}/api/v1/auth/token", json=body, headers={"Connection": "close"}, timeout=10
    ).status_code


def _reset_request(base: str, email: str) -> int:
    with requests.Session() as browser:
        html = browser.get(f"{base}/password/forgot", timeout=10).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
        data = {"email": email, "csrf_token": token}
        return browser.post(f"{base}/password/forgot", data=data, allow_redirects=False, timeout=10).status_code


def test_two_workers_without_redis_refuse_the_eleventh_guess(tmp_path):
    with private_database(str(tmp_path)) as url:
        email = _seed(url)
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=TEST_SECRET, AUDIT_KEY=TEST_AUDIT_KEY, REDIS_URL="",
                   FLASK_DEBUG="0", SCHEDULER_ENABLED="0", SMS_BACKEND="console", BILLING_BACKEND="dummy")  # fmt: skip
        server, port = start_gunicorn("throttle", "wsgi:app", env, tmp_path / "gunicorn.log", probe="/healthz")
        try:
            base = f"http://127.0.0.1:{port}"
            answers = [(_page_guess if i % 2 else _api_guess)(base, email) for i in range(11)]
            resets = [_reset_request(base, email) for _ in range(7)]  # "5 per 15 minutes" over both workers
        finally:
            server.stop()
    assert 429 in answers, answers
    first = answers.index(429)
    assert answers[:first] == [401] * first and first <= 10, answers
    assert set(answers[first:]) == {429}, answers
    assert resets[:5] == [200] * 5 and set(resets[5:]) == {429}, resets

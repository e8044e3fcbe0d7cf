"""The sign-in and "forgot password" throttles hold the way production runs: gunicorn processes without
Redis (counters in the database). Two instances (2 workers each) serve the same database and the
guesses alternate between them, as a load balancer would send them: a counter kept in one process's
memory would let each instance take its own 10 (or 5), so the 429 would come late or never. Wrong
passwords also alternate between the login page and the token API. The 429 comes at the 11th failure
(the 6th reset request) at the latest, whichever process and endpoint take each."""

from __future__ import annotations

import os
import re

import requests

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import PatientSignup
from bench.processes import start_gunicorn
from tests.conftest import PASSWORD, TEST_AUDIT_KEY, TEST_SECRET, private_database
from tests.integration.conftest import real_commits


def _seed(url: str) -> str:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "AUDIT_KEY": TEST_AUDIT_KEY, "REDIS_URL": None})
    with real_commits(app, migrate=True):
        signup = PatientSignup(email="guessed@example.com", password=PASSWORD, name="Guessed", state="NY",
                               timezone="America/New_York")  # fmt: skip
        return accounts.register_patient(signup, source="test").email


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


def test_two_instances_without_redis_refuse_the_eleventh_guess(tmp_path):
    with private_database(str(tmp_path)) as url:
        email = _seed(url)
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=TEST_SECRET, AUDIT_KEY=TEST_AUDIT_KEY, REDIS_URL="",
                   FLASK_DEBUG="0", SCHEDULER_ENABLED="0", SMS_BACKEND="console", BILLING_BACKEND="dummy")  # fmt: skip
        servers = [start_gunicorn(f"throttle-{n}", "wsgi:app", env, tmp_path / f"gunicorn-{n}.log", probe="/healthz")
                   for n in (1, 2)]  # fmt: skip
        bases = [f"http://127.0.0.1:{port}" for _, port in servers]
        try:
            # Guess i goes to instance i % 2 and, in pairs, to the page or the API: each instance and
            # each endpoint sees about half of them.
            answers = [(_page_guess if i // 2 % 2 else _api_guess)(bases[i % 2], email) for i in range(11)]
            resets = [_reset_request(bases[i % 2], email) for i in range(7)]  # "5 per 15 minutes" in all
        finally:
            for server, _ in servers:
                server.stop()
    assert 429 in answers, answers
    first = answers.index(429)
    assert answers[:first] == [401] * first and first <= 10, answers
    assert set(answers[first:]) == {429}, answers
    assert resets[:5] == [200] * 5 and set(resets[5:]) == {429}, resets

"""The app served the way production runs it (gunicorn, 2 workers), and the way ``make run`` serves it
(``flask serve``, one process, a thread per request), under a burst of concurrent mixed requests answers
no 5xx: sign-ins by the page form and by the token API, chart reads, PHQ-9/GAD-7
check-ins by the API and by the page, sign-ups by the API and by the page, and bookings.

On the embedded SQLite default this is the proof that a transaction which may write takes the write
lock at its start (``BEGIN IMMEDIATE``) and waits its turn for it, instead of failing with "database is
locked" when a read transaction tries to become a write one. On PostgreSQL (the second pass of
``make test``) the same burst runs against a database of its own. The counts by status are printed.
"""

from __future__ import annotations

import collections
import itertools
import os
import re
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
import requests
from argon2 import PasswordHasher

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup
from app.auth import service as auth_service
from app.booking import service as booking
from bench.processes import BIN, Proc, free_port, start_gunicorn
from tests.conftest import PASSWORD, TEST_AUDIT_KEY, TEST_SECRET, private_database
from tests.integration.conftest import give_membership, real_commits

PATIENTS = 16
THREADS = 24
TIMEOUT = 60


def _seed(url: str) -> dict:
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "AUDIT_KEY": TEST_AUDIT_KEY, "REDIS_URL": None})
    with real_commits(app, migrate=True):
        clinician = accounts.create_clinician(
            ClinicianCreate(email="busy-clinician@example.com", password=PASSWORD, name="Busy", credential="LCSW",
                            licensed_states=["NY"], timezone="UTC"),
            actor=None,
        )  # fmt: skip
        weekly = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
        booking.update_availability(clinician, {"timezone": "UTC", "weekly": weekly}, actor=clinician)
        # The served app hashes at the production cost: give the accounts such a hash (one for all),
        # so a sign-in checks it as in production instead of also upgrading a test-cost hash.
        production_cost_hash = PasswordHasher().hash(PASSWORD)
        patients = []
        for n in range(PATIENTS):
            patient = accounts.register_patient(
                PatientSignup(email=f"busy{n}@example.com", password=PASSWORD, name=f"Busy {n}", state="NY",
                              timezone="America/New_York"),
                source="test",
            )  # fmt: skip
            patient.password_hash = production_cost_hash
            give_membership(patient)  # commits
            token = auth_service.issue_token(patient, timedelta(hours=1))
            patients.append({"id": patient.id, "email": patient.email, "token": token})
        return {"clinician": clinician.id, "patients": patients}


def _bearer(patient: dict) -> dict:
    return {"Authorization": f"Bearer {patient['token']}"}


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _page_login_and_check_in(base: str, patient: dict, instrument: str) -> list[tuple[str, int]]:
    with requests.Session() as browser:
        first = browser.get(f"{base}/login", timeout=TIMEOUT)
        if first.status_code != 200:
            return [("page login form", first.status_code)]
        data = {"email": patient["email"], "password": PASSWORD, "csrf_token": _csrf(first.text)}
        login = browser.post(f"{base}/login", data=data, allow_redirects=False, timeout=TIMEOUT)
        answers = [("page login form", first.status_code), ("page login", login.status_code)]
        if login.status_code != 302:
            return answers
        form = browser.get(f"{base}/check-in", params={"instrument": instrument}, timeout=TIMEOUT)
        answers.append(("page check-in form", form.status_code))
        if form.status_code != 200:
            return answers
        count = 9 if instrument == "PHQ-9" else 7
        fields = {f"q{i}": "1" for i in range(count)} | {"instrument": instrument, "csrf_token": _csrf(form.text)}
        if instrument == "PHQ-9":
            fields["q8"] = "0"
        done = browser.post(f"{base}/check-in", data=fields, timeout=TIMEOUT)
        return [*answers, ("page check-in", done.status_code)]


def _page_signup(base: str, n: int) -> list[tuple[str, int]]:
    with requests.Session() as browser:
        form = browser.get(f"{base}/signup", timeout=TIMEOUT)
        if form.status_code != 200:
            return [("page sign-up form", form.status_code)]
        data = {"email": f"page-signup{n}@example.com", "password": PASSWORD, "name": f"Page {n}", "state": "NY",
                "timezone": "America/New_York", "csrf_token": _csrf(form.text)}  # fmt: skip
        done = browser.post(f"{base}/signup", data=data, allow_redirects=False, timeout=TIMEOUT)
        return [("page sign-up form", form.status_code), ("page sign-up", done.status_code)]


def _call(name: str, method: str, url: str, **kwargs) -> list[tuple[str, int]]:
    return [(name, requests.request(method, url, timeout=TIMEOUT, **kwargs).status_code)]


def _tasks(base: str, seeded: dict, starts: list[str]) -> list:
    patients, tasks = seeded["patients"], []
    cycle = itertools.cycle(patients)
    for _ in range(40):  # chart reads
        p = next(cycle)
        tasks.append(lambda p=p: _call("chart read", "GET", f"{base}/api/v1/patients/{p['id']}/care-plan",
                                       headers=_bearer(p)))  # fmt: skip
    for n in range(16):  # token API sign-ins
        p = patients[n % PATIENTS]
        body = {"email": p["email"], "password": PASSWORD}
        tasks.append(lambda body=body: _call("token sign-in", "POST", f"{base}/api/v1/auth/token", json=body))
    for n in range(12):  # page sign-ins, then a check-in through the page
        p = patients[(n + 5) % PATIENTS]
        tasks.append(lambda p=p, n=n: _page_login_and_check_in(base, p, "PHQ-9" if n % 2 else "GAD-7"))
    for n in range(16):  # API check-ins
        p = next(cycle)
        phq9, gad7 = {"instrument": "PHQ-9", "answers": [1] * 8 + [0]}, {"instrument": "GAD-7", "answers": [2] * 7}
        body = phq9 if n % 2 else gad7
        url = f"{base}/api/v1/patients/{p['id']}/assessments"
        tasks.append(lambda p=p, body=body, url=url: _call("API check-in", "POST", url, json=body, headers=_bearer(p)))
    for n in range(8):  # API sign-ups
        body = {"email": f"api-signup{n}@example.com", "password": PASSWORD, "name": f"Api {n}", "state": "NY",
                "timezone": "America/New_York"}  # fmt: skip
        tasks.append(lambda body=body: _call("API sign-up", "POST", f"{base}/api/v1/patients", json=body))
    for n in range(4):  # page sign-ups
        tasks.append(lambda n=n: _page_signup(base, n))
    for n, start in enumerate(starts):  # bookings: a slot each, and two patients racing for every fourth
        for p in [patients[n % PATIENTS]] + ([patients[(n + 1) % PATIENTS]] if n % 4 == 0 else []):
            body = {"clinician_id": seeded["clinician"], "type": "initial_consultation", "start": start}
            tasks.append(lambda p=p, body=body: _call("booking", "POST", f"{base}/api/v1/appointments", json=body,
                                                      headers=_bearer(p)))  # fmt: skip
    # Interleave the kinds so every moment of the burst mixes reads, sign-ins and writes.
    return [tasks[i] for i in sorted(range(len(tasks)), key=lambda i: (i * 7919) % len(tasks))]


def _open_starts(base: str, seeded: dict, count: int) -> list[str]:
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    query = {"type": "initial_consultation", "from": str(day), "to": str(day + timedelta(days=2)), "tz": "UTC"}
    answer = requests.get(f"{base}/api/v1/clinicians/{seeded['clinician']}/slots", params=query,
                          headers=_bearer(seeded["patients"][0]), timeout=TIMEOUT)  # fmt: skip
    assert answer.status_code == 200, answer.text
    return [slot["start"] for slot in answer.json()["slots"][:count]]


# What each kind of request answers when it works; the burst must be real work, not a wall of 4xx.
EXPECTED = {
    "chart read": {200}, "token sign-in": {200}, "page login form": {200}, "page login": {302},
    "page check-in form": {200}, "page check-in": {200}, "API check-in": {201}, "API sign-up": {201},
    "page sign-up form": {200}, "page sign-up": {302}, "booking": {201, 409},
}  # fmt: skip


def _start_flask_serve(env: dict, log) -> tuple[Proc, int]:
    """``make run``'s server: ``flask serve`` (werkzeug, threaded), answering on a free port."""
    port = free_port()
    proc = Proc("flask-serve", [str(BIN / "flask"), "serve", "--port", str(port)], env | {"FLASK_APP": "wsgi"}, log)
    deadline = time.monotonic() + 30
    while True:
        try:
            requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            return proc, port
        except requests.ConnectionError:
            if time.monotonic() > deadline or proc.proc.poll() is not None:
                proc.stop()
                raise RuntimeError(f"flask serve did not start (see {log})") from None
            time.sleep(0.2)


@pytest.mark.parametrize("served_by", ["gunicorn -w 2", "flask serve"])
def test_a_burst_of_mixed_requests_gets_no_5xx(tmp_path, served_by):
    with private_database(str(tmp_path)) as url:
        seeded = _seed(url)
        env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=TEST_SECRET, AUDIT_KEY=TEST_AUDIT_KEY, REDIS_URL="",
                   FLASK_DEBUG="0", SCHEDULER_ENABLED="0", SMS_BACKEND="console",
                   BILLING_BACKEND="dummy")  # fmt: skip
        log = tmp_path / "server.log"
        if served_by == "flask serve":
            server, port = _start_flask_serve(env, log)
        else:
            server, port = start_gunicorn("concurrency", "wsgi:app", env, log, probe="/healthz")
        try:
            base = f"http://127.0.0.1:{port}"
            tasks = _tasks(base, seeded, _open_starts(base, seeded, 12))
            started = time.monotonic()
            with ThreadPoolExecutor(THREADS) as pool:
                answers = [a for result in pool.map(lambda task: task(), tasks) for a in result]
            took = time.monotonic() - started
        finally:
            server.stop()
        errors = log.read_text().count("database is locked")
    by_status = collections.Counter(status for _, status in answers)
    by_kind = collections.Counter(answers)
    database = url.split(":", 1)[0]
    statuses = dict(sorted(by_status.items()))
    print(f"\n{database}, {served_by}: {len(answers)} requests in {took:.1f} s, by status {statuses}")
    print("  " + ", ".join(f"{kind} {status}: {n}" for (kind, status), n in sorted(by_kind.items())))
    print(f"  'database is locked' in the server log: {errors}")
    assert len(answers) >= 100
    assert [a for a in answers if a[1] >= 500] == [], by_kind
    assert [a for a in answers if a[1] not in EXPECTED[a[0]]] == [], by_kind

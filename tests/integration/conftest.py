"""One database per test session (migrated with Alembic), one savepoint-wrapped transaction per test."""

from __future__ import annotations

import contextlib
import contextvars
import itertools
import time
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from typing import Any

import flask_migrate
import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy.session import _app_ctx_id
from sqlalchemy import text
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup, StaffCreate
from app.accounts.user import User
from app.auth import service as auth_service
from app.auth.mfa import MfaSecret
from app.billing.membership import Membership
from app.booking import openings
from app.booking import service as booking
from app.db import utcnow
from app.extensions import db, limiter
from tests.conftest import PASSWORD, TEST_SECRET, private_database

# Flask-SQLAlchemy's own scoped session, for tests that need real commits from many threads.
REAL_SESSION = db.session


@contextlib.contextmanager
def real_commits(app: Flask, *, migrate: bool = False) -> Iterator[None]:
    """Inside ``app``'s context with real commits (not the per-test savepoint): for tests that seed a
    database of their own, which a served app (gunicorn, another engine) then reads. ``migrate``
    upgrades it first; on leaving, the session is removed and the engine's connections closed."""
    swapped, db.session = db.session, REAL_SESSION
    try:
        with app.app_context():
            if migrate:
                flask_migrate.upgrade(revision="heads")
            try:
                yield
            finally:
                db.session.remove()
                db.engine.dispose()
    finally:
        db.session = swapped


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    with private_database(str(tmp_path_factory.mktemp("db"))) as url:
        yield from _app_on(url)


def _app_on(url: str) -> Iterator[Flask]:
    app = create_app(
        {
            "DATABASE_URL": url,
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "SCHEDULER_ENABLED": False,
            "REDIS_URL": None,
            "SMS_BACKEND": "console",
            "BILLING_BACKEND": "dummy",
        }
    )
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("DROP SCHEMA public CASCADE"))
                conn.execute(text("CREATE SCHEMA public"))
        flask_migrate.upgrade(revision="heads")  # test_one_head is what insists on a single head
        db.session.remove()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _transaction(app: Flask) -> Iterator[None]:
    """Every test runs inside a transaction that is rolled back; services' commits become savepoints."""
    with app.app_context():
        # DEFERRED on SQLite, where the app's transactions begin IMMEDIATE: this outer transaction spans
        # the whole test and must not hold the write lock against tests that commit on other connections.
        connection = db.engine.connect().execution_options(sqlite_begin="DEFERRED")
        outer = connection.begin()
        original = db.session
        # A plain Session: Flask-SQLAlchemy's own would route to its engine and ignore ``bind``.
        db.session = scoped_session(
            sessionmaker(bind=connection, join_transaction_mode="create_savepoint"), scopefunc=_app_ctx_id
        )
        limiter.reset()
        try:
            yield
        finally:
            db.session.remove()
            outer.rollback()
            connection.close()
            db.session = original


@pytest.fixture
def is_postgres(app: Flask) -> bool:
    return db.engine.dialect.name == "postgresql"


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh context, as in production: the test's own app context (kept open
    for factories) must not lend the request its ``g`` (Flask-Login's user, Flask-Limiter's state)."""

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        response = contextvars.Context().run(super().open, *args, **kwargs)
        db.session.expire_all()  # the request may have changed rows the test holds
        return response


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    app.test_client_class = IsolatedClient
    return app.test_client()


_seq = itertools.count(1)


@pytest.fixture
def make_patient() -> Callable[..., User]:
    def make(**overrides: Any) -> User:
        n = next(_seq)
        data: dict[str, Any] = {
            "email": f"patient{n}@example.com",
            "password": PASSWORD,
            "name": f"Patient {n}",
            "state": "NY",
            "timezone": "America/New_York",
            "date_of_birth": date(1990, 6, 15),  # optional at sign-up; psychiatric evaluations need it
        }
        member = overrides.pop("member", True)
        data.update(overrides)
        patient = accounts.register_patient(PatientSignup(**data), source="test")
        if member:  # most tests book visits that need a membership; billing tests ask for member=False
            give_membership(patient)
        return patient

    return make


def give_membership(patient: User, status: str = "active", plan: str = "monthly") -> Membership:
    row = Membership(patient_id=patient.id, customer_id=f"cus_test_{patient.id}",
                     subscription_id=f"sub_test_{patient.id}", subscription_created=0, plan=plan, status=status,
                     trial_used=True, updated_at=utcnow())  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


@pytest.fixture
def make_clinician() -> Callable[..., User]:
    def make(credential: str = "LCSW", **overrides: Any) -> User:
        n = next(_seq)
        data: dict[str, Any] = {
            "email": f"clinician{n}@example.com",
            "password": PASSWORD,
            "name": f"Clinician {n}",
            "credential": credential,
            "licensed_states": ["NY"],
            "modalities": ["CBT"],
            "timezone": "America/Los_Angeles",
        }
        data.update(overrides)
        return accounts.create_clinician(ClinicianCreate(**data), actor=None)

    return make


@pytest.fixture
def make_staff() -> Callable[..., User]:
    def make(role: str = "admin", **overrides: Any) -> User:
        n = next(_seq)
        data: dict[str, Any] = {"email": f"{role}{n}@example.com", "password": PASSWORD, "name": f"Staff {n}"}
        data.update(overrides)
        return accounts.create_staff(StaffCreate(role=role, **data), actor=None)

    return make


@pytest.fixture
def auth_headers() -> Callable[[User], dict[str, str]]:
    def headers(user: User) -> dict[str, str]:
        return {"Authorization": "Bearer " + auth_service.issue_token(user, timedelta(hours=1))}

    return headers


def csrf_token_from(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start : html.index('"', start)]


def totp_code(user: User) -> str:
    """A code the user's authenticator would show now (or the next one, if now's was just used)."""
    row = db.session.get(MfaSecret, user.id)
    db.session.refresh(row)
    totp = pyotp.TOTP(row.secret)
    step = int(time.time()) // totp.interval
    return totp.generate_otp(max(step, row.last_step + 1))


@pytest.fixture
def browser_login(client: FlaskClient) -> Callable[[User], FlaskClient]:
    """Sign in through the real login form (CSRF token included), completing two-factor sign-in
    (enrolling on first use) for accounts that need it."""

    def login(user: User, password: str = PASSWORD) -> FlaskClient:
        token = csrf_token_from(client.get("/login").get_data(as_text=True))
        response = client.post("/login", data={"email": user.email, "password": password, "csrf_token": token})
        assert response.status_code == 302, response.get_data(as_text=True)
        step = response.headers["Location"]
        if "/account/mfa/setup" in step:
            page = client.get(step).get_data(as_text=True)
            done = client.post(step, data={"code": totp_code(user), "csrf_token": csrf_token_from(page)})
            assert done.status_code == 200 and "recovery codes" in done.get_data(as_text=True)
        elif "/login/verify" in step:
            page = client.get(step).get_data(as_text=True)
            done = client.post(step, data={"code": totp_code(user), "csrf_token": csrf_token_from(page)})
            assert done.status_code == 302, done.get_data(as_text=True)
        return client

    return login


def sent_to_login(response: Any) -> bool:
    """The request was refused for want of a live session: a redirect to the login page (a 302 alone
    could be any redirect, e.g. the dashboard's own)."""
    from urllib.parse import urlsplit

    return response.status_code == 302 and urlsplit(response.headers.get("Location", "")).path == "/login"


def live_sessions(user: User) -> int:
    """Server-side sessions of ``user`` that have not ended."""
    from app.auth.login_session import LoginSession

    db.session.expire_all()
    query = db.select(db.func.count()).select_from(LoginSession)
    return db.session.scalar(query.where(LoginSession.user_id == user.id, LoginSession.ended_at.is_(None)))


_EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


@pytest.fixture
def team(make_patient, make_clinician, auth_headers):
    """A patient who booked with a prescriber and a therapist (both NY): both are on the care team;
    ``h`` holds each one's API headers."""
    patient = make_patient()
    prescriber = make_clinician("MD", licensed_states=["NY"], timezone="America/New_York")
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    day = (utcnow() + timedelta(days=3)).date()
    for clinician, kind, n in ((prescriber, "initial_consultation", 0), (therapist, "therapy_session", 3)):
        booking.update_availability(clinician, _EVERY_DAY, actor=clinician)
        start = openings.open_slots(clinician, kind, day, day, "America/New_York")[n][0]
        booking.book(patient, clinician.id, kind, start)
    return {
        "patient": patient,
        "prescriber": prescriber,
        "therapist": therapist,
        "h": {
            k: auth_headers(v) for k, v in (("patient", patient), ("prescriber", prescriber), ("therapist", therapist))
        },
    }

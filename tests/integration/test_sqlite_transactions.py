"""SQLite transactions as the app runs them, on a SQLite file of their own (in both passes of the suite):
a transaction takes the write lock at BEGIN (``BEGIN IMMEDIATE``), so one that reads and then writes
waits for a busy writer instead of failing with "database is locked"; a request declared read-only
begins DEFERRED and neither takes nor waits for that lock; slow work (password hashing, the SMS
provider's answer) runs while no lock is held.

Whether a connection holds the write lock is read from outside: another connection tries
``BEGIN IMMEDIATE`` without waiting.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select, update

from app import connections, create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup
from app.accounts.user import User
from app.auth import service as auth_service
from app.booking import service as booking
from app.db import utcnow
from app.extensions import db
from app.sms import backends
from app.sms.outbox_message import OutboxMessage
from app.sms.sender import dispatch_due
from app.throttle.counter import ThrottleCounter
from tests.conftest import PASSWORD, TEST_SECRET
from tests.integration.conftest import REAL_SESSION, give_membership, real_commits


def _write_lock_free(path: str) -> bool:
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError as exc:
        if "locked" not in str(exc):
            raise
        return False
    finally:
        probe.close()


class Writer:
    """Another process's connection in the middle of a write: it holds the lock until ``commit``."""

    def __init__(self, path: str, key: str) -> None:
        self.conn: sqlite3.Connection | None = sqlite3.connect(path, timeout=0, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")
        self.conn.execute(
            "INSERT INTO throttle_counters (key, hits, expires_at) VALUES (?, 1, ?)",
            (key, (datetime.now(UTC) + timedelta(minutes=5)).strftime("%Y-%m-%d %H:%M:%S.%f")),
        )

    def commit(self) -> None:
        if self.conn is not None:
            self.conn.execute("COMMIT")
            self.conn.close()
            self.conn = None


@pytest.fixture(scope="module")
def sqlite_app(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("sqlite-transactions") / "app.sqlite3")
    app = create_app({"DATABASE_URL": f"sqlite:///{path}", "TESTING": True, "SECRET_KEY": TEST_SECRET,
                      "REDIS_URL": None, "SCHEDULER_ENABLED": False, "SMS_BACKEND": "console",
                      "BILLING_BACKEND": "dummy"})  # fmt: skip
    with real_commits(app, migrate=True):
        clinician = accounts.create_clinician(
            ClinicianCreate(email="tx-clinician@example.com", password=PASSWORD, name="Tx", credential="LCSW",
                            licensed_states=["NY"], timezone="UTC"),
            actor=None,
        )  # fmt: skip
        weekly = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
        booking.update_availability(clinician, {"timezone": "UTC", "weekly": weekly}, actor=clinician)
        patient = accounts.register_patient(
            PatientSignup(email="tx-patient@example.com", password=PASSWORD, name="Pat", state="NY",
                          timezone="America/New_York"),
            source="test",
        )  # fmt: skip
        give_membership(patient)
        token = auth_service.issue_token(patient, timedelta(hours=1))
        people = {"clinician": clinician.id, "patient": patient.id, "email": patient.email,
                  "headers": {"Authorization": f"Bearer {token}"}}  # fmt: skip
    yield app, path, people


@pytest.fixture
def live(sqlite_app):
    swapped, db.session = db.session, REAL_SESSION  # real commits on the SQLite file
    try:
        yield sqlite_app
    finally:
        db.session = swapped


def test_a_transaction_takes_the_write_lock_at_begin(live) -> None:
    app, path, _people = live
    with app.app_context():
        assert db.session.scalar(select(User.id).limit(1)) is not None  # a read, and nothing else yet
        assert not _write_lock_free(path)
        db.session.rollback()
        assert _write_lock_free(path)
        db.session.remove()


def test_a_transaction_that_reads_then_writes_waits_for_a_busy_writer_and_succeeds(live) -> None:
    app, path, people = live
    writer = Writer(path, "held-by-another-process")

    def read_then_write() -> float:
        started = time.monotonic()
        with app.app_context():
            try:
                db.session.get(User, people["patient"])  # the read ...
                db.session.add(
                    ThrottleCounter(key="read-then-write", hits=1, expires_at=utcnow() + timedelta(minutes=5))
                )
                db.session.commit()  # ... then the write
            finally:
                db.session.remove()
        return time.monotonic() - started

    with ThreadPoolExecutor(1) as pool:
        waited = pool.submit(read_then_write)
        time.sleep(0.5)
        writer.commit()
        elapsed = waited.result(timeout=30)  # deferred, it failed at once with "database is locked"
    assert elapsed >= 0.4, elapsed
    with app.app_context():
        assert db.session.get(ThrottleCounter, "read-then-write") is not None
        db.session.remove()


def _slots_url(people: dict) -> str:
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    return f"/api/v1/clinicians/{people['clinician']}/slots?type=initial_consultation&from={day}&to={day}&tz=UTC"


def test_a_read_only_request_neither_takes_nor_waits_for_the_write_lock(live) -> None:
    app, path, people = live
    with app.test_request_context(headers=people["headers"]):
        connections.begin_read_only()
        user = auth_service.load_token(people["headers"]["Authorization"].split()[1])
        assert user is not None
        assert _write_lock_free(path)  # it has read, and holds no write lock
        user.name = "Changed"
        with pytest.raises(connections.ReadOnlyViolation):
            db.session.flush()
        db.session.rollback()
        db.session.remove()

    writer = Writer(path, "held-while-reading")
    try:
        with ThreadPoolExecutor(1) as pool:
            answer = pool.submit(app.test_client().get, _slots_url(people), headers=people["headers"])
            assert answer.result(timeout=10).status_code == 200  # while another connection writes
    finally:
        writer.commit()


def test_a_chart_read_waits_for_a_busy_writer_then_answers(live) -> None:
    """A chart read writes its audit row: it begins IMMEDIATE, waits while another process writes, then
    answers 200 (deferred, it read, failed to upgrade and answered 500)."""
    app, path, people = live
    writer = Writer(path, "held-during-chart-read")
    try:
        with ThreadPoolExecutor(1) as pool:
            url = f"/api/v1/patients/{people['patient']}/care-plan"
            answer = pool.submit(app.test_client().get, url, headers=people["headers"])
            with pytest.raises(FutureTimeout):
                answer.result(timeout=0.5)  # waiting for the lock
            writer.commit()
            assert answer.result(timeout=30).status_code == 200
    finally:
        writer.commit()


def test_passwords_are_hashed_and_checked_while_no_write_lock_is_held(live, monkeypatch) -> None:
    app, path, people = live
    seen: list[tuple[str, bool]] = []

    def observed(name: str, original):
        def call(self, *args, **kwargs):
            seen.append((name, _write_lock_free(path)))
            return original(self, *args, **kwargs)

        return call

    monkeypatch.setattr(PasswordHasher, "verify", observed("verify", PasswordHasher.verify))
    monkeypatch.setattr(PasswordHasher, "hash", observed("hash", PasswordHasher.hash))
    client = app.test_client()
    token = client.post("/api/v1/auth/token", json={"email": people["email"], "password": PASSWORD})
    assert token.status_code == 200, token.get_json()
    wrong = client.post("/api/v1/auth/token", json={"email": people["email"], "password": "not the password!"})
    assert wrong.status_code == 401
    signup = client.post("/api/v1/patients", json={"email": "tx-new@example.com", "password": PASSWORD, "name": "New",
                                                   "state": "NY", "timezone": "America/New_York"})  # fmt: skip
    assert signup.status_code == 201, signup.get_json()
    assert [name for name, _ in seen] == ["verify", "verify", "hash"]
    assert all(free for _, free in seen), seen


class ProbingProvider:
    """The SMS provider, answering while it notes whether the app held the database's write lock."""

    def __init__(self, path: str) -> None:
        self.path, self.lock_free_during_calls = path, []

    def send(self, to: str, body: str, *, reference: str) -> backends.Sent:
        self.lock_free_during_calls.append(_write_lock_free(self.path))
        return backends.Sent(sid=f"SM{reference}-{threading.get_ident()}", status="queued")

    def find_sent(self, to: str, body: str, since: datetime) -> backends.Sent | None:
        self.lock_free_during_calls.append(_write_lock_free(self.path))
        return None


def test_the_sms_sender_holds_no_write_lock_while_the_provider_answers(live) -> None:
    app, path, _people = live
    provider = ProbingProvider(path)
    with app.app_context():
        db.session.add(OutboxMessage(to_number="+12125550142", body="See you tomorrow", kind="reminder_24h",
                                     dedupe_key="tx-probe", due_at=utcnow() - timedelta(minutes=1)))  # fmt: skip
        db.session.commit()
        assert dispatch_due(sms=provider) == {"sent": 1}
        assert db.session.scalar(select(OutboxMessage.status).where(OutboxMessage.dedupe_key == "tx-probe")) == "sent"
        db.session.remove()
    assert provider.lock_free_during_calls == [True]


def test_releasing_reads_never_commits_a_write(live) -> None:
    """``release_reads`` ends a transaction that only read, and leaves one that wrote alone (its writes
    stay atomic with what follows, even if that means holding the lock over the slow work)."""
    app, path, people = live
    with app.app_context():
        db.session.get(User, people["patient"])
        connections.release_reads()
        assert _write_lock_free(path)
        expires = utcnow() + timedelta(minutes=5)
        db.session.add(ThrottleCounter(key="flushed-not-committed", hits=1, expires_at=expires))
        db.session.flush()
        connections.release_reads()
        assert not _write_lock_free(path)
        db.session.execute(update(ThrottleCounter).where(ThrottleCounter.key == "nothing").values(hits=2))
        connections.release_reads()
        db.session.rollback()
        assert db.session.get(ThrottleCounter, "flushed-not-committed") is None
        db.session.remove()

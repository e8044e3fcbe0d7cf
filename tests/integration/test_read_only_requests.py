"""PostgreSQL connection handling with real commits, on an app and a database of their own (the
suite's per-test outer transaction would hide all of it): read-only requests run outside a
transaction and refuse writes, another instance's booking reaches this instance's cached slots at
once, and a connection killed while idle in the pool is replaced before a request can use it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import flask_migrate
import psycopg
import pytest
from flask import Flask

from app import connections, create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup
from app.auth import service as auth_service
from app.booking import service as booking
from app.extensions import db
from tests.conftest import PASSWORD, TEST_SECRET, private_database
from tests.integration.conftest import REAL_SESSION, csrf_token_from, give_membership

APP_NAME = "read-only-requests-test"


@pytest.fixture
def live(app: Flask, tmp_path):
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("autocommit reads, triggers seen by other instances and pool pings are PostgreSQL's")
    swapped = db.session
    db.session = REAL_SESSION
    with private_database(str(tmp_path)) as url:
        other = create_app({"DATABASE_URL": f"{url}?application_name={APP_NAME}", "TESTING": True,
                            "SECRET_KEY": TEST_SECRET, "REDIS_URL": None, "SCHEDULER_ENABLED": False})  # fmt: skip
        with other.app_context():
            flask_migrate.upgrade(revision="heads")
            people = _people()
            db.session.remove()
        try:
            yield other, url.replace("postgresql+psycopg://", "postgresql://"), people
        finally:
            with other.app_context():
                db.session.remove()
                db.engine.dispose()
            db.session = swapped


def _people() -> dict:
    clinician = accounts.create_clinician(
        ClinicianCreate(email="ro-clinician@example.com", password=PASSWORD, name="Ro", credential="LCSW",
                        licensed_states=["NY"], timezone="America/New_York"),
        actor=None,
    )  # fmt: skip
    booking.update_availability(
        clinician, {"weekly": [{"weekday": d, "start": "08:00", "end": "18:00"} for d in range(7)]}, actor=clinician
    )
    patient = accounts.register_patient(
        PatientSignup(email="ro-patient@example.com", password=PASSWORD, name="Pat", state="NY",
                      timezone="America/New_York"),
        source="test",
    )  # fmt: skip
    give_membership(patient)
    token = auth_service.issue_token(patient, timedelta(hours=1))
    return {"clinician": clinician.id, "patient": patient.id, "headers": {"Authorization": f"Bearer {token}"}}


def _slots_url(people: dict) -> str:
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    return f"/api/v1/clinicians/{people['clinician']}/slots?type=therapy_session&from={day}&to={day}&tz=UTC"


def test_a_read_only_request_runs_outside_a_transaction_and_cannot_write(live) -> None:
    other, _url, people = live
    with other.test_request_context(headers=people["headers"]):
        connections.begin_read_only()
        dbapi = db.session.connection().connection.dbapi_connection
        assert dbapi.autocommit is True
        user = auth_service.load_token(people["headers"]["Authorization"].split()[1])
        user.name = "Changed"
        with pytest.raises(connections.ReadOnlyViolation):
            db.session.flush()
        db.session.rollback()
        db.session.remove()
    # The connection went back to the pool in its normal mode: the next request is transactional.
    with other.test_request_context():
        assert db.session.connection().connection.dbapi_connection.autocommit is False
        db.session.remove()
    with other.app_context():
        assert db.session.scalar(db.text("SELECT name FROM users WHERE id = :i"), {"i": people["patient"]}) == "Pat"


def test_a_booking_by_another_instance_reaches_the_cached_slots_at_once(live) -> None:
    other, url, people = live
    client = other.test_client()
    first = client.get(_slots_url(people), headers=people["headers"]).get_json()["slots"]
    assert client.get(_slots_url(people), headers=people["headers"]).get_json()["slots"] == first  # cached
    start = datetime.fromisoformat(first[0]["start"])
    with psycopg.connect(url) as conn:  # another instance, as far as this process can tell
        conn.execute(
            "INSERT INTO appointments (patient_id, clinician_id, type, start_at, end_at, blocked_until, gap_minutes,"
            " status, video_room, created_at, updated_at) VALUES (%s, %s, 'therapy_session', %s, %s, %s, 0, 'booked',"
            " 'elsewhere', now(), now())",
            (people["patient"], people["clinician"], start, start + timedelta(minutes=50),
             start + timedelta(minutes=50)),
        )  # fmt: skip
    after = client.get(_slots_url(people), headers=people["headers"]).get_json()["slots"]
    assert first[0] not in after
    assert [s for s in after if datetime.fromisoformat(s["start"]) < start + timedelta(minutes=50)
            and datetime.fromisoformat(s["end"]) > start] == []  # fmt: skip


def _kill_pooled_connections(url: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        return len(conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = %s", (APP_NAME,)
        ).fetchall())  # fmt: skip


def test_a_connection_killed_while_idle_is_replaced_before_use(live, monkeypatch) -> None:
    other, url, people = live
    client = other.test_client()
    assert client.get(_slots_url(people), headers=people["headers"]).status_code == 200
    assert _kill_pooled_connections(url) >= 1
    monkeypatch.setattr(connections, "PING_AFTER_IDLE", 0.0)  # everything counts as idle
    assert client.get(_slots_url(people), headers=people["headers"]).status_code == 200
    # The contrast that shows the ping is what saved that request: without it, the request that gets
    # the dead connection is told to try again (503, nothing half-done), and the pool starts afresh.
    assert _kill_pooled_connections(url) >= 1
    monkeypatch.setattr(connections, "PING_AFTER_IDLE", 1e9)
    lost = client.get(_slots_url(people), headers=people["headers"])
    assert (lost.status_code, lost.headers.get("Retry-After"), lost.get_json()["error"]) == (503, "1", "unavailable")
    assert client.get(_slots_url(people), headers=people["headers"]).status_code == 200


def test_a_browser_session_sent_along_with_a_token_may_still_touch_its_last_seen_time(live) -> None:
    # Loading a cookie session writes its last-seen time once a minute; such a request must not be
    # put in read-only mode (it would refuse that write with a 500). A valid token names the caller, so
    # its cookie session is not loaded (nor seen); a header that authenticates nothing leaves the cookie
    # session in charge, and that one must be able to write.
    other, url, people = live
    client = other.test_client()
    login = client.get("/login").get_data(as_text=True)
    signed_in = client.post("/login", data={"email": "ro-patient@example.com", "password": PASSWORD,
                                            "csrf_token": csrf_token_from(login)})  # fmt: skip
    assert signed_in.status_code == 302

    def seen_lately() -> tuple[bool]:
        with psycopg.connect(url) as conn:
            return conn.execute("SELECT max(last_seen_at) > now() - interval '1 minute' FROM login_sessions").fetchone()

    with psycopg.connect(url) as conn:
        conn.execute("UPDATE login_sessions SET last_seen_at = now() - interval '5 minutes'")
    answer = client.get(_slots_url(people), headers=people["headers"])
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert seen_lately() == (False,)  # the token's request: the cookie session was not used
    answer = client.get(_slots_url(people), headers={"Authorization": "Bearer not-a-token"})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert seen_lately() == (True,)


def test_read_only_requests_answer_bad_input_as_usual(live) -> None:
    other, _url, people = live
    client = other.test_client()
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    wrong = {"Authorization": "Bearer not-a-token"}
    cases = [
        (f"/api/v1/clinicians/{people['clinician']}/slots?type=therapy_session&from={day}&to={day}", wrong, 401),
        (f"/api/v1/clinicians/999999/slots?type=therapy_session&from={day}&to={day}", people["headers"], 404),
        (f"/api/v1/clinicians/{people['clinician']}/slots?type=psychiatric_evaluation&from={day}&to={day}",
         people["headers"], 422),
        (f"/api/v1/clinicians/{people['clinician']}/slots?type=therapy_session&from={day}&to={day}&tz=Mars/Base",
         people["headers"], 422),
        ("/api/v1/clinicians?state=NY", people["headers"], 200),
        ("/api/v1/appointment-types", people["headers"], 200),
    ]  # fmt: skip
    for path, headers, status in cases:
        answer = client.get(path, headers=headers)
        assert answer.status_code == status, (path, answer.get_data(as_text=True))
        assert answer.is_json

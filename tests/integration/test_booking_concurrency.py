"""Two bookings of one slot, at the same instant, from separate connections: exactly one 201.

Runs with real commits on a separate app (the per-test savepoint would serialise everything): on
PostgreSQL against the suite's database (rows removed afterwards), on SQLite against a fresh file.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import flask_migrate
import pytest
from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup
from app.accounts.user import User
from app.auth import service as auth_service
from app.booking import service as booking
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.schemas import AvailabilityPatch
from app.extensions import db
from tests.conftest import PASSWORD, TEST_SECRET
from tests.integration.conftest import REAL_SESSION, give_membership
from tests.integration.racing import at_once

THREADS = 20


@pytest.fixture
def live_app(app, tmp_path):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    postgres = url.startswith("postgresql")
    other = create_app(
        {
            "DATABASE_URL": url if postgres else f"sqlite:///{tmp_path}/race.sqlite3",
            "TESTING": True,
            "SECRET_KEY": TEST_SECRET,
            "REDIS_URL": None,
        }
    )
    created: list[int] = []
    swapped = db.session
    db.session = REAL_SESSION  # real transactions, one per thread, for this test only
    with other.app_context():
        if not postgres:
            flask_migrate.upgrade(revision="heads")
        yield other, created
        if postgres:  # remove what this test committed, children first
            with db.engine.begin() as conn:
                conn.execute(text("DELETE FROM outbox_messages WHERE patient_id = ANY(:ids)"), {"ids": created})
                conn.execute(
                    text("DELETE FROM appointments WHERE clinician_id = ANY(:ids) OR patient_id = ANY(:ids)"),
                    {"ids": created},
                )
                conn.execute(text("DELETE FROM care_team_members WHERE patient_id = ANY(:ids)"), {"ids": created})
                conn.execute(text("DELETE FROM memberships WHERE patient_id = ANY(:ids)"), {"ids": created})
                conn.execute(
                    text("DELETE FROM clinician_availability WHERE clinician_id = ANY(:ids)"), {"ids": created}
                )
                conn.execute(text("DELETE FROM schedule_stamps WHERE clinician_id = ANY(:ids)"), {"ids": created})
                conn.execute(delete(User).where(User.id.in_(created)))
        db.session.remove()
        db.engine.dispose()
    db.session = swapped


def _people(n_patients: int, created: list[int], tag: str) -> tuple[User, list[str]]:
    clinician = accounts.create_clinician(
        ClinicianCreate(
            email=f"race-{tag}@example.com",
            password=PASSWORD,
            name="Race",
            credential="LCSW",
            licensed_states=["NY"],
            timezone="America/New_York",
        ),
        actor=None,
    )
    created.append(clinician.id)
    booking.update_availability(
        clinician,
        AvailabilityPatch(
            weekly=[{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
            min_notice_minutes=0,
            slot_step_minutes=10,
        ).model_dump(exclude_unset=True, mode="json"),
        actor=clinician,
    )
    tokens = []
    for i in range(n_patients):
        patient = accounts.register_patient(
            PatientSignup(
                email=f"race-{tag}-{i}@example.com",
                password=PASSWORD,
                name=f"P{i}",
                state="NY",
                timezone="America/New_York",
            ),
            source="test",
        )
        created.append(patient.id)
        give_membership(patient)
        tokens.append(auth_service.issue_token(patient, timedelta(hours=1)))
    return clinician, tokens


def _release_test_reads() -> None:
    """End the test thread's own transaction (its reads of the people it made): on SQLite every
    transaction holds the write lock, and the racing requests must not wait on the test itself."""
    db.session.rollback()


def _race(app, clinician_id: int, tokens: list[str], starts: list[str]) -> list[int]:
    """Each patient books their start at the same instant (``_at_once``)."""
    body = {"clinician_id": clinician_id, "type": "therapy_session"}
    return _at_once(
        app, [(t, "/api/v1/appointments", body | {"start": s}) for t, s in zip(tokens, starts, strict=True)]
    )


def _slot_start(days: int = 2) -> datetime:
    day = (datetime.now(UTC) + timedelta(days=days)).replace(hour=15, minute=0, second=0, microsecond=0)
    return day


def test_twenty_simultaneous_bookings_of_one_slot_yield_one(live_app):
    app, created = live_app
    clinician, tokens = _people(THREADS, created, "same")
    start = _slot_start().isoformat()
    results = _race(app, clinician.id, tokens, [start] * THREADS)
    assert sorted(results) == [201] + [409] * (THREADS - 1), results


def test_overlapping_but_different_starts_yield_one(live_app):
    app, created = live_app
    clinician, tokens = _people(5, created, "overlap")
    base = _slot_start(3)
    # 50-minute sessions starting 0..40 minutes apart: every pair overlaps, so only one can stand.
    starts = [(base + timedelta(minutes=10 * i)).isoformat() for i in range(5)]
    results = _race(app, clinician.id, tokens, starts)
    assert results.count(201) == 1 and results.count(409) == 4, results


def test_simultaneous_bookings_of_separate_slots_keep_the_clinicians_daily_cap(live_app):
    # No constraint knows max_per_day: only the clinician's schedule lock (booking's _serialise_on on
    # PostgreSQL, the write lock on SQLite) keeps each count-then-insert whole.
    app, created = live_app
    clinician, tokens = _people(5, created, "cap")
    booking.update_availability(clinician, {"max_per_day": 2}, actor=clinician)
    base = _slot_start(5)
    starts = [(base + timedelta(hours=i)).isoformat() for i in range(5)]  # an hour apart: no two overlap
    results = _race(app, clinician.id, tokens, starts)
    assert sorted(results) == [201, 201] + [409] * 3, results


def test_one_patient_booking_two_clinicians_at_once_gets_one_visit_and_a_409(live_app):
    # Different clinicians take different locks, so both checks pass; on PostgreSQL the patient's
    # exclusion constraint stops the second INSERT, which must be a 409 like any lost race, not a 500.
    app, created = live_app
    first, tokens = _people(1, created, "two-a")
    second, _ = _people(0, created, "two-b")
    start = _slot_start(4).isoformat()
    barrier = threading.Barrier(2)
    answers: list[tuple[int, str | None]] = []
    messages: list[str | None] = []

    def attempt(clinician_id: int) -> None:
        client = app.test_client()
        barrier.wait()
        body = {"clinician_id": clinician_id, "type": "therapy_session", "start": start}
        response = client.post("/api/v1/appointments", headers={"Authorization": f"Bearer {tokens[0]}"}, json=body)
        answer = response.get_json() or {}
        answers.append((response.status_code, answer.get("error")))
        if response.status_code == 409:
            messages.append(answer.get("message"))

    clinician_ids = [first.id, second.id]
    _release_test_reads()
    for _round in range(5):  # the window is narrow: try a few starts so both really overlap once
        threads = [threading.Thread(target=attempt, args=(c,)) for c in clinician_ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        start = (datetime.fromisoformat(start) + timedelta(hours=1)).isoformat()
    assert all(a in ((201, None), (409, "slot_unavailable")) for a in answers), answers
    assert sorted(code for code, _ in answers) == [201] * 5 + [409] * 5, answers
    assert set(messages) == {"You already have an appointment at that time."}, messages


def _at_once(app, calls: list[tuple[str, str, dict]]) -> list[int]:
    """Send each (token, path, body) POST from a thread of its own, all released together; the statuses."""
    _release_test_reads()
    results: list[int] = [0] * len(calls)

    def post(i: int) -> Callable[[], None]:
        def job() -> None:
            token, path, body = calls[i]
            results[i] = (
                app.test_client().post(path, headers={"Authorization": f"Bearer {token}"}, json=body).status_code
            )

        return job

    assert at_once(app, [post(i) for i in range(len(calls))]) == []
    return results


def _one_visit_a_day(clinician: User) -> None:
    booking.update_availability(clinician, {"max_per_day": 1}, actor=clinician)


def _booked_starts(clinician_id: int) -> list[datetime]:
    db.session.rollback()  # a fresh snapshot: what the racing requests committed
    return sorted(
        db.session.scalars(
            select(Appointment.start_at).where(
                Appointment.clinician_id == clinician_id, Appointment.status == AppointmentStatus.BOOKED
            )
        )
    )


def test_simultaneous_bookings_of_different_times_on_a_one_visit_day_yield_one(live_app):
    # No two of these visits overlap, so no exclusion constraint stops the second: only the
    # clinician's schedule lock makes the "one visit a day" check and the insert one at a time.
    app, created = live_app
    clinician, tokens = _people(8, created, "per-day")
    _one_visit_a_day(clinician)
    base = _slot_start(5)  # 10:00 in New York; the eight starts are 10:00..17:00 of one local day
    starts = [(base + timedelta(hours=i)).isoformat() for i in range(8)]
    body = {"clinician_id": clinician.id, "type": "therapy_session"}
    calls = [(tokens[i], "/api/v1/appointments", {**body, "start": starts[i]}) for i in range(8)]
    results = _at_once(app, calls)
    assert sorted(results) == [201] + [409] * 7, results
    assert len(_booked_starts(clinician.id)) == 1


def test_simultaneous_moves_into_a_one_visit_day_move_one(live_app):
    app, created = live_app
    clinician, tokens = _people(6, created, "per-day-move")
    _one_visit_a_day(clinician)
    base = _slot_start(5)
    patients = created[-6:]
    visits = [
        booking.book(db.session.get(User, patients[i]), clinician.id, "therapy_session", base + timedelta(days=1 + i))
        for i in range(6)
    ]  # one a day, on six other days
    moves = [{"start": (base + timedelta(hours=i)).isoformat()} for i in range(6)]
    calls = [(tokens[i], f"/api/v1/appointments/{visits[i].id}/reschedule", moves[i]) for i in range(6)]
    results = _at_once(app, calls)
    assert sorted(results) == [200] + [409] * 5, results
    on_the_day = [s for s in _booked_starts(clinician.id) if s < base + timedelta(days=1)]
    assert len(on_the_day) == 1, on_the_day


def test_a_move_that_loses_to_the_patients_own_booking_elsewhere_says_the_patient_is_busy(live_app, is_postgres):
    # The move's check cannot see a booking not yet committed; PostgreSQL's patient exclusion
    # constraint makes the move wait for it and then refuses it: a 409 in the move's own words.
    if not is_postgres:
        pytest.skip("the exclusion constraints are PostgreSQL's; on SQLite the two writes cannot interleave")
    app, created = live_app
    first, tokens = _people(1, created, "move-lost")
    second, _ = _people(0, created, "move-lost-b")
    patient = db.session.get(User, created[-2])
    base = _slot_start(6)
    visit_id = booking.book(patient, first.id, "therapy_session", base).id
    target = base + timedelta(hours=2)
    elsewhere = Session(db.engine)  # the patient's booking with the other clinician, still in flight
    elsewhere.add(Appointment(patient_id=patient.id, clinician_id=second.id, type="therapy_session",
                              start_at=target, end_at=target + timedelta(minutes=50), gap_minutes=0,
                              blocked_until=target + timedelta(minutes=50), status=AppointmentStatus.BOOKED,
                              visit_token=secrets.token_urlsafe(24)))  # fmt: skip
    elsewhere.flush()
    answer: list = []

    def move() -> None:
        client = app.test_client()
        headers = {"Authorization": f"Bearer {tokens[0]}"}
        body = {"start": target.isoformat()}
        response = client.post(f"/api/v1/appointments/{visit_id}/reschedule", headers=headers, json=body)
        answer.append((response.status_code, response.get_json()))

    _release_test_reads()
    mover = threading.Thread(target=move)
    mover.start()
    try:
        _wait_until_a_statement_waits_on_a_lock(exclude=elsewhere)
    finally:
        elsewhere.commit()
        elsewhere.close()
    mover.join(60)
    ((status, body),) = answer
    assert (status, body["error"]) == (409, "slot_unavailable"), body
    assert body["message"] == "The patient already has an appointment at that time."
    assert _booked_starts(first.id) == [base]


def _wait_until_a_statement_waits_on_a_lock(exclude: Session) -> None:
    """Until another backend of this database waits on a lock (the move, on the in-flight row)."""
    own = exclude.scalar(text("SELECT pg_backend_pid()"))
    query = text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND wait_event_type = 'Lock' AND pid <> :own"
    )
    with db.engine.connect() as watcher:
        for _ in range(6000):
            if watcher.execute(query, {"own": own}).scalar():
                return
            watcher.rollback()
            time.sleep(0.01)
    raise AssertionError("the move never waited for the in-flight booking")

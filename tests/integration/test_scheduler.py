"""The scheduler: one declarative job list, safe defaults, jobs that call services with an app context."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED

from app.auth.api_token import ApiToken
from app.auth.loaders import session_policy
from app.auth.login_session import LoginSession
from app.auth.service import issue_token, purge_expired
from app.db import utcnow
from app.extensions import db
from app.scheduler.jobs import JOBS
from app.scheduler.runner import JOB_DEFAULTS, build
from app.sms.outbox import enqueue
from app.throttle.counter import ThrottleCounter


def test_jobs_are_registered_with_coalescing_and_one_instance(app):
    scheduler = build(app, blocking=False)
    ids = {job.id for job in scheduler.get_jobs()}
    assert ids == {job.id for job in JOBS}
    assert JOB_DEFAULTS["coalesce"] is True and JOB_DEFAULTS["max_instances"] == 1
    assert JOB_DEFAULTS["misfire_grace_time"] > 0


def test_the_built_scheduler_gives_every_job_the_safe_defaults(app):
    """Asserted on the scheduler ``build`` makes, not on the constant: a scheduler built without its
    job defaults would fall back to APScheduler's misfire grace of 1 second."""
    scheduler = build(app, blocking=False)
    scheduler.start(paused=True)  # jobs get their defaults when really added; paused, none runs
    try:
        expected = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}
        assert scheduler._job_defaults == expected  # what add_job fills in (APScheduler has no public getter)
        jobs = scheduler.get_jobs()
        assert {job.id for job in jobs} == {job.id for job in JOBS}
        for job in jobs:
            assert {key: getattr(job, key) for key in expected} == expected, job.id
        later = scheduler.add_job(print, "interval", seconds=60, id="added.later")
        assert {key: getattr(later, key) for key in expected} == expected
        assert str(scheduler.timezone) == "UTC"
    finally:
        scheduler.shutdown(wait=False)


def test_purge_removes_only_dead_sessions_and_tokens(app, make_patient):
    patient = make_patient()
    now = utcnow()
    db.session.add_all(
        [
            LoginSession(id="old", user_id=patient.id, created_at=now - timedelta(days=60),
                         last_seen_at=now - timedelta(days=60), ended_at=now - timedelta(days=59)),
            LoginSession(id="live", user_id=patient.id, created_at=now, last_seen_at=now),
        ]
    )  # fmt: skip
    db.session.commit()
    issue_token(patient, timedelta(hours=1), now=now - timedelta(days=45))
    issue_token(patient, timedelta(hours=1), now=now)
    with app.test_request_context():
        removed = purge_expired(session_policy(), now=now)
    assert removed == 2
    assert [s.id for s in db.session.scalars(db.select(LoginSession))] == ["live"]
    assert db.session.scalar(db.select(db.func.count()).select_from(ApiToken)) == 1


def test_the_dispatch_interval_is_a_setting(app, monkeypatch):
    monkeypatch.setitem(app.config, "SMS_DISPATCH_SECONDS", 3)
    job = build(app, blocking=False).get_job("notifications.dispatch")
    assert job.trigger.interval == timedelta(seconds=3)


def test_auth_purge_job_removes_throttle_counters_whose_window_ended():
    now = utcnow()
    db.session.add_all([ThrottleCounter(key="ip:old", hits=3, expires_at=now - timedelta(seconds=1)),
                        ThrottleCounter(key="ip:live", hits=3, expires_at=now + timedelta(minutes=5))])  # fmt: skip
    db.session.commit()
    job = next(job for job in JOBS if job.id == "auth.purge_expired")
    assert job.func() >= 1
    assert db.session.scalars(db.select(ThrottleCounter.key)).all() == ["ip:live"]


def _run_now_and_wait(scheduler, job_id: str) -> None:
    done = threading.Event()
    scheduler.add_listener(lambda event: event.job_id == job_id and done.set(), EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start(paused=True)
    try:
        scheduler.modify_job(job_id, next_run_time=utcnow())
        scheduler.resume()
        assert done.wait(20), f"{job_id} did not run"
    finally:
        scheduler.shutdown(wait=True)


def test_an_idle_run_of_the_built_scheduler_logs_nothing_at_info(app, caplog):
    """Issue 17: the scheduler logs at INFO only what it did. The dispatch job with an empty outbox
    is an idle run: neither APScheduler's "Running job"/"executed successfully" nor our line."""
    caplog.set_level(logging.DEBUG)
    scheduler = build(app, blocking=False)
    caplog.clear()
    _run_now_and_wait(scheduler, "notifications.dispatch")
    runs = ("apscheduler.executors.default", "app.scheduler.runner")  # who speaks of each run (startup aside)
    info = [r.getMessage() for r in caplog.records if r.name in runs and r.levelno >= logging.INFO]
    assert info == []
    assert any(
        r.levelno == logging.DEBUG and "job notifications.dispatch done" in r.getMessage() for r in caplog.records
    )


def test_a_run_that_did_something_says_what_at_info(app, caplog, make_patient):
    """The same job with a text due: one INFO line with what was sent."""
    now = utcnow()
    # Between them some zone is between 09:00 and 20:00 at every hour of the year (no US zone is from
    # 10:00 to 13:00 UTC, hence London).
    zones = ("America/New_York", "America/Los_Angeles", "Pacific/Honolulu", "Pacific/Guam", "Europe/London")

    def awake_at(moment):
        return [z for z in zones if 9 <= moment.astimezone(ZoneInfo(z)).hour < 20]  # outside quiet hours

    for day in (datetime(2027, 1, 15, tzinfo=UTC), datetime(2027, 7, 15, tzinfo=UTC)):  # so CI's hour cannot matter
        assert all(awake_at(day + timedelta(hours=h)) for h in range(24))
    awake = awake_at(now)[0]
    patient = make_patient(phone="+12065550123", sms_opt_in=True, timezone=awake)
    enqueue(patient, kind="followup", body="A test text.", due_at=now, dedupe_key="test:sched-log")
    db.session.commit()
    caplog.set_level(logging.DEBUG)
    scheduler = build(app, blocking=False)
    caplog.clear()
    _run_now_and_wait(scheduler, "notifications.dispatch")
    lines = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO and r.name == "app.scheduler.runner"]
    assert len(lines) == 1 and "notifications.dispatch done" in lines[0] and "'sent': 1" in lines[0], lines
    assert not [r for r in caplog.records if r.name.startswith("apscheduler.executors") and r.levelno == logging.INFO]

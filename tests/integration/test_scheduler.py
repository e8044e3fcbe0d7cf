"""The scheduler: one declarative job list, safe defaults, jobs that call services with an app context."""

from __future__ import annotations

from datetime import timedelta

from app.auth.api_token import ApiToken
from app.auth.loaders import session_policy
from app.auth.login_session import LoginSession
from app.auth.service import issue_token, purge_expired
from app.auth.throttle_counter import ThrottleCounter
from app.db import utcnow
from app.extensions import db
from app.scheduler.jobs import JOBS
from app.scheduler.runner import JOB_DEFAULTS, build


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

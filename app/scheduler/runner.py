"""Building and running the APScheduler scheduler from ``JOBS``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from functools import partial

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from app.extensions import db
from app.scheduler.jobs import JOBS, Job

log = logging.getLogger(__name__)

JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 300}

# APScheduler's executor says "Running job ..." and "... executed successfully" at INFO for every run,
# several times a minute; what a run did is our line below. Misfires and errors (WARNING and up) stay.
QUIET_LOGGERS = ("apscheduler.executors",)


def did_something(result: object) -> bool:
    """Whether a job's result reports work done: a count above 0, or any count above 0 in a mapping
    (``{"sent": 0, "suppressed": 0}`` is an idle run)."""
    if isinstance(result, Mapping):
        return any(did_something(value) for value in result.values())
    return bool(result)


def run_job(app: Flask, job: Job) -> None:
    with app.app_context():
        try:
            result = job.func()
            # A run that did something says so (e.g. how many texts it sent); idle runs stay quiet.
            (log.info if did_something(result) else log.debug)("job %s done: %s", job.id, result)
        except Exception:
            db.session.rollback()
            log.exception("job %s failed", job.id)
            raise


def build(app: Flask, *, blocking: bool) -> BackgroundScheduler | BlockingScheduler:
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(job_defaults=JOB_DEFAULTS, timezone="UTC")
    for job in JOBS:
        scheduler.add_job(
            partial(run_job, app, job), "interval", seconds=job.interval(app.config), id=job.id, name=job.description
        )
    return scheduler

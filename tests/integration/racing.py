"""What the race tests share: a private app's settings, jobs released together from threads of one
process (each with its own session and connection), and the app served by gunicorn with several
workers, as production runs it (each worker a process with its own pool)."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

from flask import Flask

from app.extensions import db
from bench.processes import start_gunicorn
from tests.conftest import TEST_AUDIT_KEY, TEST_SECRET

TIMEOUT = 60


def app_settings(url: str) -> dict:
    """create_app settings for a private database (no Redis, no scheduler, demo vendors)."""
    return {"DATABASE_URL": url, "SECRET_KEY": TEST_SECRET, "AUDIT_KEY": TEST_AUDIT_KEY, "REDIS_URL": None,
            "SCHEDULER_ENABLED": False, "SMS_BACKEND": "console", "BILLING_BACKEND": "dummy"}  # fmt: skip


def at_once(app: Flask, jobs: list[Callable[[], object]]) -> list[Exception]:
    """Run ``jobs`` at once, each in its own thread, app context and session; the exceptions raised."""
    barrier = threading.Barrier(len(jobs))
    failures: list[Exception] = []

    def run(job: Callable[[], object]) -> None:
        with app.app_context():
            try:
                barrier.wait()
                job()
            except Exception as exc:  # collected, and asserted on by the caller
                failures.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    return failures


@contextlib.contextmanager
def served(database: str, log: Path, name: str, *, workers: int = 4) -> Iterator[str]:
    """The app on ``database`` served by gunicorn with ``workers`` processes; yields its base URL."""
    env = dict(os.environ, DATABASE_URL=database, SECRET_KEY=TEST_SECRET, AUDIT_KEY=TEST_AUDIT_KEY, REDIS_URL="",
               FLASK_DEBUG="0", SCHEDULER_ENABLED="0", SMS_BACKEND="console", BILLING_BACKEND="dummy")  # fmt: skip
    # Several workers importing the app on a busy machine take a while.
    server, port = start_gunicorn(name, "wsgi:app", env, log, probe="/healthz", workers=workers, start_within=90)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.stop()

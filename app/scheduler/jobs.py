"""The job list. Each job is idempotent, so a second scheduler process (or a missed run) is safe:
the work itself is claimed from tables, never from APScheduler's own bookkeeping."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], Any]
    seconds: int
    description: str
    interval_setting: str | None = None  # a setting that overrides ``seconds``

    def interval(self, config: Mapping[str, Any]) -> int:
        return int(config.get(self.interval_setting) or self.seconds) if self.interval_setting else self.seconds


def _purge_auth() -> int:
    from app.auth.loaders import session_policy
    from app.auth.service import purge_expired
    from app.throttle.store import purge_expired as purge_counters

    return purge_expired(session_policy()) + purge_counters()


def _seal_audit() -> int:
    from app.audit.chain import seal

    return seal()


def _dispatch_texts() -> dict[str, int]:
    """Drain what is due, batch after batch, for at most most of one interval: a morning's backlog
    (quiet hours end at 08:00 for everyone at once) goes out at the sender's pace, not 50 per run."""
    from flask import current_app

    from app.sms.sender import dispatch_due

    config = current_app.config
    deadline = time.monotonic() + 0.8 * config["SMS_DISPATCH_SECONDS"]
    totals: dict[str, int] = {}
    while True:
        counts = dispatch_due(
            lease_seconds=config["SMS_LEASE_SECONDS"], backoff_seconds=config["SMS_RETRY_BASE_SECONDS"]
        )
        for outcome, n in counts.items():
            totals[outcome] = totals.get(outcome, 0) + n
        if not counts or time.monotonic() >= deadline:
            return totals


def _followups() -> dict[str, int]:
    from app.care_team.followups import run

    return run()


def _trials_ending() -> int:
    from flask import current_app

    from app.billing.notices import trials_ending_soon
    from app.db import utcnow

    return trials_ending_soon(utcnow(), current_app.config["PUBLIC_BASE_URL"])


JOBS: tuple[Job, ...] = (
    Job("notifications.followups", _followups, 900, "follow-ups: evaluations, check-in links, care plan reviews"),
    Job(
        "notifications.dispatch", _dispatch_texts, 20, "send due text messages from the outbox", "SMS_DISPATCH_SECONDS"
    ),
    Job("billing.trials_ending", _trials_ending, 3600, "text patients 3 days before a free trial's first charge"),
    Job("audit.seal", _seal_audit, 60, "chain new audit rows into the tamper-evident hash chain"),
    Job(
        "auth.purge_expired",
        _purge_auth,
        3600,
        "delete sessions, API tokens and throttle counters that can no longer be used",
    ),
)

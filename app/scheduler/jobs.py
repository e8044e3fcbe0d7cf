"""The job list. Each job is idempotent, so a second scheduler process (or a missed run) is safe:
the work itself is claimed from tables, never from APScheduler's own bookkeeping."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Job:
    id: str
    func: Callable[[], Any]
    seconds: int
    description: str


def _purge_auth() -> int:
    from app.auth.loaders import session_policy
    from app.auth.service import purge_expired

    return purge_expired(session_policy())


def _seal_audit() -> int:
    from app.audit.chain import seal

    return seal()


def _dispatch_texts() -> dict[str, int]:
    from app.notifications.sender import dispatch_due

    return dispatch_due()


def _followups() -> dict[str, int]:
    from app.notifications.followups import run

    return run()


def _trials_ending() -> int:
    from app.billing.notices import trials_ending_soon
    from app.db import utcnow

    return trials_ending_soon(utcnow())


JOBS: tuple[Job, ...] = (
    Job("notifications.followups", _followups, 900, "follow-ups: evaluations, check-in links, care plan reviews"),
    Job("notifications.dispatch", _dispatch_texts, 20, "send due text messages from the outbox"),
    Job("billing.trials_ending", _trials_ending, 3600, "text patients 3 days before a free trial's first charge"),
    Job("audit.seal", _seal_audit, 60, "chain new audit rows into the tamper-evident hash chain"),
    Job("auth.purge_expired", _purge_auth, 3600, "delete sessions and API tokens that can no longer be used"),
)

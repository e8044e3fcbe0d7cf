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


JOBS: tuple[Job, ...] = (
    Job("audit.seal", _seal_audit, 60, "chain new audit rows into the tamper-evident hash chain"),
    Job("auth.purge_expired", _purge_auth, 3600, "delete sessions and API tokens that can no longer be used"),
)

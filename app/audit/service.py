"""Writing to the audit trail.

``record`` adds the row to the current transaction, so it commits (or rolls back) with the change it
describes. ``record_now`` commits at once, for denials and failed logins where nothing else will.
The client address comes from a context variable the web layer sets per request, so services and
the scheduler call the same function without touching ``flask.request``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import insert

from app.audit.event import AuditEvent
from app.db import utcnow
from app.extensions import db


class Actor(Protocol):
    """Who acted, as the trail keeps it: an account's id and role (a ``User``, or anything alike)."""

    @property
    def id(self) -> int: ...

    @property
    def role(self) -> str: ...


current_ip: ContextVar[str | None] = ContextVar("audit_current_ip", default=None)
# The demo's seeded history plays past events through the services: their rows carry the time the
# story says they happened (``dated``), not the moment of seeding. Nothing else sets it.
_dated: ContextVar[datetime | None] = ContextVar("audit_dated", default=None)


@contextmanager
def dated(at: datetime) -> Iterator[None]:
    """Rows recorded inside the block are dated ``at`` (the demo's history only)."""
    token = _dated.set(at)
    try:
        yield
    finally:
        _dated.reset(token)


def _occurred_at() -> datetime:
    return _dated.get() or utcnow()


def record(
    action: str,
    *,
    actor: Actor | None,
    patient_id: int | None = None,
    object_type: str | None = None,
    object_id: int | str | None = None,
    outcome: str = "ok",
    subject: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        occurred_at=_occurred_at(),
        actor_id=actor.id if actor is not None else None,
        actor_role=actor.role if actor is not None else None,
        patient_id=patient_id,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        ip=current_ip.get(),
        subject=subject,
    )
    db.session.add(event)
    return event


def record_patients(
    action: str,
    *,
    actor: Actor | None,
    patient_ids: Iterable[int | None],
    object_type: str | None = None,
    object_id: int | str | None = None,
) -> int:
    """One row per patient shown by a list (a caseload, every appointment, the outbox), so each read
    appears in that patient's "who viewed my record". One bulk INSERT however long the list; returns
    how many rows. A list that shows no patient records nothing."""
    ids = sorted({pid for pid in patient_ids if pid is not None})
    if not ids:
        return 0
    common = {
        "occurred_at": _occurred_at(),
        "actor_id": actor.id if actor is not None else None,
        "actor_role": actor.role if actor is not None else None,
        "action": action,
        "object_type": object_type,
        "object_id": None if object_id is None else str(object_id),
        "outcome": "ok",
        "ip": current_ip.get(),
        "subject": None,
    }
    db.session.execute(insert(AuditEvent), [{**common, "patient_id": pid} for pid in ids])
    return len(ids)


def commit_keeping_loaded() -> None:
    """Commit the audit rows of a read without expiring what the read loaded: the page renders the
    objects as they were read, instead of reloading each one with a query of its own."""
    session = db.session()
    keep = session.expire_on_commit
    session.expire_on_commit = False
    try:
        session.commit()
    finally:
        session.expire_on_commit = keep


def record_now(action: str, **kwargs: Any) -> None:
    """Record in a transaction of its own: the denial must stay in the trail even if the request fails."""
    db.session.rollback()
    record(action, **kwargs)
    db.session.commit()

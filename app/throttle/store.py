"""Where throttle counters live: one port, two stores.

``DatabaseCounters`` (no ``REDIS_URL``) keeps fixed-window counts in ``throttle_counters``, so every
worker and every endpoint of the embedded default shares them; ``RedisCounters`` keeps them in Redis for
several web instances. Nothing here reads the request: the scheduler purges expired rows with
``purge_expired``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol, cast

import redis
from sqlalchemy import CursorResult, case, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.db import utcnow
from app.extensions import db
from app.throttle.counter import ThrottleCounter


class CounterStore(Protocol):
    def hits(self, key: str, now: datetime) -> int:
        """Attempts counted under ``key`` in its current window."""

    def add(self, key: str, window: timedelta, now: datetime) -> int:
        """Count one more attempt (starting a window of ``window`` if none is open); the new count."""


class DatabaseCounters:
    def hits(self, key: str, now: datetime) -> int:
        found = db.session.scalar(
            select(ThrottleCounter.hits).where(ThrottleCounter.key == key, ThrottleCounter.expires_at > now)
        )
        return found or 0

    def add(self, key: str, window: timedelta, now: datetime) -> int:
        # A transaction of its own, committed at once: the request's work is rolled back on a failure, and
        # a count rolled back with it would count nothing. The request's own transaction ends first, so on
        # SQLite (one writer) this short write never waits on the request that made it.
        db.session.rollback()
        bind = db.session.get_bind()  # the engine; in tests the test's connection (the count is a savepoint)
        dialect = postgresql if bind.dialect.name == "postgresql" else sqlite
        table = ThrottleCounter.__table__
        fresh = table.c.expires_at <= now
        upsert = (
            dialect.insert(table)
            .values(key=key, hits=1, expires_at=now + window)
            .on_conflict_do_update(
                index_elements=[table.c.key],
                set_={
                    "hits": case((fresh, 1), else_=table.c.hits + 1),
                    "expires_at": case((fresh, now + window), else_=table.c.expires_at),
                },
            )
            .returning(table.c.hits)
        )
        with Session(bind=bind, join_transaction_mode="create_savepoint") as session, session.begin():
            return int(session.execute(upsert).scalar_one())


class RedisCounters:
    def __init__(self, url: str, prefix: str) -> None:
        self.client = redis.Redis.from_url(url)
        self.prefix = f"{prefix}:throttle:" if prefix else "throttle:"

    def hits(self, key: str, now: datetime) -> int:
        return int(cast("bytes | None", self.client.get(self.prefix + key)) or 0)

    def add(self, key: str, window: timedelta, now: datetime) -> int:
        name = self.prefix + key
        pipe = self.client.pipeline(transaction=True)
        pipe.set(name, 0, ex=max(1, int(window.total_seconds())), nx=True)  # opens the window once
        pipe.incr(name)
        return int(pipe.execute()[1])


def purge_expired(now: datetime | None = None) -> int:
    """Delete counters whose window has passed (a periodic job)."""
    removed = cast(
        "CursorResult[Any]",
        db.session.execute(delete(ThrottleCounter).where(ThrottleCounter.expires_at <= (now or utcnow()))),
    )
    db.session.commit()
    return removed.rowcount or 0

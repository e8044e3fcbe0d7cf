"""How requests use PostgreSQL connections, tuned because round trips are what an API request pays for.

* **Ping after idle.** A pooled connection is checked with a ping only when it has sat unused for
  ``PING_AFTER_IDLE`` (a restart, a failover, a firewall or an idle timeout can have closed it);
  SQLAlchemy's ``pool_pre_ping`` pinged before every request, one extra round trip each. A ping that
  fails makes the pool open a fresh connection for that request, so nobody sees the dead one.
* **Read-only requests without a transaction.** An endpoint declared ``read_only`` and called with a
  bearer token (and no session cookie) runs its statements in autocommit mode: no BEGIN and no ROLLBACK, two round trips
  fewer. Under READ COMMITTED, PostgreSQL's level, every statement of a transaction already sees its
  own snapshot, so a sequence of reads sees exactly what it would inside one. Writing in that mode
  would not be atomic, so any flush raises ``ReadOnlyViolation`` instead.

Tests run each test inside an outer transaction on one connection; there a read-only request keeps
that transaction (nothing to switch), and ``tests/integration/test_read_only_requests.py`` proves
the mode on an engine of its own.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.extensions import db

PING_AFTER_IDLE = 5.0  # seconds
_READ_ONLY = "read_only_request"


class ReadOnlyViolation(RuntimeError):
    """A request declared read-only tried to write."""


def install(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        return
    _ping_after_idle(engine)
    if not event.contains(Session, "before_flush", _refuse_writes):  # one guard for every app
        event.listen(Session, "before_flush", _refuse_writes)


def _ping_after_idle(engine: Engine) -> None:
    @event.listens_for(engine, "checkin")
    def _checked_in(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        if time.monotonic() - record.info.get("idle_since", 0.0) < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
            dbapi_connection.rollback()  # the ping's SELECT opened a transaction: hand over a clean one
        except engine.dialect.loaded_dbapi.Error as error:
            # The pool's documented answer: discard this connection and check out another.
            raise exc.DisconnectionError() from error


def begin_read_only() -> None:
    """Run the rest of this request's statements outside a transaction (see the module docstring).

    Only for bearer-token requests without a session cookie: loading a cookie session may write
    its last-seen time. Called before anything touches the database.
    """
    session = db.session()
    if (
        "Authorization" not in request.headers
        or current_app.config["SESSION_COOKIE_NAME"] in request.cookies
        or session.in_transaction()
        or not isinstance(session.get_bind(), Engine)  # tests: bound to their outer transaction
        or session.get_bind().dialect.name != "postgresql"
    ):
        return
    session.info[_READ_ONLY] = True
    session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyViolation("a read-only request tried to write")

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

On SQLite (``app.sqlite``) every transaction begins IMMEDIATE, taking the one write lock; a
read-only request instead begins DEFERRED, so it waits for no writer and blocks none, and the same
guard refuses its flushes.

* **No transaction held over slow work.** ``release_reads`` ends a transaction that has only read
  before password hashing or a provider call: on SQLite it would hold the write lock meanwhile, on
  PostgreSQL a connection would sit idle in a transaction.

Tests run each test inside an outer transaction on one connection; there a read-only request keeps
that transaction (nothing to switch), and ``tests/integration/test_read_only_requests.py`` and
``tests/integration/test_sqlite_transactions.py`` prove the modes on engines of their own.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, request
from sqlalchemy import event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from app.extensions import db

PING_AFTER_IDLE = 5.0  # seconds
_READ_ONLY = "read_only_request"
_WROTE = "wrote_in_transaction"


class ReadOnlyViolation(RuntimeError):
    """A request declared read-only tried to write."""


def install(engine: Engine) -> None:
    if engine.dialect.name == "postgresql":
        _ping_after_idle(engine)
    for name, listener in _SESSION_LISTENERS:  # once for every app
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)


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
    ):
        return
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.info[_READ_ONLY] = True
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    elif dialect == "sqlite":
        session.info[_READ_ONLY] = True
        session.connection(execution_options={"sqlite_begin": "DEFERRED"})


def release_reads() -> None:
    """End the session's transaction if it has only read, before slow work (argon2, a provider's
    answer): on SQLite the transaction holds the write lock from its first statement, on PostgreSQL
    its connection would sit idle in a transaction. A transaction that wrote is left alone, so its
    writes stay atomic with what follows. Loaded objects are expired: read what the slow work needs
    first; touching them afterwards loads them again in a new transaction."""
    session = db.session()
    if not session.in_transaction() or session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
        return
    session.commit()


def _refuse_writes(session: Session, _context: Any, _instances: Any) -> None:
    if session.info.get(_READ_ONLY) and (session.new or session.dirty or session.deleted):
        raise ReadOnlyViolation("a read-only request tried to write")


def _wrote_by_flush(session: Session, _context: Any) -> None:
    session.info[_WROTE] = True


def _wrote_by_statement(state: ORMExecuteState) -> None:
    if not state.is_select:  # INSERT, UPDATE, DELETE and text() alike
        state.session.info[_WROTE] = True


def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


_SESSION_LISTENERS = (
    ("before_flush", _refuse_writes),
    ("after_flush", _wrote_by_flush),
    ("do_orm_execute", _wrote_by_statement),
    ("after_transaction_end", _transaction_ended),
)

"""SQLite as an embedded database: real transactions, foreign keys, WAL, and writers that wait their turn.

pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; SQLAlchemy's documented
recipe hands transaction control back to SQLAlchemy: the driver is put in autocommit mode and the
``begin`` event emits BEGIN itself.

Every transaction begins ``IMMEDIATE`` (Rails 7.1+ does the same): it takes the database's one write
lock at BEGIN, waiting up to the busy timeout while another connection holds it. A ``DEFERRED``
transaction that reads and then writes (an audit row after a chart read, a session row after a
password check, a throttle counter) has to upgrade its read to a write; under WAL that upgrade fails
at once with "database is locked" whenever another connection wrote in between or is writing, and
the busy timeout never applies, so with two workers such requests answered 500. Only a transaction
that cannot write may stay deferred: a connection opened with the execution option
``sqlite_begin="DEFERRED"`` (``connections.begin_read_only`` for requests declared read-only, whose
flushes are refused). WAL lets those readers, and the CLI's, run while one writer works.

What remains: one writer at a time. A transaction holds the lock from its first statement to its
commit, so slow work (password hashing, calls to providers) is kept outside transactions
(``connections.release_reads``); PostgreSQL is the production database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

BUSY_TIMEOUT_MS = 30000
BEGIN_MODES = ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")


def configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # the driver never begins a transaction on its own
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "IMMEDIATE").upper()
        if mode not in BEGIN_MODES:
            raise ValueError(f"unknown SQLite BEGIN mode {mode!r}")
        connection.exec_driver_sql(f"BEGIN {mode}")

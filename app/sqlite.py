"""SQLite as an embedded development database: real transactions, foreign keys, WAL.

pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; SQLAlchemy's documented
recipe hands transaction control back to SQLAlchemy. A connection opened with the execution option
``sqlite_begin="IMMEDIATE"`` takes the write lock at BEGIN, which serialises a use case (booking)
that must read-then-write atomically.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine


def configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())

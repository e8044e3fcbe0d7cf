"""PostgreSQL role separation for the audit trail.

Migrations run as the role that owns the tables (``MIGRATION_DATABASE_URL``); the application
connects as another role (``DATABASE_URL``). A table's owner can always switch its triggers off, so
the append-only guarantee rests on the application's role not being the owner: ``grant_app_role``
gives it ordinary rights on every table except ``audit_events``, where it may only SELECT, INSERT,
and fill the three chain columns of a row not sealed yet (the sealer; the row trigger refuses any
other update). It cannot UPDATE content, DELETE, TRUNCATE, or ALTER the table.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.pool import NullPool

from app.extensions import db


class RoleError(RuntimeError):
    """The named role cannot be made the application's role."""


def owner_engine() -> Engine:
    """The engine of the tables' owner: ``MIGRATION_DATABASE_URL``, or the application's own."""
    settings = current_app.config["SETTINGS"]
    if not settings.MIGRATION_DATABASE_URL:
        return db.engine
    engines: dict[str, Engine] = current_app.extensions.setdefault("owner_engines", {})
    url = settings.migration_database_url(current_app.instance_path)
    if url not in engines:
        engines[url] = create_engine(url, poolclass=NullPool)
    return engines[url]


def grant_statements(role: str, quote: Callable[[str], str]) -> list[str]:
    r = quote(role)
    return [
        f"GRANT USAGE ON SCHEMA public TO {r}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {r}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {r}",
        # Only what the trail needs. REVOKE ALL also drops any column privileges granted earlier.
        f"REVOKE ALL ON audit_events FROM {r}",
        "REVOKE ALL ON audit_events FROM PUBLIC",
        f"GRANT SELECT, INSERT ON audit_events TO {r}",
        f"GRANT UPDATE (chain_seq, prev_hash, row_hash) ON audit_events TO {r}",
        f"REVOKE ALL ON alembic_version FROM {r}",
        f"GRANT SELECT ON alembic_version TO {r}",
    ]


def grant_app_role(role: str) -> list[str]:
    """Grant ``role`` what the application needs and no more; returns the statements run. Run as the
    owner after every ``db upgrade`` (new tables need their grants); running it again changes nothing."""
    engine = owner_engine()
    if engine.dialect.name != "postgresql":
        raise RoleError("SQLite has no roles: see docs/deploy.md for what it cannot guarantee.")
    with engine.begin() as conn:
        found = conn.execute(
            text("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first()  # fmt: skip
        if found is None:
            raise RoleError(f"no role named {role!r} (create it first: CREATE ROLE ... LOGIN PASSWORD ...)")
        if found.rolsuper:
            raise RoleError(f"{role!r} is a superuser: it could switch the audit trigger off")
        owner = conn.scalar(
            text("SELECT tableowner FROM pg_tables WHERE schemaname = 'public' AND tablename = 'audit_events'")
        )
        if owner is None:
            raise RoleError("audit_events does not exist: run `flask --app wsgi db upgrade` first")
        if conn.scalar(text("SELECT pg_has_role(:r, :o, 'USAGE')"), {"r": role, "o": owner}):
            raise RoleError(f"{role!r} is (or acts as) {owner!r}, the owner of audit_events: use a separate role")
        statements = grant_statements(role, engine.dialect.identifier_preparer.quote)
        database = conn.scalar(text("SELECT current_database()"))
        statements.insert(0, f"GRANT CONNECT ON DATABASE {engine.dialect.identifier_preparer.quote(database)} "
                             f"TO {engine.dialect.identifier_preparer.quote(role)}")  # fmt: skip
        for statement in statements:
            conn.execute(text(statement))
    return statements

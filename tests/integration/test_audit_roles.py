"""PostgreSQL role separation: the application's role may read and append to the audit trail and
nothing else — no UPDATE of content, no DELETE, no TRUNCATE, no switching the trigger off."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator

import flask_migrate
import psycopg
import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import DBAPIError

from app import create_app
from app.audit.chain import seal, verify
from app.audit.service import record
from app.extensions import db
from tests.conftest import TEST_AUDIT_KEY, TEST_SECRET, private_database
from tests.integration.conftest import REAL_SESSION


def _conninfo(**changes: str) -> str:
    url = db.engine.url.set(drivername="postgresql", **changes)
    return url.render_as_string(hide_password=False)


@pytest.fixture
def app_role(app, is_postgres) -> Iterator[tuple[str, str]]:
    if not is_postgres:
        pytest.skip("roles are PostgreSQL's; docs/deploy.md says what SQLite cannot guarantee")
    role, password = f"audit_app_{uuid.uuid4().hex[:12]}", secrets.token_urlsafe(18)
    with psycopg.connect(_conninfo(), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {role} LOGIN PASSWORD '{password}'")
    try:
        yield role, password
    finally:
        with psycopg.connect(_conninfo(), autocommit=True) as admin:
            admin.execute(f"DROP OWNED BY {role}")  # the grants, here and on the database
            admin.execute(f"DROP ROLE {role}")


REFUSED = {
    "update": "UPDATE audit_events SET outcome = 'forged'",
    "update a sealed row's hash": "UPDATE audit_events SET row_hash = 'x' WHERE row_hash IS NOT NULL",
    "delete": "DELETE FROM audit_events",
    "truncate": "TRUNCATE audit_events",
    "disable the trigger": "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
    "disable all triggers": "ALTER TABLE audit_events DISABLE TRIGGER ALL",
    "drop the table": "DROP TABLE audit_events",
}


def test_the_app_role_may_append_and_read_but_not_change_delete_truncate_or_disable(app, app_role):
    role, password = app_role
    result = app.test_cli_runner().invoke(args=["audit", "grant-app-role", role])
    assert result.exit_code == 0, result.output
    with psycopg.connect(_conninfo(username=role, password=password)) as conn:
        # What the application does: append a row, read it, and (the sealer) fill its chain columns once.
        row_id = conn.execute(
            "INSERT INTO audit_events (occurred_at, action, outcome) VALUES (now(), 'test.role', 'ok') RETURNING id"
        ).fetchone()[0]
        assert conn.execute("SELECT action FROM audit_events WHERE id = %s", (row_id,)).fetchone() == ("test.role",)
        conn.execute("UPDATE audit_events SET chain_seq = -1, prev_hash = 'p', row_hash = 'h' WHERE id = %s", (row_id,))
        assert conn.execute("SELECT count(*) FROM users").fetchone() is not None  # other tables as usual
        conn.rollback()
        refused = {}
        for what, sql in REFUSED.items():
            if what == "update a sealed row's hash":  # a sealed row exists in this transaction only
                conn.execute(
                    "INSERT INTO audit_events (occurred_at, action, outcome) VALUES (now(), 'test.role', 'ok')"
                )
                conn.execute("UPDATE audit_events SET chain_seq = -2, prev_hash = 'p', row_hash = 'h' "
                             "WHERE row_hash IS NULL AND action = 'test.role'")  # fmt: skip
            with pytest.raises(psycopg.errors.InsufficientPrivilege) as caught:
                conn.execute(sql)
            refused[what] = str(caught.value).splitlines()[0]
            conn.rollback()
    assert set(refused) == set(REFUSED), refused
    assert "append-only" in refused["update a sealed row's hash"], refused


def test_grant_refuses_a_superuser_or_the_owner(app, is_postgres):
    if not is_postgres:
        pytest.skip("roles are PostgreSQL's")
    owner = db.session.scalar(text("SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'"))
    result = app.test_cli_runner().invoke(args=["audit", "grant-app-role", owner])
    assert result.exit_code == 1 and ("superuser" in result.output or "owner" in result.output), result.output


def test_truncate_is_refused_even_for_the_owner(app, is_postgres):
    if not is_postgres:
        pytest.skip("the append-only triggers are PostgreSQL's")
    with pytest.raises(Exception, match="append-only"), db.session.begin_nested():
        db.session.execute(text("TRUNCATE audit_events"))


def test_sqlite_has_no_roles_and_says_so(app, is_postgres):
    if is_postgres:
        pytest.skip("SQLite only")
    result = app.test_cli_runner().invoke(args=["audit", "grant-app-role", "clinic_app"])
    assert result.exit_code == 1 and "SQLite has no roles" in result.output


def test_the_app_connected_as_its_role_records_seals_and_verifies(app, app_role, tmp_path):
    """The deployment as docs/deploy.md describes it, on a database of its own: migrated by the owner,
    grants by `audit grant-app-role`, then the application (DATABASE_URL = its role) writes, seals and
    verifies the trail, and is still refused a DELETE."""
    role, password = app_role
    settings = {"TESTING": True, "SECRET_KEY": TEST_SECRET, "AUDIT_KEY": TEST_AUDIT_KEY, "SCHEDULER_ENABLED": False}
    test_session, db.session = db.session, REAL_SESSION  # real commits, on another database
    try:
        with private_database(str(tmp_path)) as owner_url:
            owner_app = create_app({**settings, "DATABASE_URL": owner_url})
            with owner_app.app_context():
                flask_migrate.upgrade(revision="heads")
                granted = owner_app.test_cli_runner().invoke(args=["audit", "grant-app-role", role])
                assert granted.exit_code == 0, granted.output
                db.session.remove()
                db.engine.dispose()
            role_url = make_url(owner_url).set(username=role, password=password).render_as_string(hide_password=False)
            app_as_role = create_app({**settings, "DATABASE_URL": role_url, "MIGRATION_DATABASE_URL": owner_url})
            with app_as_role.app_context():
                assert db.session.scalar(text("SELECT current_user")) == role
                for i in range(3):
                    record("test.event", actor=None, object_id=i)
                db.session.commit()
                assert seal() == 3
                result = verify()
                assert (result.checked, result.broken_at) == (3, None), result
                with pytest.raises(DBAPIError, match="permission denied"):
                    db.session.execute(text("DELETE FROM audit_events"))
                db.session.rollback()
                db.session.remove()
                db.engine.dispose()
    finally:
        db.session = test_session

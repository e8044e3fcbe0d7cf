"""Every table comes from a migration: one head, and `upgrade head` yields exactly the models' schema."""

from __future__ import annotations

from pathlib import Path

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.extensions import db
from tests.conftest import TEST_SECRET, private_database
from tests.integration.conftest import REAL_SESSION


def test_one_head(app: Flask) -> None:
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    assert len(script.get_heads()) == 1, script.get_heads()


def test_migrated_schema_matches_models(app: Flask) -> None:
    connection = db.session.connection()
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    diff = compare_metadata(context, db.metadata)
    assert diff == [], diff


def test_database_is_at_head(app: Flask) -> None:
    script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
    context = MigrationContext.configure(db.session.connection())
    assert set(context.get_current_heads()) == set(script.get_heads())


def _profile_columns() -> set[str]:
    return {c["name"] for c in inspect(db.engine).get_columns("patient_profiles")}


def test_the_birth_date_migration_goes_down_and_up_keeping_profiles(tmp_path: Path) -> None:
    """0017 adds the nullable date of birth; its downgrade drops it (a table copy on SQLite) and keeps the rows."""
    with private_database(str(tmp_path)) as url:
        other = create_app(
            {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": TEST_SECRET, "SCHEDULER_ENABLED": False}
        )
        test_session, db.session = db.session, REAL_SESSION  # this database is not the test's transaction
        try:
            with other.app_context():
                flask_migrate.upgrade(revision="heads")
                assert "date_of_birth" in _profile_columns()
                with db.engine.begin() as conn:
                    conn.execute(text("INSERT INTO users (email, password_hash, name, role, timezone, is_enabled, "
                                      "mfa_enabled, created_at) VALUES ('m@example.com', 'x', 'M', 'patient', "
                                      "'America/New_York', true, false, CURRENT_TIMESTAMP)"))  # fmt: skip
                    conn.execute(text("INSERT INTO patient_profiles (user_id, state, sms_opt_in, date_of_birth) "
                                      "SELECT id, 'NY', false, '1980-01-02' FROM users"))  # fmt: skip
                flask_migrate.downgrade(revision="0016_notes")
                assert "date_of_birth" not in _profile_columns()
                with db.engine.connect() as conn:
                    assert conn.execute(text("SELECT state FROM patient_profiles")).scalars().all() == ["NY"]
                flask_migrate.upgrade(revision="heads")
                assert "date_of_birth" in _profile_columns()
                with db.engine.connect() as conn:
                    assert conn.execute(text("SELECT date_of_birth FROM patient_profiles")).scalars().all() == [None]
                db.session.remove()
                db.engine.dispose()
        finally:
            db.session = test_session


def test_the_messages_migration_goes_down_and_up(tmp_path: Path) -> None:
    """0019 adds the message thread and its read receipts; a body longer than 4,000 characters or empty
    is refused by the database too; its downgrade drops both tables."""
    with private_database(str(tmp_path)) as url:
        other = create_app(
            {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": TEST_SECRET, "SCHEDULER_ENABLED": False}
        )
        test_session, db.session = db.session, REAL_SESSION  # this database is not the test's transaction
        try:
            with other.app_context():
                flask_migrate.upgrade(revision="heads")
                tables = set(inspect(db.engine).get_table_names())
                assert {"messages", "message_reads"} <= tables
                with db.engine.begin() as conn:
                    conn.execute(text("INSERT INTO users (email, password_hash, name, role, timezone, is_enabled, "
                                      "mfa_enabled, created_at) VALUES ('m@example.com', 'x', 'M', 'patient', "
                                      "'America/New_York', true, false, CURRENT_TIMESTAMP)"))  # fmt: skip
                insert = text(
                    "INSERT INTO messages (patient_id, sender_id, body, crisis, created_at) "
                    "SELECT id, id, :body, false, CURRENT_TIMESTAMP FROM users"
                )
                for body in ("", "x" * 4001):
                    with pytest.raises(IntegrityError, match=r"body_length|CHECK"), db.engine.begin() as conn:
                        conn.execute(insert, {"body": body})
                script = ScriptDirectory.from_config(other.extensions["migrate"].migrate.get_config())
                flask_migrate.downgrade(revision=str(script.get_revision("0019_messages").down_revision))
                assert not {"messages", "message_reads"} & set(inspect(db.engine).get_table_names())
                flask_migrate.upgrade(revision="heads")
                assert {"messages", "message_reads"} <= set(inspect(db.engine).get_table_names())
                db.session.remove()
                db.engine.dispose()
        finally:
            db.session = test_session

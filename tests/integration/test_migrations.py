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


SAFETY = "Same-day safety follow-up: PHQ-9 item 9 was answered above 0"


def test_the_task_history_migration_carries_title_repeats_into_rows_and_back(tmp_path: Path) -> None:
    """0018 turns the repeats a safety task's title listed (" · again <minute> UTC, …") into history rows
    matched to the check-ins of those minutes, opens every task's history, takes "done" from the audit
    trail, leaves a second open safety task for one owner open as a plain urgent task (so the unique index
    can be built), and its downgrade writes the repeats back into the title."""
    from datetime import UTC, datetime, timedelta

    import sqlalchemy as sa

    from app.db import UTCDateTime

    t0 = datetime(2026, 12, 1, 14, 3, 20, 123456, tzinfo=UTC)
    users = sa.table("users", *(sa.column(c) for c in ("id", "email", "password_hash", "name", "role", "timezone",
                                                        "is_enabled", "mfa_enabled")),
                     sa.column("created_at", UTCDateTime()))  # fmt: skip
    screens = sa.table("assessments", *(sa.column(c) for c in ("id", "patient_id", "instrument", "answers", "score",
                                                               "severity", "item9", "entered_by")),
                       sa.column("created_at", UTCDateTime()))  # fmt: skip
    tasks = sa.table("care_tasks", *(sa.column(c) for c in ("id", "patient_id", "owner_id", "title", "urgent",
                                                            "status")),
                     sa.column("created_at", UTCDateTime()))  # fmt: skip
    trail = sa.table("audit_events", *(sa.column(c) for c in ("action", "object_type", "object_id", "actor_id",
                                                              "outcome")),
                     sa.column("occurred_at", UTCDateTime()))  # fmt: skip
    with private_database(str(tmp_path)) as url:
        other = create_app(
            {"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": TEST_SECRET, "SCHEDULER_ENABLED": False}
        )
        test_session, db.session = db.session, REAL_SESSION
        try:
            with other.app_context():
                flask_migrate.upgrade(revision="0017_birth_date")
                with db.engine.begin() as conn:
                    conn.execute(users.insert(), [
                        {"id": n, "email": f"u{n}@example.com", "password_hash": "x", "name": name, "role": role,
                         "timezone": "UTC", "is_enabled": True, "mfa_enabled": False, "created_at": t0}
                        for n, name, role in ((1, "Pat", "patient"), (2, "Dr A", "clinician"), (3, "Dr B", "clinician"))
                    ])  # fmt: skip
                    conn.execute(screens.insert(), [
                        {"id": 10 + n, "patient_id": 1, "instrument": "PHQ-9", "answers": "[]", "score": 9 + n,
                         "severity": "mild", "item9": 1, "entered_by": 1, "created_at": t0 + timedelta(hours=n)}
                        for n in range(3)
                    ])  # fmt: skip
                    again = (
                        f"{t0 + timedelta(hours=1):%Y-%m-%d %H:%M} UTC, {t0 + timedelta(hours=2):%Y-%m-%d %H:%M} UTC"
                    )
                    conn.execute(tasks.insert(), [
                        {"id": 1, "patient_id": 1, "owner_id": 2, "title": f"{SAFETY} · again {again}",
                         "urgent": True, "status": "open", "created_at": t0},
                        {"id": 2, "patient_id": 1, "owner_id": 2, "title": SAFETY, "urgent": True, "status": "open",
                         "created_at": t0 + timedelta(hours=1)},  # the race's second task for the same owner
                        {"id": 3, "patient_id": 1, "owner_id": 3, "title": SAFETY, "urgent": True, "status": "done",
                         "created_at": t0},
                        {"id": 4, "patient_id": 1, "owner_id": 3, "title": "Call pharmacy", "urgent": False,
                         "status": "open", "created_at": t0},
                    ])  # fmt: skip
                    conn.execute(trail.insert(), [{"action": "task.complete", "object_type": "task", "object_id": "3",
                                                   "actor_id": 3, "outcome": "ok",
                                                   "occurred_at": t0 + timedelta(days=1)}])  # fmt: skip
                flask_migrate.upgrade(revision="heads")
                with db.engine.connect() as conn:
                    kinds = conn.execute(text("SELECT id, kind, title FROM care_tasks ORDER BY id")).all()
                    rows = conn.execute(text("SELECT task_id, kind, assessment_id, score, actor_id FROM "
                                             "care_task_events ORDER BY task_id, at, id")).all()  # fmt: skip
                assert [tuple(k) for k in kinds] == [
                    (1, "safety", SAFETY), (2, None, SAFETY), (3, "safety", SAFETY), (4, None, "Call pharmacy")
                ]  # fmt: skip
                assert [tuple(r) for r in rows] == [
                    (1, "opened", 10, 9, 1),
                    (1, "repeat_positive_screen", 11, 10, 1),
                    (1, "repeat_positive_screen", 12, 11, 1),
                    (2, "opened", 11, 10, 1),  # the race's second task: opened by the same check-in as task 1's repeat
                    (3, "opened", 10, 9, 1),
                    (3, "done", None, None, 3),
                    (4, "opened", None, None, None),
                ]
                with db.engine.begin() as conn, pytest.raises(IntegrityError):
                    conn.execute(text("UPDATE care_tasks SET kind = 'safety' WHERE id = 2"))  # the index holds
                flask_migrate.downgrade(revision="0017_birth_date")
                with db.engine.connect() as conn:
                    titles = conn.execute(text("SELECT title FROM care_tasks ORDER BY id")).scalars().all()
                assert titles == [f"{SAFETY} · again {again}", SAFETY, SAFETY, "Call pharmacy"]
                flask_migrate.upgrade(revision="heads")
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

"""Settings come from the environment into one validated object; production refuses a dev secret."""

from __future__ import annotations

import pytest

from app import create_app
from app.settings import DEV_AUDIT_KEY, DEV_SECRET_KEY, Settings, SettingsError

PG = "postgresql://app@db.internal/clinic"


def test_defaults_are_the_demo_backends() -> None:
    s = Settings.load(environ={})
    assert (s.SMS_BACKEND, s.BILLING_BACKEND, s.VIDEO_PROVIDER) == ("console", "dummy", "jitsi")
    assert s.database_url("/inst").startswith("sqlite:////inst/")


def test_postgres_urls_get_the_psycopg_driver() -> None:
    assert Settings.load(environ={"DATABASE_URL": PG}).database_url("/x").startswith("postgresql+psycopg://")
    assert (
        Settings.load(environ={"DATABASE_URL": "postgres://a@b/c"})
        .database_url("/x")
        .startswith("postgresql+psycopg://")
    )


@pytest.mark.parametrize("secret", [None, DEV_SECRET_KEY, "short"])
def test_production_refuses_missing_or_development_secret(secret) -> None:
    env = {"DATABASE_URL": PG, "AUDIT_KEY": "a" * 48} | ({"SECRET_KEY": secret} if secret else {})
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        create_app(env)


@pytest.mark.parametrize("audit_key", [None, DEV_AUDIT_KEY, "short", "k" * 48])
def test_production_refuses_missing_development_or_reused_audit_key(audit_key) -> None:
    env = {"DATABASE_URL": PG, "SECRET_KEY": "k" * 48} | ({"AUDIT_KEY": audit_key} if audit_key else {})
    with pytest.raises(SettingsError, match="AUDIT_KEY"):
        create_app(env)


def test_production_starts_with_a_real_secret_and_runs_no_query() -> None:
    # The database host does not exist: create_app must not try to reach it.
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "k" * 48,
                      "AUDIT_KEY": "a" * 48})  # fmt: skip
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert app.config["AUDIT_KEY"] == "a" * 48


def test_debug_or_sqlite_may_use_the_development_secret() -> None:
    assert create_app({"DATABASE_URL": PG, "FLASK_DEBUG": "1"}).secret_key == DEV_SECRET_KEY
    assert create_app({"DATABASE_URL": "sqlite:///:memory:"}).secret_key == DEV_SECRET_KEY
    assert create_app({"DATABASE_URL": "sqlite:///:memory:"}).config["AUDIT_KEY"] == DEV_AUDIT_KEY


def test_migrations_run_as_the_owner_role_when_one_is_named() -> None:
    s = Settings.load(environ={"DATABASE_URL": PG, "MIGRATION_DATABASE_URL": "postgres://owner@db.internal/clinic"})
    assert s.migration_database_url("/x") == "postgresql+psycopg://owner@db.internal/clinic"
    assert Settings.load(environ={"DATABASE_URL": PG}).migration_database_url("/x") == s.database_url("/x")


def test_invalid_values_are_reported_by_name() -> None:
    with pytest.raises(SettingsError, match="SMS_BACKEND"):
        Settings.load(environ={"SMS_BACKEND": "pigeon"})
    with pytest.raises(SettingsError, match="SESSION_IDLE_MINUTES"):
        Settings.load(environ={"SESSION_IDLE_MINUTES": "0"})


def test_booleans_read_like_a_shell_user_writes_them() -> None:
    assert Settings.load(environ={"SCHEDULER_ENABLED": "off"}).SCHEDULER_ENABLED is False
    assert Settings.load(environ={"SCHEDULER_ENABLED": "1"}).SCHEDULER_ENABLED is True
    assert Settings.load(environ={}).SCHEDULER_ENABLED is None

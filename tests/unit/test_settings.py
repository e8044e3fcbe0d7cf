"""Settings come from the environment into one validated object; production refuses a dev secret."""

from __future__ import annotations

import pytest

from app import create_app
from app.settings import DEV_SECRET_KEY, Settings, SettingsError

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
    env = {"DATABASE_URL": PG} | ({"SECRET_KEY": secret} if secret else {})
    with pytest.raises(SettingsError, match="SECRET_KEY"):
        create_app(env)


def test_production_starts_with_a_real_secret_and_runs_no_query() -> None:
    # The database host does not exist: create_app must not try to reach it.
    app = create_app({"DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none", "SECRET_KEY": "k" * 48})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")


def test_debug_or_sqlite_may_use_the_development_secret() -> None:
    assert create_app({"DATABASE_URL": PG, "FLASK_DEBUG": "1"}).secret_key == DEV_SECRET_KEY
    assert create_app({"DATABASE_URL": "sqlite:///:memory:"}).secret_key == DEV_SECRET_KEY


def test_invalid_values_are_reported_by_name() -> None:
    with pytest.raises(SettingsError, match="SMS_BACKEND"):
        Settings.load(environ={"SMS_BACKEND": "pigeon"})
    with pytest.raises(SettingsError, match="SESSION_IDLE_MINUTES"):
        Settings.load(environ={"SESSION_IDLE_MINUTES": "0"})


def test_booleans_read_like_a_shell_user_writes_them() -> None:
    assert Settings.load(environ={"SCHEDULER_ENABLED": "off"}).SCHEDULER_ENABLED is False
    assert Settings.load(environ={"SCHEDULER_ENABLED": "1"}).SCHEDULER_ENABLED is True
    assert Settings.load(environ={}).SCHEDULER_ENABLED is None

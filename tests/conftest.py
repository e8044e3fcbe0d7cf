"""Shared test settings. Database fixtures live in tests/integration; pure unit tests need none."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from app import passwords

# Property tests check logic, not speed: no per-example deadline and no "too slow" health check, so a
# loaded CI machine cannot fail them (speed is measured by bench/, never by tests).
hypothesis_settings.register_profile(
    "project", deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
hypothesis_settings.load_profile("project")

# Thousands of accounts are made and signed in across the suite: argon2id at its smallest cost here
# (the running app always uses the RFC 9106 profile; subprocesses such as the drill's are unaffected).
passwords.use_test_cost()

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hmac-0123456789"
TEST_AUDIT_KEY = "test-audit-key-that-is-long-enough-for-hmac-01234567890"
PASSWORD = "correct horse battery staple"


def test_database_url(tmp_dir: str) -> str:
    """PostgreSQL when TEST_DATABASE_URL is set (the second pass of `make test`), else a SQLite file."""
    return os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + os.path.join(tmp_dir, "test.sqlite3")


test_database_url.__test__ = False  # type: ignore[attr-defined]


@contextmanager
def private_database(tmp_dir: str) -> Iterator[str]:
    """A database of this test run's own: on PostgreSQL a fresh database created next to
    TEST_DATABASE_URL's (so several runs on one server never drop each other's schema), dropped after."""
    url = test_database_url(tmp_dir)
    if not url.startswith("postgres"):
        yield url
        return
    import psycopg

    base, _, _ = url.rpartition("/")
    name = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


private_database.__test__ = False  # type: ignore[attr-defined]

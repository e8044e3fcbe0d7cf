"""Shared test settings. Database fixtures live in tests/integration; pure unit tests need none."""

from __future__ import annotations

import os

TEST_SECRET = "test-secret-key-that-is-long-enough-for-hmac-0123456789"
PASSWORD = "correct horse battery staple"


def test_database_url(tmp_dir: str) -> str:
    """PostgreSQL when TEST_DATABASE_URL is set (the second pass of `make test`), else a SQLite file."""
    return os.environ.get("TEST_DATABASE_URL") or "sqlite:///" + os.path.join(tmp_dir, "test.sqlite3")


test_database_url.__test__ = False  # type: ignore[attr-defined]

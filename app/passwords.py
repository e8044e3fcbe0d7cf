"""argon2id password hashing (argon2-cffi's RFC 9106 low-memory profile by default)."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

# Off in every running app: argon2-cffi's defaults (RFC 9106, low memory). The test suite alone
# lowers the cost through ``use_test_cost`` — it creates over a thousand accounts, and the cost of a
# hash is a production property, not something a test checks.
_test_cost = False


@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    if _test_cost:
        return PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
    return PasswordHasher()


def use_test_cost() -> None:
    """For the test suite only: argon2id still, at the smallest cost."""
    global _test_cost
    _test_cost = True
    _hasher.cache_clear()
    _decoy_hash.cache_clear()


@lru_cache(maxsize=1)
def _decoy_hash() -> str:
    return _hasher().hash("decoy password that matches nothing")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """Check a password; with no account, still spend the time of a check so timing reveals nothing."""
    try:
        return _hasher().verify(stored_hash or _decoy_hash(), password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    return _hasher().check_needs_rehash(stored_hash)

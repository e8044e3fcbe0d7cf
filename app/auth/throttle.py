"""Throttles against guessing: 10 failures per account and per client address within 15 minutes
(``LOGIN_FAILURE_LIMIT``), counted in one store that every worker shares (``throttle_store``).

One account's bucket takes its wrong passwords on ``/login`` and ``/api/v1/auth/token`` and its wrong
codes on ``/login/verify`` and the token API together; the address bucket takes all of them from one IP.
An address that is not an account gets a bucket of its own (keyed by its hash), so a 429 never tells
whether an account exists. Sign-up's ``409 email_taken`` is counted the same way, per address and per IP,
so it cannot be used to list accounts in bulk. Only attempts that failed are counted; once a bucket is
full every attempt under it is refused, right ones too, until its window ends.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps
from typing import Any

from flask import current_app, request
from flask_login import current_user
from limits import parse
from werkzeug.exceptions import HTTPException, TooManyRequests

from app.accounts.service import find_by_email
from app.auth.throttle_store import CounterStore, DatabaseCounters, RedisCounters
from app.db import utcnow
from app.errors import DomainError, MfaRequired
from app.extensions import client_ip


@dataclass(frozen=True)
class Limit:
    amount: int
    window: timedelta


def _limit(setting: str = "LOGIN_FAILURE_LIMIT") -> Limit:
    item = parse(current_app.config[setting])
    return Limit(item.amount, timedelta(seconds=item.get_expiry()))


def _store() -> CounterStore:
    store = current_app.extensions.get("auth_throttle")
    if store is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
        if uri.startswith(("redis://", "rediss://")):
            store = RedisCounters(uri, current_app.config.get("RATELIMIT_KEY_PREFIX", ""))
        else:
            store = DatabaseCounters()
        current_app.extensions["auth_throttle"] = store
    return store


def _hashed(value: str) -> str:
    # Keys land in Redis or a table: hash them so the store holds no addresses.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def _posted_email() -> str:
    email = request.form.get("email")
    if email is None and request.is_json:
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except (ValueError, RecursionError):
            body = None
        email = body.get("email") if isinstance(body, dict) else None
    return email if isinstance(email, str) else ""


def _account_key(email: str) -> str:
    user = find_by_email(email) if 0 < len(email) <= 254 else None
    return f"user:{user.id}" if user is not None else f"email:{_hashed(email)}"


def _guard(
    keys: Callable[[], Iterable[str]],
    failed: Callable[[int, str | None], bool],
    setting: str = "LOGIN_FAILURE_LIMIT",
) -> Callable:
    """Refuse with 429 while any of ``keys`` is full; count the attempt under every key when it failed."""

    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args: Any, **kwargs: Any) -> Any:
            if request.method != "POST" or not current_app.config.get("RATELIMIT_ENABLED", True):
                return view(*args, **kwargs)
            store, limit, now = _store(), _limit(setting), utcnow()
            names = [key for key in keys() if key]
            if any(store.hits(key, now) >= limit.amount for key in names):
                raise TooManyRequests(retry_after=int(limit.window.total_seconds()))
            try:
                result = view(*args, **kwargs)
            except DomainError as exc:
                if failed(exc.status, exc.code):
                    _count(store, names, limit)
                raise
            except HTTPException as exc:
                if failed(exc.code or 500, None):
                    _count(store, names, limit)
                raise
            if failed(_status_of(result), None):
                _count(store, names, limit)
            return result

        return guarded

    return decorate


def _count(store: CounterStore, names: list[str], limit: Limit) -> None:
    now = utcnow()
    for key in names:
        store.add(key, limit.window, now)


def _status_of(result: Any) -> int:
    if isinstance(result, tuple) and len(result) > 1 and isinstance(result[1], int):
        return result[1]
    return getattr(result, "status_code", 200)


def _login_failed(status: int, code: str | None) -> bool:
    # "mfa_required" without a code is the token API asking for the second factor after a right password.
    return status == 401 and not (code == MfaRequired.code and not _posted_otp())


def _posted_otp() -> bool:
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except (ValueError, RecursionError):
        return False
    return isinstance(body, dict) and bool(body.get("otp"))


def login_throttled(view: Callable) -> Callable:
    """Password sign-in (page and token API): per account and per address."""
    return _guard(lambda: (_account_key(_posted_email()), "ip:" + client_ip()), _login_failed)(view)


def second_factor_throttled(view: Callable) -> Callable:
    """The two-factor step of a session that owes it: per user (the session's, never a form field) and
    per address, in the same buckets as that account's passwords."""
    return _guard(lambda: (f"user:{current_user.id}", "ip:" + client_ip()), _login_failed)(view)


def signup_throttled(view: Callable) -> Callable:
    """Sign-up (page and API): ``409 email_taken`` answers per address and per IP."""

    def keys() -> tuple[str, str]:
        return "signup-email:" + _hashed(_posted_email()), "signup-ip:" + client_ip()

    return _guard(keys, lambda status, code: status == 409)(view)


def reset_request_throttled(view: Callable) -> Callable:
    """The "forgot password" form sends mail: every request counts, per address asked for and per IP, in the
    shared store (``PASSWORD_RESET_LIMIT``), so several workers cannot multiply the allowance."""

    def keys() -> tuple[str, str]:
        return "reset-email:" + _hashed(_posted_email()), "reset-ip:" + client_ip()

    return _guard(keys, lambda status, code: True, "PASSWORD_RESET_LIMIT")(view)

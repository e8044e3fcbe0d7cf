"""The throttle guard: refuse with 429 while any key's bucket is full, count an attempt under every key
when it failed. The limits (``LOGIN_FAILURE_LIMIT``, ``PASSWORD_RESET_LIMIT``) are counted in one store
that every worker shares (``app.throttle.store``). Only attempts that failed are counted; once a bucket is
full every attempt under it is refused, right ones too, until its window ends.

Which keys and which failures count is the caller's policy: sign-in's in ``app.auth.throttle``, sign-up's
in ``app.accounts.throttle``.
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
from limits import parse
from werkzeug.exceptions import HTTPException, TooManyRequests

from app.db import utcnow
from app.errors import DomainError
from app.throttle.store import CounterStore, DatabaseCounters, RedisCounters

View = Callable[..., Any]


@dataclass(frozen=True)
class Limit:
    amount: int
    window: timedelta


def _limit(setting: str = "LOGIN_FAILURE_LIMIT") -> Limit:
    item = parse(current_app.config[setting])
    return Limit(item.amount, timedelta(seconds=item.get_expiry()))


def _store() -> CounterStore:
    store: CounterStore | None = current_app.extensions.get("auth_throttle")
    if store is None:
        uri = current_app.config.get("RATELIMIT_STORAGE_URI") or ""
        if uri.startswith(("redis://", "rediss://")):
            store = RedisCounters(uri, current_app.config.get("RATELIMIT_KEY_PREFIX", ""))
        else:
            store = DatabaseCounters()
        current_app.extensions["auth_throttle"] = store
    return store


def hashed(value: str) -> str:
    # Keys land in Redis or a table: hash them so the store holds no addresses.
    return hashlib.sha256(value.strip().lower().encode()).hexdigest()


def posted_email() -> str:
    """The ``email`` of the posted form or JSON body; empty when there is none."""
    email = request.form.get("email")
    if email is None and request.is_json:
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
        except (ValueError, RecursionError):
            body = None
        email = body.get("email") if isinstance(body, dict) else None
    return email if isinstance(email, str) else ""


def guard(
    keys: Callable[[], Iterable[str]],
    failed: Callable[[int, str | None], bool],
    setting: str = "LOGIN_FAILURE_LIMIT",
) -> Callable[[View], View]:
    """Refuse with 429 while any of ``keys`` is full; count the attempt under every key when it failed
    (``failed(status, error_code)``). Only POST requests are guarded."""

    def decorate(view: View) -> View:
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
    return int(getattr(result, "status_code", 200))

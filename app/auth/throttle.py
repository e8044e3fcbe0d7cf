"""Login throttling: 10 failed attempts per e-mail and per client address within 15 minutes.

Flask-Limiter counts only failed attempts (``deduct_when`` a 401), in Redis when ``REDIS_URL`` is set
so every web instance shares the count, in memory otherwise.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from flask import current_app, request

from app.extensions import client_ip, limiter


def _attempted_email() -> str:
    email = request.form.get("email")
    if email is None:
        try:
            body = json.loads(request.get_data(cache=True) or b"{}")
            email = body.get("email") if isinstance(body, dict) else None
        except (ValueError, RecursionError):
            email = None
    normalised = email.strip().lower() if isinstance(email, str) else ""
    # Keys land in Redis: hash them so the store holds no addresses.
    return "email:" + hashlib.sha256(normalised.encode()).hexdigest()


def _failure_limit() -> str:
    return current_app.config["LOGIN_FAILURE_LIMIT"]


def _failed(response) -> bool:
    return response.status_code == 401


def login_throttled(view: Callable) -> Callable:
    """Apply both login limits (per e-mail and per address) to a view."""
    by_email = limiter.limit(_failure_limit, key_func=_attempted_email, deduct_when=_failed, scope="login-email",
                             methods=["POST"])  # fmt: skip
    by_ip = limiter.limit(_failure_limit, key_func=client_ip, deduct_when=_failed, scope="login-ip",
                          methods=["POST"])  # fmt: skip
    return by_ip(by_email(view))

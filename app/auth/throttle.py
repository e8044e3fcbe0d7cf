"""Throttles against guessing: 10 failures per account and per client address within 15 minutes
(``LOGIN_FAILURE_LIMIT``), counted in one store that every worker shares (``app.throttle``).

One account's bucket takes its wrong passwords on ``/login`` and ``/api/v1/auth/token`` and its wrong
codes on ``/login/verify`` and the token API together; the address bucket takes all of them from one IP.
An address that is not an account gets a bucket of its own (keyed by its hash), so a 429 never tells
whether an account exists. Sign-up's ``409 email_taken`` is counted per address and per IP as well
(``app.accounts.throttle``). Only attempts that failed are counted; once a bucket is full every attempt
under it is refused, right ones too, until its window ends.
"""

from __future__ import annotations

import json

from flask import request
from flask_login import current_user

from app.accounts.service import find_by_email
from app.errors import MfaRequired
from app.extensions import client_ip
from app.throttle.guard import View, guard, hashed, posted_email


def _account_key(email: str) -> str:
    user = find_by_email(email) if 0 < len(email) <= 254 else None
    return f"user:{user.id}" if user is not None else f"email:{hashed(email)}"


def _login_failed(status: int, code: str | None) -> bool:
    # "mfa_required" without a code is the token API asking for the second factor after a right password.
    return status == 401 and not (code == MfaRequired.code and not _posted_otp())


def _posted_otp() -> bool:
    try:
        body = json.loads(request.get_data(cache=True) or b"{}")
    except (ValueError, RecursionError):
        return False
    return isinstance(body, dict) and bool(body.get("otp"))


def login_throttled(view: View) -> View:
    """Password sign-in (page and token API): per account and per address."""
    return guard(lambda: (_account_key(posted_email()), "ip:" + client_ip()), _login_failed)(view)


def second_factor_throttled(view: View) -> View:
    """The two-factor step of a session that owes it: per user (the session's, never a form field) and
    per address, in the same buckets as that account's passwords."""
    return guard(lambda: (f"user:{current_user.id}", "ip:" + client_ip()), _login_failed)(view)


def reset_request_throttled(view: View) -> View:
    """The "forgot password" form sends mail: every request counts, per address asked for and per IP, in the
    shared store (``PASSWORD_RESET_LIMIT``), so several workers cannot multiply the allowance."""

    def keys() -> tuple[str, str]:
        return "reset-email:" + hashed(posted_email()), "reset-ip:" + client_ip()

    return guard(keys, lambda status, code: True, "PASSWORD_RESET_LIMIT")(view)

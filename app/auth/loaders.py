"""Flask-Login wiring: the session cookie names a server-side session; API clients send a bearer token."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, current_app, g, request
from flask_login import current_user

from app import access
from app.accounts.user import User
from app.auth import service
from app.extensions import login_manager


def session_policy() -> service.SessionPolicy:
    return service.SessionPolicy(
        idle=timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]),
        absolute=timedelta(hours=current_app.config["SESSION_ABSOLUTE_HOURS"]),
    )


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


# Besides the two-factor pages (access rule MFA_STEP), the one thing a session that still owes the
# second factor may do.
HALF_SIGNED_IN_MAY = frozenset({"auth.logout"})


def half_signed_in_only_on_its_steps(user: User | None) -> User | None:
    """A session that still owes the second factor is its user only on the two-factor pages and sign-out.
    Everywhere else, public pages included, it is not signed in: it cannot act as the account (save an
    intake, change a setting) on the strength of a password alone. ``g.mfa_owed_by`` lets the access check
    send it to the two-factor step instead of the login page."""
    if user is None or not user.mfa_pending:
        return user
    view = current_app.view_functions.get(request.endpoint or "")
    if getattr(view, "access_rule", None) == access.MFA_STEP or request.endpoint in HALF_SIGNED_IN_MAY:
        return user
    g.mfa_owed_by = user
    return None


_NO_BEARER = object()


def bearer_user() -> User | None:
    """The user of this request's valid bearer token (None without one, or for a bad one), looked up once."""
    found = g.get("_bearer_user", _NO_BEARER)
    if found is _NO_BEARER:
        raw = bearer_token(request)
        found = service.load_token(raw) if raw else None
        g._bearer_user = found
    return found  # type: ignore[no-any-return]


def authenticated_by_bearer() -> bool:
    """This request's user is the one a valid bearer token names (not a cookie session). Only such a
    request is exempt from CSRF: an ``Authorization`` header alone proves nothing."""
    return bool(current_user.is_authenticated) and g.get("authenticated_by") == "bearer"


def install_loaders(app: Flask) -> None:
    login_manager.session_protection = None  # sessions are checked server-side instead
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    # A valid bearer token names the request's user even when a session cookie came along (a client
    # that holds both): the token is what the caller chose to present. A bad token is ignored, so a
    # cookie session with a junk header is still a cookie session, and CSRF applies to it.
    @login_manager.user_loader
    def _load_session(session_id: str):
        if (user := bearer_user()) is not None:
            g.authenticated_by = "bearer"
            return user
        user = half_signed_in_only_on_its_steps(service.load_session(session_id, session_policy()))
        if user is not None:
            g.authenticated_by = "session"
        return user

    @login_manager.request_loader
    def _load_bearer(_request: Request):
        if (user := bearer_user()) is not None:
            g.authenticated_by = "bearer"
        return user

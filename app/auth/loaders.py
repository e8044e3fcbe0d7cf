"""Flask-Login wiring: the session cookie names a server-side session; API clients send a bearer token."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Request, current_app

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


def install_loaders(app: Flask) -> None:
    login_manager.session_protection = None  # sessions are checked server-side instead
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please sign in to continue."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def _load_session(session_id: str):
        return service.load_session(session_id, session_policy())

    @login_manager.request_loader
    def _load_bearer(request: Request):
        raw = bearer_token(request)
        return service.load_token(raw) if raw else None

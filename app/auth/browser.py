"""Starting a browser login: shared by the login page and sign-up."""

from __future__ import annotations

from flask import request, session
from flask_login import login_user

from app.accounts.user import User
from app.auth import service
from app.extensions import client_ip


def sign_in(user: User) -> None:
    """A fresh cookie bound to a new server-side session (no fixation of a pre-login cookie)."""
    session.clear()
    user.login_session_id = service.start_session(user, ip=client_ip(), user_agent=request.headers.get("User-Agent"))
    login_user(user)
    session.permanent = True


def complete_mfa(user: User) -> None:
    """New session id after the second factor, as after the password."""
    old = user.login_session_id
    session.clear()
    service.rotate_after_mfa(old, user, ip=client_ip(), user_agent=request.headers.get("User-Agent"))
    login_user(user)
    session.permanent = True

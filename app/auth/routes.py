"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, logout_user

from app import access
from app.auth import service
from app.auth.browser import sign_in
from app.auth.throttle import login_throttled
from app.web.pages import page

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing gift.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.dashboard")


@page(bp, "/login", access_rule=access.PUBLIC, methods=["GET", "POST"])
@login_throttled
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(url_for("web.dashboard"))
        return render_template("auth/login.html", email="", error=None)
    email = request.form.get("email", "")
    try:
        user = service.authenticate(email, request.form.get("password", ""))
    except service.InvalidCredentials as exc:
        return render_template("auth/login.html", email=email, error=exc.message), 401
    sign_in(user)
    return redirect(_safe_next(request.args.get("next")))


@page(bp, "/logout", access_rule=access.PUBLIC, methods=["POST"])
def logout():
    if current_user.is_authenticated:
        service.end_session(current_user.login_session_id, actor=current_user)
        logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))

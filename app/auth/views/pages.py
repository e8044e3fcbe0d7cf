"""Sign-in and sign-out pages."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user
from pydantic import BaseModel, ValidationError

from app import access
from app.auth import recovery, service
from app.auth.browser import sign_in
from app.auth.throttle import login_throttled, reset_request_throttled
from app.pagekit.forms import plain_errors
from app.pagekit.pages import page
from app.validation import Password

bp = Blueprint("auth", __name__)


class NewPassword(BaseModel):
    password: Password


def safe_next(target: str | None) -> str:
    # Only same-site paths: an open redirect after login is a phishing gift.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("web.dashboard")


@page(bp, "/login", access_rule=access.PUBLIC, methods=["GET", "POST"])
@login_throttled
def login() -> ResponseReturnValue:
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
    if user.must_use_mfa:
        step = "auth.mfa_verify" if user.mfa_enabled else "auth.mfa_setup"
        return redirect(url_for(step, next=request.args.get("next")))
    return redirect(safe_next(request.args.get("next")))


@page(bp, "/logout", access_rule=access.PUBLIC, methods=["POST"])
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        # The cookie's own server-side session, even when a bearer token named the request's user.
        service.end_session(session.get("_user_id") or current_user.login_session_id, actor=current_user)
        logout_user()
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("auth.login"))


@page(bp, "/password/forgot", access_rule=access.PUBLIC, methods=["GET", "POST"])
@reset_request_throttled
def forgot_password() -> ResponseReturnValue:
    if request.method == "GET":
        return render_template("auth/forgot.html", sent=False)
    recovery.request_reset(request.form.get("email", "").strip(), link_base=current_app.config["PUBLIC_BASE_URL"])
    return render_template("auth/forgot.html", sent=True)


@page(bp, "/password/reset/<token>", access_rule=access.PUBLIC, methods=["GET", "POST"])
def reset_password(token: str) -> ResponseReturnValue:
    if recovery.valid_token(token) is None:
        return render_template("auth/reset.html", invalid=True, errors={}), 400
    if request.method == "GET":
        return render_template("auth/reset.html", invalid=False, errors={})
    try:
        form = NewPassword.model_validate({"password": request.form.get("password", "")})
        recovery.reset_password(token, form.password)
    except ValidationError as exc:
        return render_template("auth/reset.html", invalid=False, errors=plain_errors(exc, ("password",))), 422
    logout_user()
    session.clear()
    flash("Your password was changed and you were signed out everywhere. Sign in with the new password.", "success")
    return redirect(url_for("auth.login"))


@page(bp, "/account", access_rule=access.ANY_USER)
def account() -> ResponseReturnValue:
    return render_template("auth/account.html")


@page(bp, "/account/sign-out-everywhere", access_rule=access.ANY_USER, methods=["POST"])
def sign_out_everywhere() -> ResponseReturnValue:
    service.end_all_sessions(current_user, actor=current_user)
    logout_user()
    session.clear()
    flash("You were signed out on every device.", "info")
    return redirect(url_for("auth.login"))

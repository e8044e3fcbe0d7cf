"""The invitee's page: a staff invitation's single-use link (``/invitations/<token>``). They choose a
password (the same rules as everywhere), the account is made and signed in, and two-factor enrolment
(``auth.mfa_setup``) follows at once: staff cannot go further without it. A used, withdrawn, expired or
unknown link gets a page saying so in plain words, never an error trace."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, logout_user
from pydantic import BaseModel, ValidationError

from app import access
from app.accounts import invitations
from app.accounts.service import EmailTaken
from app.auth import service
from app.auth.browser import sign_in
from app.auth.views.pages import bp
from app.pagekit.pages import page
from app.validation import Password, validation_fields

ROLE_TITLES = {"clinician": "clinician", "billing_admin": "billing administrator", "admin": "administrator"}


class ChosenPassword(BaseModel):
    password: Password


def password_problem(reason: str) -> str:
    """A password rule broken, in plain words (not the validator's)."""
    if "common" in reason:
        return "This password is too common or too easy to guess. A short sentence works well."
    if "at most" in reason:
        return "Use at most 128 characters."
    return "Use at least 12 characters. A short sentence works well."


def _unusable(message: str, status: int) -> ResponseReturnValue:
    return render_template("auth/invitation.html", invitation=None, problem=message, errors={}), status


@page(bp, "/invitations/<token>", access_rule=access.PUBLIC, methods=["GET", "POST"])
def accept_invitation(token: str) -> ResponseReturnValue:
    try:
        invitation = invitations.find(token)
    except invitations.InvitationNotFound as exc:
        return _unusable(exc.message, 404)
    except invitations.InvitationUnusable as exc:
        return _unusable(exc.message, 410)
    role = ROLE_TITLES.get(invitation.role, invitation.role)
    if request.method == "GET":
        return render_template("auth/invitation.html", invitation=invitation, role=role, problem=None, errors={})
    try:
        chosen = ChosenPassword.model_validate({"password": request.form.get("password", "")})
    except ValidationError as exc:
        errors = {"password": password_problem(validation_fields(exc).get("password", ""))}
        return render_template("auth/invitation.html", invitation=invitation, role=role, problem=None,
                               errors=errors), 422  # fmt: skip
    try:
        user = invitations.accept(token, chosen.password)
    except invitations.InvitationUnusable as exc:  # used or withdrawn while the form was open
        return _unusable(exc.message, 410)
    except invitations.InvitationNotFound as exc:
        return _unusable(exc.message, 404)
    except EmailTaken:
        return _unusable("An account with this e-mail address already exists. Sign in instead.", 409)
    if current_user.is_authenticated:  # someone else was signed in in this browser: their session ends
        service.end_session(session.get("_user_id"), actor=current_user)
        logout_user()
    sign_in(user)
    flash(f"Welcome, {user.name}. Your password is set. Now set up two-factor sign-in.", "success")
    return redirect(url_for("auth.mfa_setup", next=url_for("web.dashboard")))

"""Patient sign-up page."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from pydantic import ValidationError

from app import access
from app.accounts import service
from app.accounts.roles import COMMON_US_TIMEZONES, US_STATES
from app.accounts.schemas import PatientSignup
from app.api.endpoint import validation_fields
from app.auth.browser import sign_in
from app.web.pages import form_errors, page

bp = Blueprint("accounts", __name__)

FIELDS = ("name", "email", "password", "state", "timezone", "phone")


def _render(values: dict, errors: dict[str, str], status: int = 200):
    return (
        render_template(
            "accounts/signup.html",
            values=values,
            errors=errors,
            states=US_STATES,
            timezones=COMMON_US_TIMEZONES,
            consent_text=service.SMS_CONSENT_TEXT,
        ),
        status,
    )


@page(bp, "/signup", access_rule=access.PUBLIC, methods=["GET", "POST"])
def signup():
    if request.method == "GET":
        return _render({"timezone": "America/New_York"}, {})
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    values["password"] = request.form.get("password", "")
    values["sms_opt_in"] = request.form.get("sms_opt_in") == "yes"
    data = {k: v for k, v in values.items() if v not in ("", None)}
    data["sms_opt_in"] = values["sms_opt_in"]
    try:
        signup_data = PatientSignup.model_validate(data)
        user = service.register_patient(signup_data, source="web_signup")
    except ValidationError as exc:
        values.pop("password")
        return _render(values, form_errors(validation_fields(exc)), 422)
    except service.EmailTaken as exc:
        values.pop("password")
        return _render(values, {"email": exc.message}, 409)
    sign_in(user)
    flash(f"Welcome, {user.name}. Your account is ready.", "success")
    return redirect(url_for("web.dashboard"))

"""Patient sign-up in the browser, signed in right after: a use case above accounts (the account) and auth
(the session). The page keeps its place on the accounts blueprint (``accounts.signup``, ``/signup``)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from pydantic import ValidationError

from app import access
from app.accounts import service
from app.accounts.schemas import PatientSignup
from app.accounts.throttle import signup_throttled
from app.accounts.views.pages import STEPS, bp, plain_birth_date
from app.auth.browser import sign_in
from app.pagekit.forms import plain_errors
from app.pagekit.pages import page
from app.reference.roles import COMMON_US_TIMEZONES, US_STATES

# Only what is needed to match a patient with a clinician licensed where they are.
FIELDS = ("name", "email", "password", "state", "timezone", "date_of_birth")
MISSING = {
    "name": "Enter your name.",
    "email": "Enter your e-mail address.",
    "password": "Choose a password of at least 12 characters.",
    "state": "Choose the state you are in during visits.",
    "timezone": "Choose your time zone.",
}


def _render(values: dict[str, str], errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    return (
        render_template(
            "accounts/signup.html",
            values=values,
            errors=errors,
            states=US_STATES,
            timezones=COMMON_US_TIMEZONES,
            steps=STEPS,
            step=1,
        ),
        status,
    )


@page(bp, "/signup", access_rule=access.PUBLIC, methods=["GET", "POST"])
@signup_throttled
def signup() -> ResponseReturnValue:
    if request.method == "GET":
        return _render({"timezone": "America/New_York"}, {})
    values = {name: request.form.get(name, "").strip() for name in FIELDS}
    values["password"] = request.form.get("password", "")
    data = {k: v for k, v in values.items() if v}
    try:
        signup_data = PatientSignup.model_validate(data)
        user = service.register_patient(signup_data, source="web_signup")
    except ValidationError as exc:
        values.pop("password")
        return _render(values, plain_birth_date(plain_errors(exc, FIELDS, missing=MISSING)), 422)
    except service.EmailTaken as exc:
        values.pop("password")
        return _render(values, {"email": exc.message}, 409)
    sign_in(user)
    flash(f"Welcome, {user.name}. Your account is ready.", "success")
    return redirect(url_for("accounts.onboarding_mobile"))

"""Patient onboarding: the account itself (step 1, ``/signup``: auth's page, as it signs the new patient in,
in ``app/auth/views/signup_pages.py``), then a mobile number (step 2) and consent to texts (step 3) as
separate optional steps (step 3 is notifications' page, ``app/notifications/views/settings_pages.py``), then the
"Which care fits me?" intake."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import TypeAdapter, ValidationError
from werkzeug.wrappers import Response

from app import access
from app.accounts import service
from app.pagekit.pages import page
from app.reference.roles import Role
from app.validation import PhoneNumber, format_phone

bp = Blueprint("accounts", __name__)
PATIENT = access.roles(Role.PATIENT)

STEPS = ("Your account", "Mobile number", "Text reminders")


def to_intake() -> Response:
    flash(
        "Next: a few questions to see which care fits you. You can skip them and go to your dashboard at any time.",
        "info",
    )
    return redirect(url_for("intake.care_finder"))


@page(bp, "/welcome/mobile", access_rule=PATIENT, methods=["GET", "POST"])
def onboarding_mobile() -> ResponseReturnValue:
    profile = current_user.patient
    errors: dict[str, str] = {}
    value = profile.phone and format_phone(profile.phone)
    if request.method == "POST":
        value = request.form.get("phone", "").strip()
        try:
            phone = TypeAdapter(PhoneNumber).validate_python(value)
        except ValidationError:
            errors["phone"] = "Enter a US mobile number, e.g. (212) 555-0142, or skip this step."
        else:
            try:
                service.save_mobile(current_user, phone)
            except service.ConsentedNumber as exc:
                errors["phone"] = exc.message
            else:
                return redirect(url_for("notifications.onboarding_texts"))
    return render_template(
        "accounts/onboarding_mobile.html", steps=STEPS, step=2, errors=errors, value=value or "", profile=profile
    ), (422 if errors else 200)


@page(bp, "/welcome/done", access_rule=PATIENT)
def onboarding_done() -> ResponseReturnValue:
    """Where "Skip" leads from either optional step: on to the intake."""
    return to_intake()

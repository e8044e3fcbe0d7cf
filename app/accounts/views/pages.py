"""Patient onboarding: the account itself (step 1, ``/signup``: auth's page, as it signs the new patient in,
in ``app/auth/views/signup_pages.py``), then a mobile number (step 2) and consent to texts (step 3) as
separate optional steps (step 3 is notifications' page, ``app/notifications/views/settings_pages.py``), then the
"Which care fits me?" intake."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import TypeAdapter, ValidationError
from werkzeug.wrappers import Response

from app import access
from app.accounts import service
from app.accounts.schemas import BirthDateIn
from app.pagekit.forms import plain_errors
from app.pagekit.pages import page
from app.reference.roles import Role
from app.validation import PhoneNumber, format_phone

bp = Blueprint("accounts", __name__)
PATIENT = access.roles(Role.PATIENT)

STEPS = ("Your account", "Mobile number", "Text reminders")


def birth_date_problem(reason: str) -> str:
    """A date-of-birth message in plain words, from the form's plain message (``pagekit.forms``)."""
    if "future" in reason:
        return "A date of birth cannot be in the future."
    if "1900" in reason:
        return "Enter a date of birth in 1900 or later."
    return "Enter your date of birth as year-month-day, for example 1985-04-23."


def plain_birth_date(errors: dict[str, str]) -> dict[str, str]:
    """Form errors (already in plain words) with the date-of-birth message said for a birth date."""
    if "date_of_birth" in errors:
        errors["date_of_birth"] = birth_date_problem(errors["date_of_birth"])
    return errors


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


@page(bp, "/account/date-of-birth", access_rule=PATIENT, methods=["GET", "POST"])
def date_of_birth() -> ResponseReturnValue:
    """The patient adds or corrects their date of birth (needed before a psychiatric evaluation)."""
    profile = current_user.patient
    value = profile.date_of_birth.isoformat() if profile.date_of_birth else ""
    errors: dict[str, str] = {}
    if request.method == "POST":
        value = request.form.get("date_of_birth", "").strip()[:40]
        try:
            data = BirthDateIn.model_validate({"date_of_birth": value})
        except ValidationError as exc:
            errors = plain_birth_date(plain_errors(exc, ("date_of_birth",)))
        else:
            service.save_date_of_birth(current_user, data.date_of_birth)
            flash("Your date of birth is saved.", "success")
            return redirect(_same_site(request.form.get("next")) or url_for("auth.account"))
    return render_template(
        "accounts/date_of_birth.html", errors=errors, value=value, next=_same_site(request.values.get("next"))
    ), (422 if errors else 200)


def _same_site(target: str | None) -> str | None:
    # Only same-site paths: an open redirect is a phishing gift.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return None

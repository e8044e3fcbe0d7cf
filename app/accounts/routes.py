"""Patient onboarding: the account itself (step 1), then a mobile number (step 2) and consent to
texts (step 3) as separate optional steps, then the "Which care fits me?" intake."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import TypeAdapter, ValidationError

from app import access
from app.accounts import service
from app.accounts.schemas import BirthDateIn, PatientSignup
from app.auth.browser import sign_in
from app.auth.throttle import signup_throttled
from app.notifications import preferences
from app.reference.roles import COMMON_US_TIMEZONES, US_STATES, Role
from app.validation import PhoneNumber, format_phone, validation_fields
from app.web.pages import form_errors, page

bp = Blueprint("accounts", __name__)
PATIENT = access.roles(Role.PATIENT)

# Only what is needed to match a patient with a clinician licensed where they are.
FIELDS = ("name", "email", "password", "state", "timezone", "date_of_birth")
STEPS = ("Your account", "Mobile number", "Text reminders")
CONSENT_SOURCE = "web_onboarding"


def birth_date_problem(reason: str) -> str:
    """A date-of-birth validation message in plain words, for the pages."""
    if "future" in reason:
        return "A date of birth cannot be in the future."
    if "1900" in reason:
        return "Enter a date of birth in 1900 or later."
    return "Enter your date of birth as year-month-day, for example 1985-04-23."


def _plain(errors: dict[str, str]) -> dict[str, str]:
    if "date_of_birth" in errors:
        errors["date_of_birth"] = birth_date_problem(errors["date_of_birth"])
    return errors


def _render(values: dict, errors: dict[str, str], status: int = 200):
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
def signup():
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
        return _render(values, _plain(form_errors(validation_fields(exc))), 422)
    except service.EmailTaken as exc:
        values.pop("password")
        return _render(values, {"email": exc.message}, 409)
    sign_in(user)
    flash(f"Welcome, {user.name}. Your account is ready.", "success")
    return redirect(url_for("accounts.onboarding_mobile"))


def _to_intake():
    flash(
        "Next: a few questions to see which care fits you. You can skip them and go to your dashboard at any time.",
        "info",
    )
    return redirect(url_for("intake.care_finder"))


@page(bp, "/welcome/mobile", access_rule=PATIENT, methods=["GET", "POST"])
def onboarding_mobile():
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
                return redirect(url_for("accounts.onboarding_texts"))
    return render_template(
        "accounts/onboarding_mobile.html", steps=STEPS, step=2, errors=errors, value=value or "", profile=profile
    ), (422 if errors else 200)


@page(bp, "/welcome/texts", access_rule=PATIENT, methods=["GET", "POST"])
def onboarding_texts():
    profile = current_user.patient
    if not profile.phone:  # consent belongs to a number: ask for one first
        return redirect(url_for("accounts.onboarding_mobile"))
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("consent") != "yes":
            errors["consent"] = "Tick the box to agree to texts, or choose “Skip, no texts”."
        else:
            preferences.opt_in(current_user, profile.phone, source=CONSENT_SOURCE)
            if preferences.number_replied_stop(profile.phone):
                flash(preferences.STOPPED_NOTICE, "info")
            else:
                flash("Text reminders are on. Reply STOP to any text to end them.", "success")
            return _to_intake()
    return render_template(
        "accounts/onboarding_texts.html",
        steps=STEPS,
        step=3,
        errors=errors,
        profile=profile,
        phone=format_phone(profile.phone),
        consent_text=service.SMS_CONSENT_TEXT,
    ), (422 if errors else 200)


@page(bp, "/welcome/done", access_rule=PATIENT)
def onboarding_done():
    """Where "Skip" leads from either optional step: on to the intake."""
    return _to_intake()


@page(bp, "/account/date-of-birth", access_rule=PATIENT, methods=["GET", "POST"])
def date_of_birth():
    """The patient adds or corrects their date of birth (needed before a psychiatric evaluation)."""
    profile = current_user.patient
    value = profile.date_of_birth.isoformat() if profile.date_of_birth else ""
    errors: dict[str, str] = {}
    if request.method == "POST":
        value = request.form.get("date_of_birth", "").strip()[:40]
        try:
            data = BirthDateIn.model_validate({"date_of_birth": value})
        except ValidationError as exc:
            errors = _plain(form_errors(validation_fields(exc)))
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

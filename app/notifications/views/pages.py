"""The outbox page (staff; in demo mode this is where texts "arrive") and the patient's text settings."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import TypeAdapter, ValidationError

from app import access
from app.accounts.service import SMS_CONSENT_TEXT
from app.db import utcnow
from app.notifications import preferences
from app.notifications.texts_list import texts_to_you
from app.pagekit.pages import page
from app.reference.roles import Role
from app.sms.outbox_message import STATUSES
from app.validation import PhoneNumber, format_phone

bp = Blueprint("notifications", __name__)

# Where the consent on file was given, as the settings page says it.
CONSENT_SOURCES = {
    "settings": "on this page",
    "web_onboarding": "when you set up your account",
    "web_signup": "when you signed up",
    "api": "when your account was made",
}


@page(bp, "/outbox", access_rule=access.roles(Role.ADMIN, Role.CLINICIAN))
def outbox():
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    rows = preferences.outbox_for(current_user, status)
    return render_template("notifications/outbox.html", rows=rows, status=status, statuses=STATUSES)


@page(bp, "/settings/sms", access_rule=access.roles(Role.PATIENT), methods=["GET", "POST"])
def sms_settings():
    profile = current_user.patient
    errors: dict[str, str] = {}
    if request.method == "POST":
        if request.form.get("action") == "opt_out":
            preferences.opt_out(current_user)
            flash("You will not get text messages from us.", "info")
            return redirect(url_for("notifications.sms_settings"))
        try:
            phone = TypeAdapter(PhoneNumber).validate_python(request.form.get("phone", "").strip())
        except ValidationError:
            errors["phone"] = "Enter a valid mobile number, e.g. (212) 555-0142."
        if request.form.get("consent") != "yes":
            errors["consent"] = "Tick the box to agree to receive texts."
        if not errors:
            preferences.opt_in(current_user, phone, source="settings")
            if preferences.number_replied_stop(phone):
                flash(preferences.STOPPED_NOTICE, "info")
            else:
                flash("Text reminders are on.", "success")
            return redirect(url_for("notifications.sms_settings"))
    return render_template(
        "notifications/sms_settings.html",
        profile=profile,
        errors=errors,
        consent_text=SMS_CONSENT_TEXT,
        number_stopped=preferences.number_replied_stop(profile.phone),
        texts=texts_to_you([m for m, _ in preferences.outbox_for(current_user, None)], current_user.timezone, utcnow()),
        consent_source=CONSENT_SOURCES.get(profile.sms_consent_source or "", "when your account was made"),
        phone_shown=format_phone(profile.phone) if profile.phone else None,
    ), (422 if errors else 200)

"""Onboarding's step 3, consent to texts (``/welcome/texts``): a text setting, so notifications' page,
after accounts' steps 1 and 2 (the account, the mobile number)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.accounts.service import SMS_CONSENT_TEXT
from app.accounts.views.pages import STEPS, to_intake
from app.notifications import preferences
from app.notifications.views.pages import bp
from app.pagekit.pages import page
from app.reference.roles import Role
from app.validation import format_phone

CONSENT_SOURCE = "web_onboarding"


@page(bp, "/welcome/texts", access_rule=access.roles(Role.PATIENT), methods=["GET", "POST"])
def onboarding_texts() -> ResponseReturnValue:
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
            return to_intake()
    return render_template(
        "notifications/onboarding_texts.html",
        steps=STEPS,
        step=3,
        errors=errors,
        profile=profile,
        phone=format_phone(profile.phone),
        consent_text=SMS_CONSENT_TEXT,
    ), (422 if errors else 200)

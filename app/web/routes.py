"""Home and the role-aware dashboard shell."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.db import utcnow
from app.messaging.service import unread_total
from app.notes.service import overdue_drafts
from app.pagekit.pages import page
from app.reference.roles import CREDENTIAL_TITLES, Credential, Role
from app.web.dashboard import patient_dashboard

bp = Blueprint("web", __name__)


@bp.app_context_processor
def _globals() -> dict[str, Any]:
    return {
        "demo_sms": current_app.config["SMS_BACKEND"] == "console",
        "demo_billing": current_app.config["BILLING_BACKEND"] == "dummy",
        # Features that land later (billing) are linked once their pages exist.
        "has_page": lambda endpoint: endpoint in current_app.view_functions,
    }


@page(bp, "/", access_rule=access.PUBLIC)
def home() -> ResponseReturnValue:
    return render_template("web/home.html")


@page(bp, "/dashboard", access_rule=access.ANY_USER)
def dashboard() -> ResponseReturnValue:
    title = None
    if current_user.clinician is not None:
        title = CREDENTIAL_TITLES[Credential(current_user.clinician.credential)]
    mine = patient_dashboard(current_user, utcnow()) if current_user.role == Role.PATIENT else None
    overdue = overdue_drafts(current_user.id, utcnow()) if current_user.role == Role.CLINICIAN else []
    messaging = current_user.role in (Role.PATIENT, Role.CLINICIAN)
    return render_template(
        "web/dashboard.html",
        clinician_title=title,
        mine=mine,
        overdue_notes=overdue,
        unread_messages=unread_total(current_user) if messaging else 0,
    )

"""Care-team pages: the clinician's caseload and tasks, the shared chart, the patient's check-in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import ValidationError

from app import access
from app.care_team import caseload_view, chart_view, handoff, service
from app.care_team.measures import ANSWER_LABELS
from app.care_team.schemas import MedicationIn
from app.care_team.views import forms
from app.errors import DomainError, NotFound
from app.reference.roles import Role
from app.validation import MAX_DB_ID, parse_int, validation_fields
from app.web.pages import page

bp = Blueprint("care", __name__)


@page(bp, "/caseload", access_rule=access.roles(Role.CLINICIAN))
def caseload():
    view = caseload_view.caseload_page(current_user, request.args.get("flag"), request.args.get("sort"))
    return render_template("care/caseload.html", **view.context())


# Patient-data pages are open to any signed-in role at the gate: the service answers 404 for everyone who
# is neither the patient nor on the team (billing admins and admins included), as the contract says.
@page(bp, "/patients/<int:patient_id>/chart", access_rule=access.ANY_USER)
def chart(patient_id: int):
    return render_template("care/chart.html", **chart_view.chart(current_user, patient_id).context())


@page(bp, "/patients/<int:patient_id>/chart/goals", access_rule=access.ANY_USER, methods=["POST"])
def add_goal(patient_id: int):
    service.access.team_only(current_user, patient_id)  # who may, before what: 403 for the patient, 404 for strangers
    text = request.form.get("text", "").strip()[:2000]
    if not text:
        flash("Write the goal in the patient's words.", "error")
        return redirect(url_for("care.chart", patient_id=patient_id))
    plan = service.plan_of(patient_id)
    goals = [
        *plan.goals,
        {"text": text, "target": request.form.get("target", "").strip()[:200] or None, "status": "active"},
    ]
    base_version = parse_int(request.form.get("base_version"), 0, MAX_DB_ID)
    if base_version is None:
        flash("That goal could not be added: reload the page and try again.", "error")
        return redirect(url_for("care.chart", patient_id=patient_id))
    try:
        service.patch_plan(current_user, patient_id, base_version, {"goals": goals})
        flash("Goal added to the care plan.", "success")
    except service.VersionConflict as exc:
        flash(exc.message, "error")
    return redirect(url_for("care.chart", patient_id=patient_id))


@page(bp, "/patients/<int:patient_id>/chart/notes", access_rule=access.ANY_USER, methods=["POST"])
def add_note(patient_id: int):
    service.access.team_only(current_user, patient_id)  # who may, before what: 403 for the patient, 404 for strangers
    body = request.form.get("body", "").strip()[:10_000]
    if body:
        _, told = handoff.add_note(current_user, patient_id, body, handoff.ids(request.form.getlist("notify")))
        flash("Handoff note saved for the team." + handoff.told_text(told), "success")
    return redirect(url_for("care.chart", patient_id=patient_id))


@page(bp, "/patients/<int:patient_id>/chart/medications", access_rule=access.ANY_USER, methods=["POST"])
def add_medication(patient_id: int):
    service.access.team_only(current_user, patient_id)  # who may, before what: 403 for the patient, 404 for strangers
    try:
        data = MedicationIn.model_validate(
            {k: request.form.get(k, "") for k in ("name", "dose", "frequency", "instructions")}
        )
        service.add_medication(current_user, patient_id, data.model_dump())
        flash(f"{data.name} added.", "success")
    except ValidationError as exc:
        flash("Medication not added: " + "; ".join(f"{k}: {v}" for k, v in validation_fields(exc).items()), "error")
    except NotFound:
        raise
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("care.chart", patient_id=patient_id))


@page(bp, "/check-in", access_rule=access.roles(Role.PATIENT), methods=["GET", "POST"])
def check_in():
    instrument = forms.instrument_from(request.values)
    context = {"instrument": instrument, "items": forms.QUESTIONS[instrument], "labels": ANSWER_LABELS}
    if request.method == "GET":
        return render_template("care/check_in.html", **context, result=None, missing=set())
    answers, missing = forms.answers_from(request.form, instrument)
    if missing:
        return render_template("care/check_in.html", **context, result=None, missing=missing), 422
    result = service.add_assessment(current_user, current_user.id, instrument, answers)
    return render_template("care/check_in.html", **context, result=result, missing=set())


@page(bp, "/emergency-access", access_rule=access.roles(Role.CLINICIAN), methods=["GET", "POST"])
def emergency_access():
    """Break the glass from the browser: find the patient by e-mail, state the reason."""
    from app.accounts.service import find_by_email

    errors: dict[str, str] = {}
    if request.method == "POST":
        patient = find_by_email(request.form.get("email", "").strip()[:254])
        reason = request.form.get("reason", "").strip()
        if patient is None or patient.role != Role.PATIENT.value:
            errors["email"] = "No patient account with that e-mail."
        if len(reason) < 10:
            errors["reason"] = "Say why you need the record now (at least 10 characters)."
        if not errors:
            try:
                service.break_glass(current_user, patient.id, reason[:1000])
            except DomainError as exc:
                errors["email"] = exc.message
            else:
                flash("Emergency access for 60 minutes. The care team has been told.", "info")
                return redirect(url_for("care.chart", patient_id=patient.id))
    return render_template("care/emergency.html", errors=errors), (422 if errors else 200)

"""Care-team pages: the clinician's caseload and tasks, the shared chart, the patient's check-in."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import ValidationError

from app import access
from app.care_team import caseload_view, chart_view, handoff, service
from app.care_team import consent as care_consent
from app.care_team.measures import ANSWER_LABELS, GAD7_ITEMS, PHQ9_ITEMS
from app.care_team.schemas import MedicationIn
from app.errors import DomainError, NotFound
from app.reference.roles import Role
from app.validation import MAX_DB_ID, parse_int, validation_fields
from app.web.pages import page

bp = Blueprint("care", __name__)


@page(bp, "/caseload", access_rule=access.roles(Role.CLINICIAN))
def caseload():
    rows = service.caseload(current_user)
    flag = request.args.get("flag")
    if flag in caseload_view.FLAG_ORDER:
        rows = [r for r in rows if flag in r[1].flags]
    sort = request.args.get("sort", "priority")
    sort = sort if sort in caseload_view.SORTS else "priority"
    contacts = caseload_view.last_contacts(u.id for u, _ in rows)
    return render_template(
        "care/caseload.html",
        rows=caseload_view.ordered(rows, contacts, sort),
        flag=flag,
        flags=list(caseload_view.FLAG_ORDER),
        tasks=handoff.my_open_tasks(current_user),
        sort=sort,
        sorts=caseload_view.SORTS,
        contacts=contacts,
    )


# Patient-data pages are open to any signed-in role at the gate: the service answers 404 for everyone who
# is neither the patient nor on the team (billing admins and admins included), as the contract says.
@page(bp, "/patients/<int:patient_id>/chart", access_rule=access.ANY_USER)
def chart(patient_id: int):
    plan, meds = service.get_plan(current_user, patient_id)
    patient = service.access.patient_or_team(current_user, patient_id)
    is_team = current_user.id != patient_id
    return render_template(
        "care/chart.html",
        patient=patient,
        plan=plan,
        meds=meds,
        is_team=is_team,
        is_prescriber=is_team and current_user.clinician.clinical_role == "prescriber",
        notes=service.notes(current_user, patient_id) if is_team else [],
        measures=service.assessments(current_user, patient_id, None),
        **chart_view.extras(current_user, patient_id, is_team),
        care_consent=care_consent.current(patient_id),
        on_team=is_team and service.access.on_team(current_user.id, patient_id),
    )


@page(bp, "/patients/<int:patient_id>/chart/goals", access_rule=access.ANY_USER, methods=["POST"])
def add_goal(patient_id: int):
    service.access.team_only(current_user, patient_id)  # who may, before what: 403 for the patient, 404 for strangers
    text = request.form.get("text", "").strip()[:2000]
    if not text:
        flash("Write the goal in the patient's words.", "error")
        return redirect(url_for("care.chart", patient_id=patient_id))
    plan, _ = service.get_plan(current_user, patient_id)
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
    instrument = request.values.get("instrument") if request.values.get("instrument") in ("PHQ-9", "GAD-7") else "PHQ-9"
    items = PHQ9_ITEMS if instrument == "PHQ-9" else GAD7_ITEMS
    if request.method == "GET":
        return render_template(
            "care/check_in.html", instrument=instrument, items=items, labels=ANSWER_LABELS, result=None, missing=set()
        )
    raw = [request.form.get(f"q{i}", "") for i in range(len(items))]
    missing = {i for i, v in enumerate(raw) if v not in {"0", "1", "2", "3"}}
    if missing:
        return render_template(
            "care/check_in.html", instrument=instrument, items=items, labels=ANSWER_LABELS, result=None, missing=missing
        ), 422
    result = service.add_assessment(current_user, current_user.id, instrument, [int(v) for v in raw])
    return render_template(
        "care/check_in.html", instrument=instrument, items=items, labels=ANSWER_LABELS, result=result, missing=set()
    )


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

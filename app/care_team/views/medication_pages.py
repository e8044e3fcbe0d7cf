"""The medication lifecycle from the chart (prescribers on the team; therapists see the list read-only):
start, change the dose with a reason (the dose before is kept), discontinue with a reason. A second
active medication of the same name is sent back with a warning and a checkbox to confirm, the form
values kept; errors are shown next to their fields."""

from __future__ import annotations

from datetime import datetime

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import BaseModel, ValidationError

from app import access
from app.care_team import access as care_access
from app.care_team import service
from app.care_team.schemas import DiscontinueIn, MedicationChangeIn, MedicationIn
from app.care_team.views.pages import bp, render_chart
from app.errors import Conflict, Forbidden
from app.pagekit.forms import plain_errors
from app.pagekit.pages import page

START_FIELDS = ("name", "dose", "route", "frequency", "instructions", "started_on")
PLAIN = {
    "name": "Enter the medication's name.",
    "dose": "Enter the dose, for example 50 mg.",
    "route": "Keep the route under 100 characters, for example by mouth.",
    "frequency": "Say how often, for example once daily.",
    "instructions": "Keep the instructions under 2,000 characters.",
    "started_on": "Choose the start date, or leave it empty for today.",
    "reason": "Say why, in a few words.",
}


def _plain_errors(exc: ValidationError) -> dict[str, str]:
    return plain_errors(exc, (*START_FIELDS, "reason"), messages=PLAIN)


def _values(fields: tuple[str, ...]) -> dict[str, str]:
    return {k: request.form.get(k, "").strip() for k in fields}


def _parsed(model: type[BaseModel], values: dict[str, str]) -> BaseModel:
    return model.model_validate({k: v for k, v in values.items() if v != ""})


@page(bp, "/patients/<int:patient_id>/chart/medications", access_rule=access.ANY_USER, methods=["POST"])
def add_medication(patient_id: int) -> ResponseReturnValue:
    care_access.team_only(current_user, patient_id)  # who may, before what: 403 for the patient, 404 for strangers
    values = _values(START_FIELDS)
    confirmed = request.form.get("confirm_duplicate") == "yes"
    try:
        data = _parsed(MedicationIn, values)
        service.add_medication(
            current_user, patient_id, data.model_dump(exclude={"confirm_duplicate"}), confirm_duplicate=confirmed
        )
    except ValidationError as exc:
        return render_chart(patient_id, 422, med_form={"values": values, "errors": _plain_errors(exc)})
    except service.DuplicateActive:
        return render_chart(patient_id, 409, med_form={"values": values, "errors": {}, "duplicate": True})
    except Forbidden as exc:  # a therapist on the team: told so on the chart, as before
        flash(exc.message, "error")
        return redirect(url_for("care.chart", patient_id=patient_id, _anchor="medications"))
    flash(f"{values['name']} started.", "success")
    return redirect(url_for("care.chart", patient_id=patient_id, _anchor="medications"))


@page(bp, "/patients/<int:patient_id>/chart/medications/<int:med_id>/change", access_rule=access.ANY_USER,
      methods=["POST"])  # fmt: skip
def change_medication(patient_id: int, med_id: int) -> ResponseReturnValue:
    care_access.team_only(current_user, patient_id)  # 403 for the patient, 404 for strangers
    values = _values(("dose", "frequency", "reason"))
    try:
        change = _parsed(MedicationChangeIn, values)
        med, _ = service.change_medication(current_user, patient_id, med_id, change.model_dump())
    except ValidationError as exc:
        state = {"med_id": med_id, "action": "change", "values": values, "errors": _plain_errors(exc)}
        return render_chart(patient_id, 422, med_change=state)
    except (Conflict, Forbidden) as exc:  # discontinued already; a therapist (read-only)
        flash(exc.message, "error")
    else:
        flash(f"{med.name} changed to {med.dose}, {med.frequency}. The earlier dose is kept in its history.", "success")
    return redirect(url_for("care.chart", patient_id=patient_id, _anchor="medications"))


@page(bp, "/patients/<int:patient_id>/chart/medications/<int:med_id>/discontinue", access_rule=access.ANY_USER,
      methods=["POST"])  # fmt: skip
def discontinue_medication(patient_id: int, med_id: int) -> ResponseReturnValue:
    care_access.team_only(current_user, patient_id)  # 403 for the patient, 404 for strangers
    values = _values(("reason",))
    try:
        reason = DiscontinueIn.model_validate(values).reason
        med = service.discontinue_medication(current_user, patient_id, med_id, reason)
    except ValidationError as exc:
        state = {"med_id": med_id, "action": "discontinue", "values": values, "errors": _plain_errors(exc)}
        return render_chart(patient_id, 422, med_change=state)
    except (Conflict, Forbidden) as exc:  # discontinued already; a therapist (read-only)
        flash(exc.message, "error")
    else:
        flash(f"{med.name} discontinued.", "success")
    return redirect(url_for("care.chart", patient_id=patient_id, _anchor="medications"))


@bp.app_template_filter("from_iso")
def from_iso(value: str | None) -> datetime | None:
    """``{{ h.until|from_iso|localtime(tz) }}``: a time kept as ISO text in the plan's JSON, as a datetime."""
    return datetime.fromisoformat(value) if value else None

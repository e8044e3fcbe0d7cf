"""The problem list from the chart (team members: prescribers and therapists alike): add a problem with
an ICD-10-CM code found by code or words, edit it, resolve it (it stays on the list, and in the plan's
history). The code search works without JavaScript (a GET form on the chart, ``?icd_q=``, whose results
pick the code) and, with it, as you type through ``/icd10/search`` (JSON, clinicians, the session).
Errors are shown next to their fields, the values kept."""

from __future__ import annotations

from flask import flash, jsonify, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.care_team import problem_list, service
from app.care_team.views import forms
from app.care_team.views.pages import CLINICIAN, bp, render_chart
from app.errors import Invalid
from app.pagekit.pages import page
from app.reference import icd10
from app.validation import MAX_DB_ID, parse_int

SEARCH_LIMIT = 20


def _back(patient_id: int) -> ResponseReturnValue:
    return redirect(url_for("care.chart", patient_id=patient_id, _anchor="problems"))


def _base_version() -> int | None:
    return parse_int(request.form.get("base_version"), 0, MAX_DB_ID)


def _values() -> dict[str, str]:
    return {"text": request.form.get("text", "").strip()[:2100], "code": request.form.get("code", "").strip()[:20]}


@page(bp, "/patients/<int:patient_id>/chart/problems", access_rule=access.ANY_USER, methods=["POST"])
def add_problem(patient_id: int) -> ResponseReturnValue:
    values, base = _values(), _base_version()
    try:
        new = problem_list.add(current_user, patient_id, -1 if base is None else base, values["text"], values["code"])
    except Invalid as exc:
        return render_chart(patient_id, 422, problem_form={"index": None, "values": values, "errors": exc.fields})
    except service.VersionConflict as exc:
        flash(exc.message + " The problem was not added.", "error")
        return _back(patient_id)
    flash(f"Problem added: {new['text']}{' (' + new['code'] + ')' if new.get('code') else ''}.", "success")
    return _back(patient_id)


@page(bp, "/patients/<int:patient_id>/chart/problems/<int:index>", access_rule=access.ANY_USER, methods=["POST"])
def edit_problem(patient_id: int, index: int) -> ResponseReturnValue:
    values, base = _values(), _base_version()
    try:
        problem_list.edit(current_user, patient_id, index, -1 if base is None else base, values["text"], values["code"])
    except Invalid as exc:
        if "problem" in exc.fields:
            flash(exc.fields["problem"], "error")
            return _back(patient_id)
        return render_chart(patient_id, 422, problem_form={"index": index, "values": values, "errors": exc.fields})
    except service.VersionConflict as exc:
        flash(exc.message + " Your change was not saved.", "error")
        return _back(patient_id)
    flash("Problem updated.", "success")
    return _back(patient_id)


@page(bp, "/patients/<int:patient_id>/chart/problems/<int:index>/resolve", access_rule=access.ANY_USER,
      methods=["POST"])  # fmt: skip
def resolve_problem(patient_id: int, index: int) -> ResponseReturnValue:
    base = _base_version()
    try:
        done = problem_list.resolve(current_user, patient_id, index, -1 if base is None else base)
    except Invalid as exc:
        flash(next(iter(exc.fields.values())), "error")
    except service.VersionConflict as exc:
        flash(exc.message + " The problem was not resolved.", "error")
    else:
        flash(f"Resolved: {done['text']}. It stays on the list under Resolved.", "success")
    return _back(patient_id)


@page(bp, "/icd10/search", access_rule=CLINICIAN)
def icd10_lookup() -> ResponseReturnValue:
    """The pages' code search as you type: ``[{code, description}]`` (at most 20; none under 2 characters)."""
    q = request.args.get("q", "").strip()[:100]
    found = icd10.search(q, SEARCH_LIMIT) if len(q) >= 2 else []
    return jsonify([{"code": code, "description": text} for code, text in found])


@bp.context_processor
def _icd10_search() -> dict[str, object]:
    """The chart's code search without JavaScript: its query and results, and the code picked (asked
    on the chart only; a form sent back from the chart shows an empty search)."""
    return {"icd": forms.icd10_search(request.args if request.endpoint == "care.chart" else {})}

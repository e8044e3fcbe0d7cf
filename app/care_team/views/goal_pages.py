"""Updating one goal of the shared care plan from the chart: its status and target, as a new plan
version (the same optimistic ``base_version`` rule as the API)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.care_team import access as care_access
from app.care_team import service
from app.care_team.views.pages import bp
from app.pagekit.pages import page
from app.validation import MAX_DB_ID, parse_int

GOAL_STATUSES = {"active": "active", "met": "met", "not_met": "not met", "on_hold": "on hold"}


@page(bp, "/patients/<int:patient_id>/chart/goals/<int:index>", access_rule=access.ANY_USER,
      methods=["POST"])  # fmt: skip
def update_goal(patient_id: int, index: int) -> ResponseReturnValue:
    care_access.team_only(current_user, patient_id)  # 403 for the patient, 404 for strangers
    plan = service.plan_of(patient_id)
    back = redirect(url_for("care.chart", patient_id=patient_id, _anchor="goals"))
    status = request.form.get("status", "")
    base = request.form.get("base_version", "")
    base_version = parse_int(base, 0, MAX_DB_ID)
    if index >= len(plan.goals) or status not in GOAL_STATUSES or base_version is None:
        flash("That goal could not be updated: reload the page and try again.", "error")
        return back
    goals = [dict(g) for g in plan.goals]
    goals[index]["status"] = status
    target = request.form.get("target", "").strip()[:200]
    goals[index]["target"] = target or None
    try:
        service.patch_plan(current_user, patient_id, base_version, {"goals": goals})
        flash("Goal updated.", "success")
    except service.VersionConflict as exc:
        flash(exc.message + " Your change was not saved; here is the latest plan.", "error")
    return back


@bp.context_processor
def _goal_statuses() -> dict[str, dict[str, str]]:
    return {"goal_statuses": GOAL_STATUSES}

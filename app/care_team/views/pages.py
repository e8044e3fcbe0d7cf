"""The care blueprint's pages: the clinician's caseload and tasks, the shared chart and what is done
from it (goals, notes, medications, scores from a visit), the plan history with readable diffs, the
patient's check-in, breaking the glass and the weekly review list for the psychiatric consultant; also
the template filters for the trend picture and for notes' mentions. Goal editing and the
care-management minutes, the medication lifecycle and new tasks are further page modules on this
blueprint (``goal_pages``, ``minutes_pages``, ``medication_pages``, ``task_pages``)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from markupsafe import Markup

from app import access
from app.accounts.service import find_by_email
from app.accounts.user import User
from app.care_team import access as care_access
from app.care_team import caseload_view, chart_view, handoff, review, service
from app.care_team.assessment import Assessment
from app.care_team.measures import ANSWER_LABELS, describe_change
from app.care_team.plan_diff import describe, version_changes
from app.care_team.trend_chart import trend_svg
from app.care_team.views import forms
from app.errors import Conflict, DomainError
from app.pagekit.pages import page
from app.reference.roles import Role
from app.validation import MAX_DB_ID, parse_int

bp = Blueprint("care", __name__)
CLINICIAN = access.roles(Role.CLINICIAN)


@page(bp, "/caseload", access_rule=CLINICIAN)
def caseload() -> ResponseReturnValue:
    view = caseload_view.caseload_page(current_user, request.args.get("flag"), request.args.get("sort"))
    return render_template("care/caseload.html", **view.context())


# Patient-data pages are open to any signed-in role at the gate: the service answers 404 for everyone who
# is neither the patient nor on the team (billing admins and admins included), as the contract says.
@page(bp, "/patients/<int:patient_id>/chart", access_rule=access.ANY_USER)
def chart(patient_id: int) -> ResponseReturnValue:
    return render_chart(patient_id)


def render_chart(patient_id: int, status: int = 200, **forms: object) -> ResponseReturnValue:
    """The chart, with a form sent back (its values kept, its errors next to its fields) when ``forms``
    names one: ``med_form``, ``med_change``, ``task_form`` or ``goal_form``."""
    context = chart_view.chart(current_user, patient_id).context()
    return render_template("care/chart.html", **context, **forms), status


@page(bp, "/patients/<int:patient_id>/chart/goals", access_rule=access.ANY_USER, methods=["POST"])
def add_goal(patient_id: int) -> ResponseReturnValue:
    care_access.team_only(current_user, patient_id)  # who may, before what: 403 for the patient, 404 for strangers
    text = request.form.get("text", "").strip()[:2000]
    if not text:  # the error next to the field, what was typed kept
        errors = {"text": "Write the goal in the patient's words."}
        return render_chart(patient_id, 422, goal_form={"errors": errors, "values": request.form})
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
def add_note(patient_id: int) -> ResponseReturnValue:
    care_access.team_only(current_user, patient_id)  # who may, before what: 403 for the patient, 404 for strangers
    body = request.form.get("body", "").strip()[:10_000]
    if body:
        _, told = handoff.add_note(current_user, patient_id, body, handoff.ids(request.form.getlist("notify")))
        flash("Handoff note saved for the team." + handoff.told_text(told), "success")
    return redirect(url_for("care.chart", patient_id=patient_id))


@page(bp, "/check-in", access_rule=access.roles(Role.PATIENT), methods=["GET", "POST"])
def check_in() -> ResponseReturnValue:
    instrument = forms.instrument_from(request.values)
    context = {"instrument": instrument, "items": forms.QUESTIONS[instrument], "labels": ANSWER_LABELS}
    if request.method == "GET":
        return render_template("care/check_in.html", **context, result=None, missing=set())
    answers, missing = forms.answers_from(request.form, instrument)
    if missing:
        return render_template("care/check_in.html", **context, result=None, missing=missing), 422
    result = service.add_assessment(current_user, current_user.id, instrument, answers)
    return render_template("care/check_in.html", **context, result=result, missing=set())


@page(bp, "/emergency-access", access_rule=CLINICIAN, methods=["GET", "POST"])
def emergency_access() -> ResponseReturnValue:
    """Break the glass from the browser: find the patient by e-mail, state the reason."""
    errors: dict[str, str] = {}
    if request.method == "POST":
        patient = find_by_email(request.form.get("email", "").strip()[:254])
        reason = request.form.get("reason", "").strip()
        if patient is None or patient.role != Role.PATIENT:
            errors["email"] = "No patient account with that e-mail."
        if len(reason) < 10:
            errors["reason"] = "Say why you need the record now (at least 10 characters)."
        if patient is not None and not errors:
            try:
                service.break_glass(current_user, patient.id, reason[:1000])
            except DomainError as exc:
                errors["email"] = exc.message
            else:
                flash("Emergency access for 60 minutes. The care team has been told.", "info")
                return redirect(url_for("care.chart", patient_id=patient.id))
    return render_template("care/emergency.html", errors=errors), (422 if errors else 200)


@bp.app_template_filter("care_trend")
def care_trend(measures: Sequence[Assessment], instrument: str, tz: str) -> Markup:
    """``{{ measures|care_trend('PHQ-9', current_user.timezone) }}``: the trend picture, dates in ``tz``."""
    zone = ZoneInfo(tz)
    return trend_svg(
        [(a.created_at.astimezone(zone), a.score) for a in measures if a.instrument == instrument], instrument
    )


@bp.app_template_filter("phq9_change")
def phq9_change(change_percent: float | None) -> str:
    """``{{ s.change_percent|phq9_change }}``: "−50 % (better)", "+25 % (worse)"."""
    return describe_change(change_percent)


@bp.app_template_filter("with_mentions")
def with_mentions(body: str, team: Sequence[User]) -> Markup:
    """``{{ note.body|with_mentions(team) }}``: escaped, with mentions of teammates highlighted."""
    return handoff.render_note(body, [(m.id, m.name) for m in team])


@page(bp, "/patients/<int:patient_id>/chart/history", access_rule=access.ANY_USER)  # the service: 404 for strangers
def plan_history(patient_id: int) -> ResponseReturnValue:
    view = chart_view.history_page(current_user, patient_id)
    versions, names = view.versions, view.names
    changes = version_changes([v.snapshot for v in versions])
    entries = [
        (v, names.get(v.updated_by or 0, "someone no longer here"), [describe(c, names) for c in cs])
        for v, cs in zip(versions, changes, strict=True)
    ]
    return render_template(
        "care/history.html",
        patient=view.found.patient,
        entries=list(reversed(entries)),
        is_team=view.found.is_team,
        header=view.header,
    )


@page(bp, "/tasks/<int:task_id>/done", access_rule=access.ANY_USER, methods=["POST"])  # 404 unless owner or team
def complete_task(task_id: int) -> ResponseReturnValue:
    try:
        task = handoff.complete_task(current_user, task_id)
        flash(f"Done: {task.title}", "success")
    except Conflict as exc:
        flash(exc.message, "info")
    return redirect(forms.back_to(request.form, url_for("care.caseload")))


@page(bp, "/patients/<int:patient_id>/chart/scores", access_rule=access.ANY_USER, methods=["GET", "POST"])
def visit_scores(patient_id: int) -> ResponseReturnValue:
    """A clinician on the team enters a PHQ-9 or GAD-7 the patient answered during a visit. The form (and
    its return with the answers missing) is one read use case with the chart header; saving is
    ``add_assessment``'s own (the page then goes back to the chart)."""
    instrument = forms.instrument_from(request.values)
    answers, missing = forms.answers_from(request.form, instrument)
    if request.method == "GET" or missing:
        patient, header = chart_view.scores_page(current_user, patient_id)
        context = {
            "patient": patient,
            "header": header,
            "instrument": instrument,
            "items": forms.QUESTIONS[instrument],
            "labels": ANSWER_LABELS,
            "missing": missing if request.method == "POST" else set(),
        }
        return render_template("care/visit_scores.html", **context), 422 if request.method == "POST" else 200
    care_access.team_only(current_user, patient_id)  # the patient checks in through their own page
    result = service.add_assessment(current_user, patient_id, instrument, answers)
    message = f"{instrument} from the visit saved: {result.score} ({result.severity.replace('_', ' ')})."
    if result.item9:
        message += " Item 9 was above 0: an urgent same-day safety task is open for every team member."
    flash(message, "error" if result.item9 else "success")
    return redirect(url_for("care.chart", patient_id=patient_id))


@page(bp, "/review", access_rule=CLINICIAN)
def review_list() -> ResponseReturnValue:
    """The weekly "review with psychiatrist" list (prescribers; 403 for therapists)."""
    return render_template("care/review.html", rows=review.review_list(current_user))

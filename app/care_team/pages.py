"""More care pages, attached to the care blueprint: the plan history with readable diffs, closing a
task, scores entered by a clinician from a visit, and the weekly review list for the psychiatric
consultant. Also the template filters for the trend picture and for notes' mentions."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from markupsafe import Markup

from app import access
from app.care_team import handoff, review, service
from app.care_team.assessment import Assessment
from app.care_team.chart_view import user_names
from app.care_team.measures import ANSWER_LABELS, GAD7_ITEMS, PHQ9_ITEMS
from app.care_team.plan_diff import describe, version_changes
from app.care_team.routes import bp
from app.care_team.trend_chart import trend_svg
from app.errors import Conflict
from app.reference.roles import Role
from app.web.pages import page

CLINICIAN = access.roles(Role.CLINICIAN)
ITEMS = {"PHQ-9": PHQ9_ITEMS, "GAD-7": GAD7_ITEMS}


@bp.app_template_filter("care_trend")
def care_trend(measures: Sequence[Assessment], instrument: str, tz: str) -> Markup:
    """``{{ measures|care_trend('PHQ-9', current_user.timezone) }}``: the trend picture, dates in ``tz``."""
    zone = ZoneInfo(tz)
    return trend_svg(
        [(a.created_at.astimezone(zone), a.score) for a in measures if a.instrument == instrument], instrument
    )


@bp.app_template_filter("with_mentions")
def with_mentions(body: str, team: Sequence) -> Markup:
    """``{{ note.body|with_mentions(team) }}``: escaped, with mentions of teammates highlighted."""
    return handoff.render_note(body, [(m.id, m.name) for m in team])


def _back(default: str) -> str:
    """Where to go after a form: the page it came from (a local path only), else ``default``."""
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else default


@page(bp, "/patients/<int:patient_id>/chart/history", access_rule=access.ANY_USER)  # the service: 404 for strangers
def plan_history(patient_id: int):
    patient = service.access.patient_or_team(current_user, patient_id)
    versions = service.versions(current_user, patient_id)
    changes = version_changes([v.snapshot for v in versions])
    ids = {v.updated_by for v in versions if v.updated_by is not None}
    ids |= {
        i["owner_id"]
        for v in versions
        for i in v.snapshot.get("interventions") or []
        if isinstance(i.get("owner_id"), int)
    }
    names = user_names(ids)
    entries = [
        (v, names.get(v.updated_by, "someone no longer here"), [describe(c, names) for c in cs])
        for v, cs in zip(versions, changes, strict=True)
    ]
    return render_template(
        "care/history.html", patient=patient, entries=list(reversed(entries)), is_team=current_user.id != patient_id
    )


@page(bp, "/tasks/<int:task_id>/done", access_rule=access.ANY_USER, methods=["POST"])  # 404 unless owner or team
def complete_task(task_id: int):
    try:
        task = handoff.complete_task(current_user, task_id)
        flash(f"Done: {task.title}", "success")
    except Conflict as exc:
        flash(exc.message, "info")
    return redirect(_back(url_for("care.caseload")))


@page(bp, "/patients/<int:patient_id>/chart/scores", access_rule=access.ANY_USER, methods=["GET", "POST"])
def visit_scores(patient_id: int):
    """A clinician on the team enters a PHQ-9 or GAD-7 the patient answered during a visit."""
    patient = service.access.team_only(current_user, patient_id)
    instrument = request.values.get("instrument") if request.values.get("instrument") in ITEMS else "PHQ-9"
    items = ITEMS[instrument]
    context = {"patient": patient, "instrument": instrument, "items": items, "labels": ANSWER_LABELS}
    if request.method == "GET":
        return render_template("care/visit_scores.html", **context, missing=set())
    raw = [request.form.get(f"q{i}", "") for i in range(len(items))]
    missing = {i for i, v in enumerate(raw) if v not in {"0", "1", "2", "3"}}
    if missing:
        return render_template("care/visit_scores.html", **context, missing=missing), 422
    result = service.add_assessment(current_user, patient_id, instrument, [int(v) for v in raw])
    message = f"{instrument} from the visit saved: {result.score} ({result.severity.replace('_', ' ')})."
    if result.item9:
        message += " Item 9 was above 0: an urgent same-day safety task is open for every team member."
    flash(message, "error" if result.item9 else "success")
    return redirect(url_for("care.chart", patient_id=patient_id))


@page(bp, "/review", access_rule=CLINICIAN)
def review_list():
    """The weekly "review with psychiatrist" list (prescribers; 403 for therapists)."""
    return render_template("care/review.html", rows=review.review_list(current_user))

"""A new task from the chart: a title, an owner among the team, a due day and a priority; errors are
shown next to their fields with the values kept."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import ValidationError

from app import access
from app.care_team import access as care_access
from app.care_team import handoff
from app.care_team.schemas import TaskIn
from app.care_team.views.pages import bp, render_chart
from app.errors import Invalid
from app.pagekit.forms import plain_errors
from app.pagekit.pages import page
from app.validation import MAX_DB_ID, parse_int

PLAIN = {
    "title": "Say what needs doing.",
    "owner_id": "Choose who owns it from the care team.",
    "due": "Choose a day, or leave it empty.",
    "priority": "Choose normal or urgent.",
}


@page(bp, "/patients/<int:patient_id>/chart/tasks", access_rule=access.ANY_USER, methods=["POST"])
def add_task(patient_id: int) -> ResponseReturnValue:
    care_access.team_only(current_user, patient_id)  # 403 for the patient, 404 for strangers
    values = {k: request.form.get(k, "").strip() for k in ("title", "owner_id", "due", "priority")}
    try:
        data: dict[str, object] = {k: v for k, v in values.items() if v != ""}
        data["owner_id"] = parse_int(values["owner_id"], 1, MAX_DB_ID)  # the form sends text; the API a number
        task = TaskIn.model_validate(data)
        handoff.create_task(
            current_user, patient_id, task.title, task.owner_id, task.due, urgent=task.priority == "urgent"
        )
    except ValidationError as exc:
        errors = plain_errors(exc, ("title", "owner_id", "due", "priority"), messages=PLAIN)
        return render_chart(patient_id, 422, task_form={"values": values, "errors": errors})
    except Invalid:
        return render_chart(patient_id, 422, task_form={"values": values, "errors": {"owner_id": PLAIN["owner_id"]}})
    flash(f"Task added: {task.title}", "success")
    return redirect(url_for("care.chart", patient_id=patient_id, _anchor="tasks"))

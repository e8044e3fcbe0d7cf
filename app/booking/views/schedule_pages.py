"""The clinician's schedule as a calendar grid: a day or a week in their zone (the choice and the day
in the URL: ``/schedule?view=week&date=2027-03-08``), each visit a block linking to its appointment."""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_login import current_user

from app import access
from app.booking.schedule import ROW_MINUTES, View
from app.booking.schedule_view import clinician_schedule
from app.booking.views.pages import bp
from app.db import utcnow
from app.pagekit.pages import page
from app.reference.roles import Role
from app.validation import parse_day

CLINICIAN = access.roles(Role.CLINICIAN)


@page(bp, "/schedule", access_rule=CLINICIAN)
def schedule() -> Any:
    view = View.DAY if request.args.get("view") == View.DAY else View.WEEK
    shown = clinician_schedule(current_user, view, parse_day(request.args.get("date")), utcnow())
    return render_template("booking/schedule.html", s=shown, grid=shown.grid, row_minutes=ROW_MINUTES)

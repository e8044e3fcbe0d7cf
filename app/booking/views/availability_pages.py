"""The clinician's availability editor page: one form for weekly hours, date overrides, gap, step,
notice, horizon and daily cap, plus the private calendar feed."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from pydantic import ValidationError

from app import access
from app.booking import feeds, service
from app.booking.schemas import AvailabilityPatch
from app.booking.views.pages import bp
from app.errors import Invalid
from app.pagekit.pages import page
from app.reference.roles import Role
from app.validation import parse_int, validation_fields

CLINICIAN = access.roles(Role.CLINICIAN)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_RANGE = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–]\s*(\d{1,2}:\d{2})\s*$")


def _intervals(text: str) -> list[dict[str, str]]:
    """ "09:00-12:00, 13:00-17:00" -> [{"start": "09:00", "end": "12:00"}, ...]; ValueError if unreadable."""
    result = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        match = _RANGE.match(part)
        if not match:
            raise ValueError(f"“{part}” is not a time range like 09:00-17:00")
        start, end = (t.zfill(5) for t in match.groups())
        result.append({"start": start, "end": end})
    return result


def _text(intervals: list[dict]) -> str:
    return ", ".join(f"{i['start']}-{i['end']}" for i in intervals)


def _form_values(doc: dict) -> dict[str, str]:
    values = {f"day{d}": _text([w for w in doc["weekly"] if w["weekday"] == d]) for d in range(7)}
    values["overrides"] = "\n".join(f"{o['date']} {_text(o['intervals']) or 'off'}" for o in doc["overrides"])
    for key in ("timezone", "gap_minutes", "slot_step_minutes", "min_notice_minutes", "horizon_days"):
        values[key] = str(doc[key])
    values["max_per_day"] = "" if doc["max_per_day"] is None else str(doc["max_per_day"])
    return values


def _patch_from_form(form) -> tuple[dict, dict[str, str]]:
    errors: dict[str, str] = {}
    weekly = []
    for d in range(7):
        try:
            weekly += [{"weekday": d, **i} for i in _intervals(form.get(f"day{d}", ""))]
        except ValueError as exc:
            errors[f"day{d}"] = str(exc)
    overrides = []
    for n, line in enumerate(filter(None, (ln.strip() for ln in form.get("overrides", "").splitlines())), 1):
        day, _, rest = line.partition(" ")
        try:
            overrides.append({"date": day, "intervals": [] if rest.strip().lower() == "off" else _intervals(rest)})
        except ValueError as exc:
            errors["overrides"] = f"line {n}: {exc}"
    data = {"timezone": form.get("timezone", "").strip(), "weekly": weekly, "overrides": overrides}
    for key in ("gap_minutes", "slot_step_minutes", "min_notice_minutes", "horizon_days", "max_per_day"):
        raw = form.get(key, "").strip()
        number = parse_int(raw, 0, 10**6)  # the model's own bounds say what is allowed
        data[key] = number if number is not None else (None if key == "max_per_day" and not raw else raw)
    return data, errors


@page(bp, "/schedule/availability", access_rule=CLINICIAN, methods=["GET", "POST"])
def availability():
    doc = service.availability_of(current_user).document()
    if request.method == "GET":
        return _render(_form_values(doc), {})
    data, errors = _patch_from_form(request.form)
    if not errors:
        try:
            patch = AvailabilityPatch.model_validate(data)
            service.update_availability(
                current_user, patch.model_dump(mode="json", exclude_unset=True), actor=current_user
            )
            flash("Availability saved.", "success")
            return redirect(url_for("booking.availability"))
        except ValidationError as exc:
            errors = {_field(k): v for k, v in validation_fields(exc).items()}
        except Invalid as exc:
            errors = exc.fields
    return _render(dict(request.form), errors, 422)


def _field(path: str) -> str:
    """Map a pydantic path (weekly.3.end) to the form field that holds it."""
    head = path.split(".")[0]
    return "overrides" if head == "overrides" else ("day0" if head == "weekly" else head)


def _render(values: dict, errors: dict[str, str], status: int = 200):
    return render_template(
        "booking/availability.html",
        values=values,
        errors=errors,
        weekdays=WEEKDAYS,
        has_feed=feeds.has_calendar_feed(current_user),
        feed_url=None,
    ), status


@page(bp, "/schedule/calendar-feed", access_rule=CLINICIAN, methods=["POST"])
def calendar_feed_action():
    if request.form.get("action") == "revoke":
        feeds.revoke_calendar_feed(current_user)
        flash("The calendar feed was turned off; subscribed calendars stop updating.", "info")
        return redirect(url_for("booking.availability"))
    token = feeds.new_calendar_feed(current_user)
    url = url_for("booking.calendar_feed", token=token, _external=True)
    values = _form_values(service.availability_of(current_user).document())
    return render_template(
        "booking/availability.html", values=values, errors={}, weekdays=WEEKDAYS, has_feed=True, feed_url=url
    )

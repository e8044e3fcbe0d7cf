"""The clinician's availability editor: a weekly grid of time ranges per day and date overrides, each
checked in place (``app.booking.availability_grid``), with gap, step, notice, horizon and daily cap;
the free-text form stays as a fallback (``/schedule/availability/text``). Both save through
``service.update_availability``, with the API's validation. Plus the private calendar feed."""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from pydantic import ValidationError

from app import access
from app.booking import availability_grid, feeds, service
from app.booking.schemas import AvailabilityPatch
from app.booking.views.pages import bp
from app.errors import Invalid
from app.pagekit.forms import plain_message
from app.pagekit.pages import page
from app.reference.roles import Role
from app.validation import parse_int

CLINICIAN = access.roles(Role.CLINICIAN)
NEW_FEED = "new_calendar_feed"  # session key: the feed token made by the last POST, until shown
WEEKDAYS = availability_grid.WEEKDAYS
SETTINGS = ("gap_minutes", "slot_step_minutes", "min_notice_minutes", "horizon_days", "max_per_day")
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
    return {**_settings(form), "weekly": weekly, "overrides": overrides}, errors


def _settings(form) -> dict:
    data = {"timezone": form.get("timezone", "").strip()}
    for key in SETTINGS:
        raw = form.get(key, "").strip()
        number = parse_int(raw, 0, 10**6)  # the model's own bounds say what is allowed
        data[key] = number if number is not None else (None if key == "max_per_day" and not raw else raw)
    return data


@page(bp, "/schedule/availability", access_rule=CLINICIAN, methods=["GET", "POST"])
def availability():
    doc = service.availability_of(current_user).document()
    if request.method == "GET":
        return _render_grid(availability_grid.from_document(doc), _form_values(doc), {}, feed_url=_new_feed_url())
    if request.form.get("editor") == "grid":
        return _save_grid()
    data, errors = _patch_from_form(request.form)  # the free-text fallback form
    if not errors:
        if (refused := _save(data)) is None:
            return redirect(url_for("booking.availability"))
        errors = refused
    return _render(dict(request.form), errors, 422)


@page(bp, "/schedule/availability/text", access_rule=CLINICIAN)
def availability_text():
    """The free-text fallback form (ranges typed as ``09:00-12:00, 13:00-17:00``); it posts to the editor."""
    return _render(_form_values(service.availability_of(current_user).document()), {})


def _save_grid() -> Any:
    rows = availability_grid.from_form(request.form)
    values = {key: request.form.get(key, "") for key in ("timezone", *SETTINGS)}
    if availability_grid.edit(rows, request.form.get("action", "")):  # add or remove a row: nothing saved yet
        return _render_grid(rows, values, {}, unsaved=True)
    weekly, overrides, errors = availability_grid.document_parts(rows)
    if not errors:
        if (refused := _save({**_settings(request.form), "weekly": weekly, "overrides": overrides})) is None:
            return redirect(url_for("booking.availability"))
        errors = refused
    return _render_grid(rows, values, errors, status=422)


def _save(data: dict) -> dict[str, str] | None:
    """Save through the service (the API's validation); None when saved, else the errors by field."""
    try:
        patch = AvailabilityPatch.model_validate(data)
        service.update_availability(current_user, patch.model_dump(mode="json", exclude_unset=True), actor=current_user)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors():  # plain words (pagekit.forms), each on the form field that holds the value
            errors.setdefault(_field(".".join(str(p) for p in err["loc"])), plain_message(err))
        return errors
    except Invalid as exc:
        return exc.fields
    flash("Availability saved.", "success")
    return None


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
        feed_url=_new_feed_url(),
    ), status


def _new_feed_url() -> str | None:
    """The address made by the feed form just before, once."""
    token = session.pop(NEW_FEED, None)
    return url_for("booking.calendar_feed", token=token, _external=True) if token else None


def _render_grid(rows, values: dict, errors: dict[str, str], *, status: int = 200, unsaved: bool = False,
                 feed_url: str | None = None):  # fmt: skip
    return render_template(
        "booking/availability_grid.html",
        rows=rows,
        values=values,
        errors=errors,
        unsaved=unsaved,
        weekdays=WEEKDAYS,
        has_feed=feed_url is not None or feeds.has_calendar_feed(current_user),
        feed_url=feed_url,
    ), status


@page(bp, "/schedule/calendar-feed", access_rule=CLINICIAN, methods=["POST"])
def calendar_feed_action():
    if request.form.get("action") == "revoke":
        feeds.revoke_calendar_feed(current_user)
        flash("The calendar feed was turned off; subscribed calendars stop updating.", "info")
        return redirect(url_for("booking.availability"))
    # Redirect after the POST, so a reload never makes (and silently rotates to) another address: the
    # new address rides in the session to the next page and is shown there once.
    session[NEW_FEED] = feeds.new_calendar_feed(current_user)
    return redirect(url_for("booking.availability"), code=303)

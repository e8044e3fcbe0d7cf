"""Pages for care-management minutes and the patient's consent to coordinated care, attached to the
care blueprint: log minutes from the chart, the monthly report per patient and per caseload, CSV
exports, and the patient's give/withdraw consent buttons on their care plan page."""

from __future__ import annotations

from datetime import date

from flask import Response, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.care_team import chart_view, consent, minutes
from app.care_team.measures import CocmBands
from app.care_team.views.pages import bp
from app.errors import Invalid
from app.pagekit.pages import page
from app.reference.roles import Role
from app.settings import Settings
from app.validation import parse_day, parse_int

P = "/patients/<int:patient_id>"


@bp.context_processor
def _minutes_context() -> dict[str, object]:
    return {
        "minute_activities": minutes.ACTIVITIES,
        "care_consent_text": consent.CONSENT_TEXT,
        "minutes_today": minutes.today_for(current_user) if current_user.is_authenticated else None,
    }


def _bands() -> CocmBands:
    settings: Settings = current_app.config["SETTINGS"]
    return CocmBands(**settings.cocm_band_minutes())


def _month() -> date:
    return minutes.parse_month(request.args.get("month"), minutes.today_for(current_user))


def _csv_response(body: str, filename: str) -> Response:
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "Cache-Control": "no-store"},
    )


@page(bp, P + "/minutes", access_rule=access.ANY_USER)
def minutes_report(patient_id: int) -> ResponseReturnValue:
    month = _month()
    view = chart_view.minutes_page(current_user, patient_id, month, _bands())
    return render_template(
        "care/minutes.html",
        report=view.report,
        header=view.header,
        names=view.names,
        activities=minutes.ACTIVITIES,
        previous=minutes.add_months(month, -1),
        following=minutes.add_months(month, 1),
    )


@page(bp, P + "/minutes.csv", access_rule=access.ANY_USER)
def minutes_csv(patient_id: int) -> Response:
    month = _month()
    report = minutes.month_report(current_user, patient_id, month, _bands())
    return _csv_response(minutes.month_csv(report), f"care-minutes-{patient_id}-{month:%Y-%m}.csv")


MINUTES_FORM = "minutes_form"  # the session key of a refused entry, read once by the form
MINUTES_FIELDS = ("date", "minutes", "activity", "note")


def _back(patient_id: int, month: date | None = None) -> ResponseReturnValue:
    if request.form.get("back") == "report":
        return redirect(
            url_for("care.minutes_report", patient_id=patient_id, month=f"{month:%Y-%m}" if month else None)
        )
    return redirect(url_for("care.chart", patient_id=patient_id) + "#minutes")


@page(bp, P + "/minutes", access_rule=access.ANY_USER, methods=["POST"])
def log_minutes(patient_id: int) -> ResponseReturnValue:
    form = request.form
    day = parse_day(form.get("date", ""))
    amount = parse_int(form.get("minutes", ""), 0, 9999)
    try:
        row = minutes.log(current_user, patient_id, day, amount, form.get("activity", ""), form.get("note", "")[:4000])
    except Invalid as exc:
        # The form shows each error next to its field and keeps what was typed (``_minutes_form.html``).
        session[MINUTES_FORM] = {"errors": exc.fields, "values": {k: form.get(k, "")[:200] for k in MINUTES_FIELDS}}
        flash("Minutes not logged: please correct the fields marked in the form.", "error")
        return _back(patient_id, minutes.month_start(day) if day else None)
    flash(f"{row.minutes} minutes logged for {row.service_date:%b %-d}.", "success")
    return _back(patient_id, minutes.month_start(row.service_date))


@page(bp, P + "/minutes/<int:entry_id>/delete", access_rule=access.ANY_USER, methods=["POST"])
def delete_minutes(patient_id: int, entry_id: int) -> ResponseReturnValue:
    minutes.remove(current_user, patient_id, entry_id)
    flash("Entry removed.", "info")
    month = minutes.parse_month(request.form.get("month"), minutes.today_for(current_user))
    return redirect(url_for("care.minutes_report", patient_id=patient_id, month=f"{month:%Y-%m}"))


@page(bp, "/caseload/minutes", access_rule=access.roles(Role.CLINICIAN))
def caseload_minutes() -> ResponseReturnValue:
    month = _month()
    rows = minutes.caseload_report(current_user, month, _bands())
    return render_template(
        "care/caseload_minutes.html",
        rows=rows,
        month=month,
        previous=minutes.add_months(month, -1),
        following=minutes.add_months(month, 1),
    )


@page(bp, "/caseload/minutes.csv", access_rule=access.roles(Role.CLINICIAN))
def caseload_minutes_csv() -> Response:
    month = _month()
    rows = minutes.caseload_report(current_user, month, _bands())
    return _csv_response(minutes.caseload_csv(rows, month), f"caseload-minutes-{month:%Y-%m}.csv")


@page(bp, P + "/care-consent", access_rule=access.ANY_USER, methods=["POST"])
def give_consent(patient_id: int) -> ResponseReturnValue:
    consent.give_from_page(current_user, patient_id)
    flash("Thank you. Your consent to coordinated care is on file.", "success")
    return redirect(url_for("care.chart", patient_id=patient_id) + "#consent")


@page(bp, P + "/care-consent/withdraw", access_rule=access.ANY_USER, methods=["POST"])
def withdraw_consent(patient_id: int) -> ResponseReturnValue:
    try:
        consent.withdraw(current_user, patient_id)
    except consent.NoConsent as exc:
        flash(exc.message, "error")
    else:
        flash("Your consent to coordinated care is withdrawn. Your appointments stay booked.", "info")
    return redirect(url_for("care.chart", patient_id=patient_id) + "#consent")

"""Pages over the audit trail: a patient's access log, the admins' search and CSV export. Above accounts:
the admin finds a patient by e-mail, the patient reads names, where the trail itself keeps ids."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, render_template, request
from flask_login import current_user

from app import access
from app.accounts.queries import names_by_id
from app.accounts.service import find_by_email
from app.audit import queries
from app.audit import service as audit
from app.extensions import db
from app.pagekit.pages import page
from app.reference.roles import Role
from app.validation import MAX_DAY, MIN_DAY, parse_day, parse_db_id, parse_int
from app.web.record_access import record_access

bp = Blueprint("audit", __name__)


@page(bp, "/my/record-access", access_rule=access.roles(Role.PATIENT))
def my_record_access() -> str:
    return render_template("audit/my_access.html", rows=record_access(current_user.id))


def _date(name: str, errors: dict[str, str], tz: ZoneInfo, *, end: bool = False) -> datetime | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return None
    day = parse_day(raw)
    if day is None:
        errors[name] = f"Use a date like 2027-03-15, from {MIN_DAY.year} to {MAX_DAY.year}."
        return None
    return datetime.combine(day + timedelta(days=1) if end else day, time(), tzinfo=tz)


def _filter() -> tuple[queries.AuditFilter, dict[str, str]]:
    errors: dict[str, str] = {}
    tz = ZoneInfo(current_user.timezone)
    patient_id = None
    patient_ref = request.args.get("patient", "").strip()
    if patient_ref:
        if "@" not in patient_ref:
            patient_id = parse_db_id(patient_ref)
            if patient_id is None:
                patient_id, errors["patient"] = -1, "Use an account id (a whole number) or an e-mail address."
        else:
            found = find_by_email(patient_ref[:254])
            patient_id = found.id if found else -1
            if found is None:
                errors["patient"] = "No account with that e-mail."
    actor = request.args.get("actor", "").strip()
    actor_id = parse_db_id(actor)
    if actor and actor_id is None:
        errors["actor"] = "Use the numeric account id."
    f = queries.AuditFilter(
        patient_id=patient_id, actor_id=actor_id, action=request.args.get("action", "").strip()[:60] or None,
        since=_date("since", errors, tz), until=_date("until", errors, tz, end=True),
    )  # fmt: skip
    return f, errors


@page(bp, "/admin/audit", access_rule=access.roles(Role.ADMIN))
def admin_audit() -> str:
    f, errors = _filter()
    page_no = parse_int(request.args.get("page", "1"), 1, 10_000) or 1
    events = queries.search(f, page_no) if not errors else []
    names = names_by_id([e.actor_id for e in events] + [e.patient_id for e in events])
    audit.record("audit.search", actor=current_user, patient_id=f.patient_id if f.patient_id != -1 else None)
    db.session.commit()
    next_args = {k: v for k, v in request.args.items() if k != "page"}
    return render_template("audit/admin_search.html", events=events, errors=errors, args=request.args, page=page_no,
                           next_args=next_args, names=names)  # fmt: skip


@page(bp, "/admin/audit/export.csv", access_rule=access.roles(Role.ADMIN))
def admin_audit_export() -> Response:
    f, errors = _filter()
    if errors:
        return Response("; ".join(f"{k}: {v}" for k, v in errors.items()), status=422, mimetype="text/plain")
    audit.record("audit.export", actor=current_user, patient_id=f.patient_id)
    db.session.commit()
    name = f"audit-patient-{f.patient_id}.csv" if f.patient_id else "audit.csv"
    return Response(queries.export_csv(f), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})  # fmt: skip

"""Booking pages: directory, profile with slot picker, confirm, my appointments, the clinician's
schedule and availability editor, the private calendar feed, the video join page."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, flash, make_response, redirect, render_template, request, url_for
from flask_login import current_user

from app import access
from app.billing.gate import MembershipRequired, standing
from app.booking import care_consent, defaults, events, feeds, openings, service, video
from app.booking.appointment import AppointmentStatus
from app.booking.calendar import ics_response
from app.booking.service import needs_membership
from app.booking.types import TYPES, offered_by
from app.booking.validation import parse_start, parse_tz, parse_week
from app.csp import allowing_form_action
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.pagekit.pages import page
from app.reference.roles import COMMON_US_TIMEZONES, CREDENTIAL_TITLES, MODALITY_LABELS, US_STATES, Role
from app.validation import parse_day, parse_db_id

bp = Blueprint("booking", __name__)
PATIENT = access.roles(Role.PATIENT)
CLINICIAN = access.roles(Role.CLINICIAN)


@bp.app_context_processor
def _labels():
    return {
        "timedelta": timedelta,
        "credential_titles": {c.value: t for c, t in CREDENTIAL_TITLES.items()},
        "modality_labels": {m.value: t for m, t in MODALITY_LABELS.items()},
        "appointment_types": TYPES,
    }


def _viewer_tz() -> str:
    return current_user.timezone if current_user.is_authenticated else "America/New_York"


@page(bp, "/clinicians", access_rule=access.PUBLIC)
def directory():
    args = request.args
    default_state = current_user.patient.state if current_user.is_authenticated and current_user.patient else ""
    state = args.get("state", default_state).upper()
    filters = {
        "clinical_role": args.get("clinical_role") if args.get("clinical_role") in ("prescriber", "therapist") else "",
        "modality": args.get("modality") if args.get("modality") in MODALITY_LABELS else "",
        "language": args.get("language", "").strip()[:40],
        "state": state if state in US_STATES else "",
    }
    clinicians = service.find_clinicians(**{k: v or None for k, v in filters.items()})
    viewer = defaults.Viewer.of(current_user)
    kinds = {c.id: defaults.default_type(c.clinician.clinical_role, viewer) for c in clinicians}
    tz = _viewer_tz()
    next_open = openings.next_open_times([(c, kinds[c.id]) for c in clinicians], tz)
    return render_template("booking/directory.html", clinicians=clinicians, filters=filters, states=US_STATES,
                           kinds=kinds, next_open=next_open, tz=tz)  # fmt: skip


@page(bp, "/clinicians/<int:clinician_id>", access_rule=access.PUBLIC)
def profile(clinician_id: int):
    clinician = service.get_clinician(clinician_id)
    types = offered_by(clinician.clinician.clinical_role)
    kind = request.args.get("type")
    if kind not in {t.code for t in types}:
        kind = defaults.default_type(clinician.clinician.clinical_role, defaults.Viewer.of(current_user))
    tz = parse_tz(request.args.get("tz")) or _viewer_tz()
    today = datetime.now(ZoneInfo(tz)).date()
    asked_week = request.args.get("week")
    if asked_week is None and (first := openings.next_open_times([(clinician, kind)], tz)[clinician.id]):
        asked_week = first.date().isoformat()  # no week asked: open on the week of the next open time
    week = parse_week(asked_week, today)
    days: dict[date, list] = {week + timedelta(days=i): [] for i in range(7)}
    for start, end in openings.open_slots(clinician, kind, week, week + timedelta(days=6), tz):
        days[start.date()].append((start, end))
    reschedule = parse_db_id(request.args.get("reschedule"))
    return render_template(
        "booking/profile.html",
        clinician=clinician,
        types=types,
        kind=kind,
        tz=tz,
        week=week,
        days=days,
        today=today,
        chosen=_chosen_day(days, today, parse_day(request.args.get("day"))),
        reschedule=reschedule,
        timezones=_zones(tz),
    )


def _chosen_day(days: dict[date, list], today: date, asked: date | None) -> date:
    """The day the phone's day strip shows: the one asked for, else the week's first day with open
    times, else its first day that is not past."""
    if asked is not None and asked in days and asked >= today:
        return asked
    ahead = [day for day in days if day >= today]
    return next((day for day in ahead if days[day]), ahead[0] if ahead else next(iter(days)))


def _zones(current: str) -> list[str]:
    return list(dict.fromkeys([current, *COMMON_US_TIMEZONES]))


@page(bp, "/book/confirm", access_rule=PATIENT, methods=["GET", "POST"])
def confirm():
    source = request.form if request.method == "POST" else request.args
    clinician = service.get_clinician(parse_db_id(source.get("clinician")) or 0)
    kind = TYPES.get(source.get("type", ""))
    start = parse_start(source.get("start"))
    reschedule = parse_db_id(source.get("reschedule"))
    if kind is None or start is None:
        abort(400, description="That slot link is incomplete. Please pick a time again.")
    if reschedule:
        service.participant_of(current_user, reschedule)  # someone else's visit does not exist here
    tz = parse_tz(source.get("tz")) or current_user.timezone
    day = start.astimezone(ZoneInfo(tz)).date()  # the picker goes back to the week and day this time is on
    back = url_for("booking.profile", clinician_id=clinician.id, type=kind.code, tz=tz, week=day.isoformat(),
                   day=day.isoformat(), reschedule=reschedule)  # fmt: skip
    needs_consent = not reschedule and care_consent.current(current_user.id) is None
    refused = request.method == "POST" and needs_consent and request.form.get("care_consent") != "yes"
    if request.method == "GET" or refused:
        return render_template(
            "booking/confirm.html",
            clinician=clinician,
            kind=kind,
            start=start,
            end=start + timedelta(minutes=kind.duration_minutes),
            reschedule=reschedule,
            tz=tz,
            back=back,
            needs_consent=needs_consent,
            consent_refused=refused,
            consent_text=care_consent.CONSENT_TEXT,
            needs_membership=not reschedule and needs_membership(current_user, kind.code),
            needs_birth_date=not reschedule and service.needs_birth_date(current_user, kind.code),
            membership=standing(current_user.id),  # what the gate offers: a trial, a plan billed today, a card update
            here=request.full_path if request.method == "GET" else None,
            pricing=url_for("billing.pricing", next=request.full_path if request.method == "GET" else None),
        ), (422 if refused else 200)
    try:
        if reschedule:
            appointment = service.reschedule(current_user, reschedule, start)
            flash("Your appointment was moved.", "success")
        else:
            consent = "booking" if needs_consent else None  # recorded in the booking's transaction
            appointment = service.book(current_user, clinician.id, kind.code, start, care_consent_from=consent)
            flash("You're booked.", "success")
    except NotFound:
        raise  # someone else's appointment: it does not exist for this caller
    except service.BirthDateNeeded as exc:
        flash(exc.message, "info")
        again = url_for("booking.confirm", clinician=clinician.id, type=kind.code, start=start.isoformat())
        return redirect(url_for("accounts.date_of_birth", next=again))
    except MembershipRequired as exc:
        flash(exc.page_message, "info")
        again = url_for("booking.confirm", clinician=clinician.id, type=kind.code, start=start.isoformat())
        return redirect(url_for("billing.pricing", next=again))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(back)
    return redirect(url_for("booking.appointment", appointment_id=appointment.id))


@page(bp, "/appointments", access_rule=access.roles(Role.PATIENT, Role.CLINICIAN))
def my_appointments():
    now = utcnow()
    items = service.list_for(current_user)
    upcoming = sorted(
        (a for a in items if a.end_at >= now and a.status == AppointmentStatus.BOOKED), key=lambda a: a.start_at
    )
    past = [a for a in items if a not in upcoming]
    zone = ZoneInfo(current_user.timezone)
    by_day: dict[date, list] = {}
    for item in upcoming:  # the clinician's calendar: one heading per local day
        by_day.setdefault(item.start_at.astimezone(zone).date(), []).append(item)
    return render_template(
        "booking/my_appointments.html",
        upcoming=upcoming,
        past=past,
        now=now,
        by_day=by_day,
        names=service.names_for(items),
    )


@page(bp, "/appointments/<int:appointment_id>", access_rule=access.ANY_USER)
def appointment(appointment_id: int):
    item = service.visible_to(current_user, appointment_id)
    now = utcnow()
    return render_template(
        "booking/appointment.html",
        a=item,
        now=now,
        names=service.names_for([item]),
        late=item.start_at - now < service.LATE_CANCEL,
        can_join=video.can_join(item, now),
        can_mark=now >= item.start_at - service.EARLY_ACTION,
        note=events.note_statuses((item.id,)).get(item.id),
    )


@page(
    bp,
    "/appointments/<int:appointment_id>/cancel",
    access_rule=access.ANY_USER,  # the service: 404 for anyone but its patient and clinician
    methods=["GET", "POST"],
)
def cancel(appointment_id: int):
    """GET asks first, stating the late-cancel rule (and whether it applies now); POST cancels."""
    if request.method == "GET":
        item = service.participant_of(current_user, appointment_id)
        if item.status != AppointmentStatus.BOOKED:
            flash(service.NotBooked.message, "error")
            return redirect(url_for("booking.appointment", appointment_id=appointment_id))
        now = utcnow()
        return render_template("booking/cancel.html", a=item, names=service.names_for([item]),
                               late=item.start_at - now < service.LATE_CANCEL)  # fmt: skip
    try:
        item = service.cancel(current_user, appointment_id, request.form.get("reason", "")[:1000])
    except service.NotBooked as exc:
        flash(exc.message, "error")
        return redirect(url_for("booking.appointment", appointment_id=appointment_id))
    flash("The appointment was cancelled" + (" (late cancellation)." if item.cancelled_late else "."), "info")
    return redirect(url_for("booking.my_appointments"))


@page(bp, "/appointments/<int:appointment_id>/status", access_rule=access.ANY_USER, methods=["POST"])  # 403 patient
def mark(appointment_id: int):
    status = request.form.get("status")
    if status not in (AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW):
        abort(400)
    try:
        service.mark(current_user, appointment_id, status)
        flash("Marked " + status.replace("_", "-") + ".", "success")
    except (service.TooEarly, service.NotBooked) as exc:
        flash(exc.message, "error")
    return redirect(url_for("booking.appointment", appointment_id=appointment_id))


@page(bp, "/visits/<visit_token>", access_rule=access.ANY_USER)  # the service: 404 for anyone but the two participants
def join(visit_token: str):
    """The visit link's page. It names no room: the room is handed out only by a checked join (below)."""
    item = service.by_visit_token(current_user, visit_token)
    response = make_response(render_template("booking/join.html", a=item, can_join=video.can_join(item, utcnow())))
    # The join form's answer redirects to the provider: CSP's form-action must allow that origin too.
    response.headers["Content-Security-Policy"] = allowing_form_action(video.provider_origin())
    return response


@page(bp, "/visits/<visit_token>/join", access_rule=access.ANY_USER, methods=["POST"])  # 404 but the two participants
def join_room(visit_token: str):
    """A checked join (its patient or clinician, inside the join window, with the form's CSRF token):
    the one place the provider's room is given out."""
    try:
        item = service.join_visit(current_user, visit_token)
    except service.NotJoinable as exc:
        flash(exc.message, "error")
        return redirect(url_for("booking.join", visit_token=visit_token))
    entry = video.enter(item, current_user, utcnow())
    if entry.redirect_url is None:
        return render_template("booking/join.html", a=item, can_join=True, twilio_room=entry.twilio_room,
                               twilio_token=entry.twilio_token)  # fmt: skip
    response = redirect(entry.redirect_url, code=303)
    response.headers["Referrer-Policy"] = "no-referrer"  # the room's address stays out of the provider's logs
    return response


@page(bp, "/calendar/<token>.ics", access_rule=access.PUBLIC)
def calendar_feed(token: str) -> Response:
    items = feeds.feed_appointments(token)
    if items is None:
        abort(404)
    return ics_response(items, "appointments.ics")

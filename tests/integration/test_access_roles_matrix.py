"""The access contract as one role x route x verb matrix, walked from ``app.url_map``.

Every rule of the URL map is classified in ``ROUTES`` below (a test fails on any rule that is not, so a
new route forces a decision); GET routes with a ``<patient_id>`` or ``<appointment_id>`` that nobody has
classified yet are walked with the strictest default meanwhile. For each patient-data route and each of the
eight actors (plus anonymous) the matrix asserts the contract of docs/api.md, "Conventions":

- the patient and the care team get the data (an appointment: its patient and its clinician; reading one,
  admins too);
- anonymous gets 401 (API) or a redirect to the login page (pages);
- everyone else gets 404: other patients, clinicians off the team, billing admins and admins alike;
- a role the contract refuses for the patient's own record gets 403 (the patient on team-only writes and on
  complete/no-show; a therapist on medication writes, ``prescriber_only``); a page may instead send the user
  back with a message, provided nothing changed.

Every request runs in a savepoint that is rolled back, so each cell sees the same world, and every refused
request must leave every table as it was and must not carry patient A's markers (see ``actors.py``).
IDOR variants (another patient's ids in the URL, in the JSON body, in forms and query strings) follow.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from app.booking.appointment import Appointment
from app.care_team.assessment import Assessment
from app.care_team.medication import Medication
from app.care_team.member import CareTeamMember
from app.care_team.note import HandoffNote
from app.db import utcnow
from app.extensions import db
from app.reference.roles import Role
from tests.integration.actors import (
    ACTORS,
    ADMIN,
    ANONYMOUS,
    BILLING_ADMIN,
    BILLING_TOKENS,
    CLINICAL_TOKEN,
    NAME_TOKEN,
    PATIENT_A,
    PATIENT_B,
    PRESCRIBER_OFF,
    PRESCRIBER_ON,
    PSYCHOTHERAPY_TOKEN,
    TEAM_ONLY_TOKEN,
    THERAPIST_OFF,
    THERAPIST_ON,
    Fingerprint,
    World,
    build_world,
    leaks,
    rolled_back,
    sign_in_everyone,
    test_connection,
)

OK, ABSENT, FORBIDDEN, CONFLICT, LOGIN = "ok", "absent", "forbidden", "conflict", "login"
ITS_CLINICIAN = "its clinician"  # resolved per appointment

# Who gets what on a patient-data route; anyone not named gets 404 (anonymous: 401 / the login page).
KINDS: dict[str, dict[str, str]] = {
    # <patient_id> routes, patient A's id in the URL
    "read": {PATIENT_A: OK, THERAPIST_ON: OK, PRESCRIBER_ON: OK},
    "patient_or_team": {PATIENT_A: OK, THERAPIST_ON: OK, PRESCRIBER_ON: OK},
    "team": {PATIENT_A: FORBIDDEN, THERAPIST_ON: OK, PRESCRIBER_ON: OK},
    "prescriber": {PATIENT_A: FORBIDDEN, THERAPIST_ON: FORBIDDEN + ":prescriber_only", PRESCRIBER_ON: OK},
    "patient_only": {PATIENT_A: OK, THERAPIST_ON: FORBIDDEN, PRESCRIBER_ON: FORBIDDEN},
    # the minutes entry was logged by the therapist: only its author removes it
    "minutes_author": {PATIENT_A: FORBIDDEN, THERAPIST_ON: OK, PRESCRIBER_ON: FORBIDDEN},
    # a task of A's care team (owned by the therapist): its owner and A's team close it
    "team_task": {THERAPIST_ON: OK, PRESCRIBER_ON: OK},
    # break the glass: for clinicians off the team; the team already has access (409)
    "break_glass": {
        PATIENT_A: FORBIDDEN,
        THERAPIST_ON: CONFLICT,
        PRESCRIBER_ON: CONFLICT,
        THERAPIST_OFF: OK,
        PRESCRIBER_OFF: OK,
    },
    # <appointment_id> / <visit_token> routes, one of A's appointments in the URL
    "appt_read": {PATIENT_A: OK, ITS_CLINICIAN: OK, ADMIN: OK},
    "appt_participant": {PATIENT_A: OK, ITS_CLINICIAN: OK},
    "appt_clinician": {PATIENT_A: FORBIDDEN, ITS_CLINICIAN: OK},
    # the visit's note page: the patient and the care team (admins, who may read the appointment, get 404)
    "appt_chart": {PATIENT_A: OK, ITS_CLINICIAN: OK, THERAPIST_ON: OK, PRESCRIBER_ON: OK},
    # psychotherapy notes: the appointment's clinician alone; the patient and teammates get 404 too
    "appt_author": {ITS_CLINICIAN: OK},
    # <note_id> routes, A's signed visit note (written and signed by the therapist on the team)
    "signed_note": {actor: CONFLICT for actor in ACTORS if actor != ANONYMOUS},  # locked for everyone
    "note_sign": {PATIENT_A: FORBIDDEN, THERAPIST_ON: CONFLICT, PRESCRIBER_ON: FORBIDDEN},  # signed already
    "note_signer": {PATIENT_A: FORBIDDEN, THERAPIST_ON: OK, PRESCRIBER_ON: FORBIDDEN},
}
APPOINTMENT_KINDS = {"appt_read", "appt_participant", "appt_clinician", "appt_chart", "appt_author"}
START_NOTE = "POST /api/v1/appointments/<int:appointment_id>/note"
NOTE_TEMPLATE = {"a_therapist": "soap", "a_prescriber": "consultation"}  # the template fits the visit type

# Routes that are not about one patient's record: checked for role gates, leaks and 5xx only.
#   public      no sign-in needed
#   own         the caller's own data only (no id to swap; IDOR tests below try the query and body)
#   role        a fixed set of roles (the view's access rule) for actions not about one patient: 403 to others
#   clinician   <clinician_id>: the directory (public data) or that clinician's own settings (403 to others)
#   capability  an unguessable token in the URL is the credential (reset links, calendar feeds, demo checkout)
#   webhook     signed by the provider (Twilio, Stripe)
#   mfa         the second sign-in step
OTHER_KINDS = {"public", "own", "role", "clinician", "capability", "webhook", "mfa", "static"}


@dataclass(frozen=True)
class Route:
    kind: str
    body: Callable[[World], dict[str, Any]] | None = None  # JSON body (API) or form (pages)


def _const(data: dict[str, Any]) -> Callable[[World], dict[str, Any]]:
    return lambda _world: data


MED = _const({"name": "Lithium", "dose": "300 mg", "frequency": "twice daily"})
NOTE = _const({"body": "Handoff from the matrix"})
REASON = _const({"reason": "Patient called the crisis line, team unreachable overnight"})


def _owner(world: World) -> int:
    """A clinician on patient A's care team (the owner of a task about A)."""
    return world.users[THERAPIST_ON].id


def _plan_patch(world: World) -> dict[str, Any]:
    return {"base_version": _plan_version(world), "goals": [{"text": "Matrix goal"}]}


def _goal_form(world: World) -> dict[str, Any]:
    return {"text": "Matrix goal", "target": "daily", "base_version": str(_plan_version(world))}


def _plan_version(world: World) -> int:
    from app.care_team.plan import CarePlan

    return db.session.scalar(db.select(CarePlan.version).where(CarePlan.patient_id == world.a.id)) or 0


def _minutes_form(world: World) -> dict[str, Any]:
    from app.care_team import minutes

    return {"date": minutes.today_for(world.users[THERAPIST_ON]).isoformat(), "minutes": "15", "activity": "outreach"}


def _scores_form(_world: World) -> dict[str, Any]:
    return {"instrument": "GAD-7", **{f"q{i}": "1" for i in range(7)}}


ROUTES: dict[str, Route] = {
    # --- care team, care plan, measures (API) ---
    "GET /api/v1/patients/<int:patient_id>/care-team": Route("read"),
    "DELETE /api/v1/patients/<int:patient_id>/care-team/<int:clinician_id>": Route("patient_only"),
    "GET /api/v1/patients/<int:patient_id>/care-plan": Route("read"),
    "PATCH /api/v1/patients/<int:patient_id>/care-plan": Route("team", _plan_patch),
    "GET /api/v1/patients/<int:patient_id>/care-plan/versions": Route("read"),
    "POST /api/v1/patients/<int:patient_id>/care-plan/medications": Route("prescriber", MED),
    "POST /api/v1/patients/<int:patient_id>/care-plan/medications/<int:med_id>/discontinue": Route(
        "prescriber", _const({"reason": "side effects"})
    ),
    "POST /api/v1/patients/<int:patient_id>/care-plan/medications/<int:med_id>/change": Route(
        "prescriber", _const({"dose": "600 mg", "reason": "level low"})
    ),
    "POST /api/v1/patients/<int:patient_id>/notes": Route("team", NOTE),
    "POST /api/v1/patients/<int:patient_id>/tasks": Route(
        "team", lambda w: {"title": "Matrix task", "owner_id": _owner(w)}
    ),
    "GET /api/v1/patients/<int:patient_id>/tasks": Route("team"),  # histories hold check-in scores
    "POST /api/v1/patients/<int:patient_id>/assessments": Route(
        "patient_or_team", _const({"instrument": "GAD-7", "answers": [0] * 7})
    ),
    "GET /api/v1/patients/<int:patient_id>/assessments": Route("read"),
    "POST /api/v1/patients/<int:patient_id>/emergency-access": Route("break_glass", REASON),
    "GET /api/v1/patients/<int:patient_id>/fhir": Route("read"),
    # --- secure messaging (API and pages): the patient and the team; everyone else 404, admins included ---
    "GET /api/v1/patients/<int:patient_id>/messages": Route("read"),
    "POST /api/v1/patients/<int:patient_id>/messages": Route("patient_or_team", _const({"body": "Matrix message"})),
    "GET /patients/<int:patient_id>/messages": Route("read"),
    "POST /patients/<int:patient_id>/messages": Route("patient_or_team", _const({"body": "Matrix message"})),
    # --- visit notes and psychotherapy notes (API and pages) ---
    START_NOTE: Route("appt_clinician"),  # body per appointment: NOTE_TEMPLATE
    "PATCH /api/v1/visit-notes/<int:note_id>": Route("signed_note", _const({"sections": {"plan": "Matrix"}})),
    "POST /api/v1/visit-notes/<int:note_id>/sign": Route("note_sign", _const({})),
    "POST /api/v1/visit-notes/<int:note_id>/addenda": Route("team", _const({"text": "Matrix addendum"})),
    "POST /api/v1/visit-notes/<int:note_id>/withhold": Route("note_signer", REASON),
    "GET /api/v1/patients/<int:patient_id>/visit-notes": Route("read"),
    "GET /api/v1/appointments/<int:appointment_id>/psychotherapy-note": Route("appt_author"),
    "PUT /api/v1/appointments/<int:appointment_id>/psychotherapy-note": Route(
        "appt_author", _const({"text": "Matrix"})
    ),
    "GET /appointments/<int:appointment_id>/note": Route("appt_chart"),
    "POST /appointments/<int:appointment_id>/note": Route("appt_clinician", _const({})),  # an empty draft
    "POST /visit-notes/<int:note_id>/sign": Route("note_sign", _const({"confirm": "yes"})),
    "POST /visit-notes/<int:note_id>/addenda": Route("team", _const({"text": "Matrix addendum"})),
    "POST /visit-notes/<int:note_id>/withhold": Route("note_signer", REASON),
    "GET /patients/<int:patient_id>/visit-notes": Route("read"),
    "GET /appointments/<int:appointment_id>/psychotherapy-note": Route("appt_author"),
    "POST /appointments/<int:appointment_id>/psychotherapy-note": Route("appt_author", _const({"text": "Matrix"})),
    # --- care pages ---
    "GET /patients/<int:patient_id>/chart": Route("read"),
    "GET /patients/<int:patient_id>/chart/history": Route("read"),
    "POST /patients/<int:patient_id>/chart/goals": Route("team", _goal_form),
    "POST /patients/<int:patient_id>/chart/goals/<int:index>": Route(
        "team", lambda w: {"status": "met", "target": "", "base_version": str(_plan_version(w))}
    ),
    "POST /patients/<int:patient_id>/chart/notes": Route("team", NOTE),
    "POST /patients/<int:patient_id>/chart/problems": Route(
        "team", lambda w: {"text": "Matrix problem", "code": "F41.1", "base_version": str(_plan_version(w))}
    ),
    "POST /patients/<int:patient_id>/chart/problems/<int:index>": Route(
        "team", lambda w: {"text": "Matrix problem", "code": "G47.00", "base_version": str(_plan_version(w))}
    ),
    "POST /patients/<int:patient_id>/chart/problems/<int:index>/resolve": Route(
        "team", lambda w: {"base_version": str(_plan_version(w))}
    ),
    "POST /patients/<int:patient_id>/chart/medications": Route("prescriber", MED),
    "POST /patients/<int:patient_id>/chart/medications/<int:med_id>/change": Route(
        "prescriber", _const({"dose": "600 mg", "reason": "level low"})
    ),
    "POST /patients/<int:patient_id>/chart/medications/<int:med_id>/discontinue": Route(
        "prescriber", _const({"reason": "side effects"})
    ),
    "POST /patients/<int:patient_id>/chart/tasks": Route(
        "team", lambda w: {"title": "Matrix task", "owner_id": str(_owner(w))}
    ),
    "GET /patients/<int:patient_id>/chart/scores": Route("team"),
    "POST /patients/<int:patient_id>/chart/scores": Route("team", _scores_form),
    "GET /patients/<int:patient_id>/minutes": Route("team"),
    "GET /patients/<int:patient_id>/minutes.csv": Route("team"),
    "POST /patients/<int:patient_id>/minutes": Route("team", _minutes_form),
    "POST /patients/<int:patient_id>/minutes/<int:entry_id>/delete": Route("minutes_author", _const({})),
    "POST /patients/<int:patient_id>/care-consent": Route("patient_only", _const({})),
    "POST /patients/<int:patient_id>/care-consent/withdraw": Route("patient_only", _const({})),
    "POST /tasks/<int:task_id>/done": Route("team_task", _const({})),
    # --- appointments (API and pages) ---
    "GET /api/v1/appointments/<int:appointment_id>": Route("appt_read"),
    "GET /api/v1/appointments/<int:appointment_id>/calendar.ics": Route("appt_participant"),
    "POST /api/v1/appointments/<int:appointment_id>/cancel": Route("appt_participant", _const({"reason": "x"})),
    "POST /api/v1/appointments/<int:appointment_id>/reschedule": Route("appt_participant", lambda w: {"start": None}),
    "POST /api/v1/appointments/<int:appointment_id>/complete": Route("appt_clinician", _const({})),
    "POST /api/v1/appointments/<int:appointment_id>/no-show": Route("appt_clinician", _const({})),
    "GET /appointments/<int:appointment_id>": Route("appt_read"),
    "GET /appointments/<int:appointment_id>/cancel": Route("appt_participant"),
    "POST /appointments/<int:appointment_id>/cancel": Route("appt_participant", _const({"reason": "x"})),
    "POST /appointments/<int:appointment_id>/status": Route("appt_clinician", _const({"status": "completed"})),
    "GET /visits/<visit_token>": Route("appt_participant"),
    "POST /visits/<visit_token>/join": Route("appt_participant", _const({})),
    # --- not about one patient's record ---
    "GET /": Route("public"),
    "GET /static/<path:filename>": Route("static"),
    "GET /account": Route("own"),
    "GET /account/mfa/setup": Route("mfa"),
    "POST /account/mfa/setup": Route("mfa"),
    "POST /account/sign-out-everywhere": Route("own"),
    "GET /admin/audit": Route("role"),  # admins: the accounting of disclosures is theirs to run
    "GET /admin/audit/export.csv": Route("role"),
    "GET /admin/users": Route("role"),
    "POST /admin/users/<int:user_id>/enabled": Route("role"),
    "POST /admin/users/<int:user_id>/mfa/reset": Route("role"),
    "GET /admin/clinicians/<int:clinician_id>/disable": Route("role"),  # offboarding: test_offboarding
    "POST /admin/clinicians/<int:clinician_id>/disable": Route("role"),
    "GET /admin/invitations": Route("role"),  # staff onboarding: test_staff_invitations
    "GET /admin/invitations/new": Route("role"),
    "POST /admin/invitations/new": Route("role"),
    "POST /admin/invitations/<int:invitation_id>/revoke": Route("role"),
    "POST /api/v1/invitations": Route("role"),
    "GET /invitations/<token>": Route("capability"),  # the single-use invitation link
    "POST /invitations/<token>": Route("capability"),
    "GET /api/v1/appointment-types": Route("own"),
    "POST /api/v1/appointments": Route("role"),  # IDOR: test_booking_body_cannot_name_another_patient
    "GET /api/v1/appointments": Route("own"),
    "POST /api/v1/auth/token": Route("public"),
    "GET /api/v1/billing/plans": Route("public"),
    "POST /api/v1/billing/checkout": Route("role"),
    "GET /api/v1/billing/subscription": Route("role"),  # the patient's own membership
    "GET /api/v1/billing/report": Route("role"),  # counts only, no patient
    "GET /api/v1/caseload": Route("role"),
    "POST /api/v1/clinicians": Route("role"),
    "GET /api/v1/icd10": Route("role"),  # reference data, no patient: clinicians only
    "GET /icd10/search": Route("role"),  # the pages' code search: reference data, clinicians only
    "GET /api/v1/clinicians": Route("own"),
    "GET /api/v1/clinicians/<int:clinician_id>/availability": Route("clinician"),
    "PUT /api/v1/clinicians/<int:clinician_id>/availability": Route("clinician"),
    "GET /api/v1/clinicians/<int:clinician_id>/slots": Route("clinician"),
    "GET /api/v1/me": Route("own"),
    "GET /api/v1/openapi.json": Route("public"),
    "POST /api/v1/patients": Route("public"),
    "POST /api/v1/users": Route("role"),
    "GET /appointments": Route("own"),
    "GET /billing/admin": Route("role"),
    "POST /billing/admin/demo/<int:membership_id>": Route("role"),  # billing staff act on memberships
    "POST /billing/admin/events/<event_id>/reprocess": Route("role"),
    "GET /billing/admin/subscribers.csv": Route("role"),
    "POST /billing/checkout": Route("role"),
    "GET /billing/demo/checkout/<token>": Route("capability"),
    "POST /billing/demo/checkout/<token>": Route("capability"),
    "GET /billing/demo/portal": Route("role"),
    "POST /billing/demo/portal": Route("role"),
    "POST /billing/portal": Route("role"),
    "POST /billing/stripe/webhook": Route("webhook"),
    "GET /billing/success": Route("role"),
    "GET /book/confirm": Route("role"),  # IDOR: test_reschedule_links_cannot_name_another_patients_visit
    "POST /book/confirm": Route("role"),
    "GET /calendar/<token>.ics": Route("capability"),
    "GET /care-finder": Route("public"),
    "POST /care-finder": Route("public"),
    "GET /caseload": Route("role"),
    "GET /caseload/minutes": Route("role"),
    "GET /caseload/minutes.csv": Route("role"),
    "GET /check-in": Route("role"),
    "POST /check-in": Route("role"),  # IDOR: test_forms_cannot_redirect_writes_to_another_patient
    "GET /clinicians": Route("public"),
    "GET /clinicians/<int:clinician_id>": Route("clinician"),
    "GET /dashboard": Route("own"),
    "GET /emergency-access": Route("role"),
    "POST /emergency-access": Route("role"),  # break the glass by e-mail: test_emergency_access.py
    "GET /login": Route("public"),
    "POST /login": Route("public"),
    "GET /login/verify": Route("mfa"),
    "POST /login/verify": Route("mfa"),
    "POST /logout": Route("public"),
    "GET /membership": Route("role"),
    "GET /messages": Route("role"),  # patients (to their thread) and clinicians (their inbox); 403 to staff
    "GET /my/record-access": Route("role"),
    "GET /outbox": Route("role"),  # clinicians: texts of their teams' patients only (leak check)
    "GET /password/forgot": Route("public"),
    "POST /password/forgot": Route("public"),
    "GET /password/reset/<token>": Route("capability"),
    "POST /password/reset/<token>": Route("capability"),
    "GET /pricing": Route("public"),
    "GET /review": Route("role"),
    "GET /schedule": Route("role"),  # a clinician's own visits only: test_schedule_grid
    "GET /schedule/availability": Route("role"),
    "POST /schedule/availability": Route("role"),
    "GET /schedule/availability/text": Route("role"),
    "POST /schedule/calendar-feed": Route("role"),
    "GET /settings/sms": Route("role"),
    "POST /settings/sms": Route("role"),
    "GET /signup": Route("public"),
    "POST /signup": Route("public"),
    "POST /sms/twilio/inbound": Route("webhook"),
    "POST /sms/twilio/status": Route("webhook"),
    "GET /welcome/done": Route("role"),
    "GET /welcome/mobile": Route("role"),
    "GET /account/date-of-birth": Route("role"),
    "POST /account/date-of-birth": Route("role"),
    "POST /welcome/mobile": Route("role"),
    "GET /welcome/texts": Route("role"),
    "POST /welcome/texts": Route("role"),
}

# Writes whose allowed callers get a success that changes nothing in this world (checked elsewhere):
WRITES_NOTHING = {
    "POST /patients/<int:patient_id>/care-consent",  # consent is on file already: giving it again is a no-op
    "POST /visits/<visit_token>/join",  # writes only its audit row; the room it hands out: test_video_visits
}
# Routes whose allowed callers succeed only around the visit's start: the cell moves the visit there first.
NEAR_THE_START = {"POST /visits/<visit_token>/join"}


def _into_the_marking_window(connection, appointment: Appointment) -> None:
    """Move the visit to start in 10 minutes (inside the cell's savepoint): complete / no-show are allowed
    from 15 minutes before the start, so a cell of those routes proves the action works, not ``too_early``."""
    start = utcnow().replace(microsecond=0) + timedelta(minutes=10)
    end = start + (appointment.end_at - appointment.start_at)
    connection.execute(
        db.update(Appointment)
        .where(Appointment.id == appointment.id)
        .values(start_at=start, end_at=end, blocked_until=end)
    )
    db.session.expire_all()


PATIENT_ARGS = re.compile(r"<(?:int:)?patient_id>")
APPOINTMENT_ARGS = re.compile(r"<(?:int:)?(?:appointment_id|visit_token)>")
ANY_ARG = re.compile(r"<(?:\w+:)?(\w+)>")


def url_map_routes(app: Flask) -> list[tuple[str, str, str]]:
    """(key, method, rule) for every rule and verb of the URL map."""
    out = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            out.append((f"{method} {rule.rule}", method, rule.rule))
    return sorted(out)


def classify(key: str, method: str, rule: str) -> Route | None:
    """The route's classification; unclassified GETs of patient data get the strictest default."""
    if key in ROUTES:
        return ROUTES[key]
    if method == "GET" and PATIENT_ARGS.search(rule):
        return Route("read")
    if method == "GET" and APPOINTMENT_ARGS.search(rule):
        return Route("appt_participant")
    return None


# --- the URL map is fully classified --------------------------------------------------------------


def test_every_route_is_classified(app):
    unknown = [key for key, method, rule in url_map_routes(app) if classify(key, method, rule) is None]
    assert unknown == [], (
        "Routes the access matrix does not know. Add each to ROUTES in "
        "tests/integration/test_access_roles_matrix.py with its kind (a patient-data kind from KINDS "
        "and a valid body, or one of " + ", ".join(sorted(OTHER_KINDS)) + f"): {unknown}"
    )
    bad = {k: r.kind for k, r in ROUTES.items() if r.kind not in KINDS and r.kind not in OTHER_KINDS}
    assert bad == {}
    # A route with an object id is either patient data or says why it is not.
    for key, _method, rule in url_map_routes(app):
        route = classify(key, _method, rule)
        if PATIENT_ARGS.search(rule) or APPOINTMENT_ARGS.search(rule):
            assert route.kind in KINDS, f"{key} carries a patient's object id but is classified {route.kind!r}"


def test_no_patient_route_is_left_to_the_default(app):
    """The strict default only keeps a new GET route safe until someone classifies it; a route left to
    the default is a decision nobody made, so it fails here (not an xfail that can never go red)."""
    defaulted = [key for key, method, rule in url_map_routes(app) if key not in ROUTES and classify(key, method, rule)]
    assert defaulted == [], f"walked with the strictest default: classify each in ROUTES: {defaulted}"


# --- the matrix ---------------------------------------------------------------------------------------


@pytest.fixture
def world(app, make_patient, make_clinician, make_staff) -> World:
    w = build_world(make_patient, make_clinician, make_staff)
    sign_in_everyone(app, w)
    return w


def _args(world: World, appointment_key: str) -> dict[str, Any]:
    appt = world.appointments[appointment_key]
    return {
        "patient_id": world.a.id,
        "appointment_id": appt.id,
        "visit_token": appt.visit_token,
        "med_id": world.meds["a"],
        "clinician_id": world.users[THERAPIST_ON].id,
        "task_id": world.extra["task_a"],
        "entry_id": world.extra["minutes_a"],
        "index": 0,
        "note_id": world.extra["visit_note_a"],
        "invitation_id": 1,  # refused by the role gate before any lookup (test_staff_invitations has real ones)
    }


def fill(rule: str, args: dict[str, Any]) -> str:
    def one(match: re.Match) -> str:
        name = match.group(1)
        assert name in args, f"the matrix has no value for <{name}> in {rule}: add it to _args()"
        return str(args[name])

    return ANY_ARG.sub(one, rule)


def send(app: Flask, world: World, actor: str, method: str, path: str, body: dict[str, Any] | None):
    if path.startswith("/api/"):
        client = app.test_client()
        return client.open(path, method=method, headers=world.api[actor], json=body if method != "GET" else None)
    browser = world.pages[actor]
    if method == "GET":
        return browser.get(path)
    return browser.open(path, method=method, data={**(body or {}), "csrf_token": world.csrf[actor]})


def expected(kind: str, actor: str, its_clinician: str | None) -> str:
    if actor == ANONYMOUS:
        return LOGIN
    table = KINDS[kind]
    if its_clinician is not None and actor == its_clinician:
        return table.get(ITS_CLINICIAN, ABSENT)
    return table.get(actor, ABSENT)


def verdict(outcome: str, method: str, path: str, response, changed: dict) -> str | None:
    """None when the response honours ``outcome``, else what went wrong."""
    status = response.status_code
    api = path.startswith("/api/")
    if status >= 500:
        return f"server error {status}"
    if outcome != OK and changed:
        return f"{status} but changed {sorted(changed)}"
    if outcome == LOGIN:
        if api:
            return None if status == 401 else f"{status}, wanted 401"
        return None if status == 302 and "/login" in response.headers.get("Location", "") else f"{status}, wanted login"
    if outcome == ABSENT:
        return None if status == 404 else f"{status}, wanted 404"
    if outcome == CONFLICT:
        return None if status == 409 else f"{status}, wanted 409"
    if outcome.startswith(FORBIDDEN):
        code = outcome.partition(":")[2]
        if api:
            if status != 403:
                return f"{status}, wanted 403"
            if code and response.get_json().get("error") != code:
                return f"error {response.get_json().get('error')!r}, wanted {code!r}"
            return None
        ok = status == 403 or (status in (302, 303) and "/login" not in response.headers.get("Location", ""))
        return None if ok else f"{status}, wanted 403 (or a redirect back with nothing changed)"
    # OK: the data, or the action done (a 409 is not: the world is built so that every allowed write works)
    if method == "GET":
        return None if status == 200 else f"{status}, wanted 200"
    allowed = {200, 201, 204} if api else {200, 302, 303}
    return None if status in allowed else f"{status}, wanted success"


def _walk(app: Flask, world: World, keys: list[tuple[str, str, str]]) -> tuple[list, int]:
    connection = test_connection()
    fingerprint = Fingerprint(connection)
    db.session.commit()
    before = fingerprint.take()
    failures, cells = [], 0
    for key, method, rule in keys:
        route = classify(key, method, rule)
        assert route is not None and route.kind in KINDS, key
        targets = ["a_therapist", "a_prescriber"] if route.kind in APPOINTMENT_KINDS else ["a_therapist"]
        for target in targets:
            appt = world.appointments[target]
            its = {world.users[THERAPIST_ON].id: THERAPIST_ON, world.users[PRESCRIBER_ON].id: PRESCRIBER_ON}.get(
                appt.clinician_id
            )
            path = fill(rule, _args(world, target))
            body = route.body(world) if route.body else ({} if method != "GET" else None)
            if "reschedule" in rule:
                body = {"start": world.open_slot[target]}
            if key == START_NOTE:
                body = {"template": NOTE_TEMPLATE[target], "sections": {}}
            for actor in ACTORS:
                outcome = expected(route.kind, actor, its if route.kind in APPOINTMENT_KINDS else None)
                with rolled_back(connection):
                    start = before
                    if route.kind == "appt_clinician" or key in NEAR_THE_START:
                        _into_the_marking_window(connection, appt)
                        start = fingerprint.take()
                    response = send(app, world, actor, method, path, body)
                    changed = Fingerprint.diff(start, fingerprint.take()) if method != "GET" else {}
                cells += 1
                problem = verdict(outcome, method, path, response, changed)
                if not problem and outcome == OK and method != "GET" and not changed and key not in WRITES_NOTHING:
                    if response.status_code in (200, 201, 204, 302, 303):
                        problem = f"{response.status_code} but wrote nothing (a flash of an error?)"
                leaked = leaks(actor, response.get_data(as_text=True)) if outcome != OK else []
                if problem or leaked:
                    failures.append((actor, method, path, problem or f"leaks {leaked}"))
    assert Fingerprint.diff(before, fingerprint.take()) == {}, "the matrix must leave the world as it found it"
    return failures, cells


def _patient_data_routes(app: Flask, *, api: bool) -> list[tuple[str, str, str]]:
    out = []
    for key, method, rule in url_map_routes(app):
        route = classify(key, method, rule)
        if route is not None and route.kind in KINDS and rule.startswith("/api/") == api:
            out.append((key, method, rule))
    return out


def test_access_matrix(app, world):
    """One world, four walks: patient-data API routes, patient-data pages, role-gated routes, and every
    GET route for leaks. All failures are reported together."""
    api_routes = _patient_data_routes(app, api=True)
    page_routes = _patient_data_routes(app, api=False)
    assert len(api_routes) >= 17 and len(page_routes) >= 8, (api_routes, page_routes)
    api_failures, cells = _walk(app, world, api_routes)
    assert cells >= len(api_routes) * len(ACTORS)
    page_failures, _ = _walk(app, world, page_routes)
    # The markers are there to be found by those who may see them (else the leak walk proves nothing).
    console = world.pages[BILLING_ADMIN].get("/billing/admin").get_data(as_text=True).lower()
    own = world.pages[PATIENT_A].get("/membership").get_data(as_text=True).lower()
    assert any(t in console for t in BILLING_TOKENS) and any(t in own for t in BILLING_TOKENS)
    chart = world.pages[THERAPIST_ON].get(f"/patients/{world.a.id}/chart").get_data(as_text=True).lower()
    assert CLINICAL_TOKEN in chart and NAME_TOKEN in chart and TEAM_ONLY_TOKEN in chart
    own = f"/appointments/{world.appointments['a_therapist'].id}/psychotherapy-note"
    assert PSYCHOTHERAPY_TOKEN in world.pages[THERAPIST_ON].get(own).get_data(as_text=True).lower()
    notes = world.pages[PATIENT_A].get(f"/patients/{world.a.id}/visit-notes").get_data(as_text=True).lower()
    assert CLINICAL_TOKEN in notes
    failures = {
        "API": api_failures,
        "pages": page_failures,
        "role gates": _role_gates(app, world),
        "leaks": _leaks_on_every_get(app, world),
    }
    assert {k: v for k, v in failures.items() if v} == {}, "\n".join(
        f"{section}: {item}" for section, items in failures.items() for item in items
    )


# --- routes that are not one patient's: role gates, and no leak anywhere --------------------------


def _access_rule(app: Flask, rule: str, method: str):
    adapter = app.url_map.bind("localhost")
    endpoint, _ = adapter.match(fill(rule, {k: 1 for k in ANY_ARG.findall(rule)}), method=method)
    return getattr(app.view_functions[endpoint], "access_rule", None)


ROLE_OF = {
    PATIENT_A: Role.PATIENT,
    PATIENT_B: Role.PATIENT,
    THERAPIST_ON: Role.CLINICIAN,
    PRESCRIBER_ON: Role.CLINICIAN,
    THERAPIST_OFF: Role.CLINICIAN,
    PRESCRIBER_OFF: Role.CLINICIAN,
    BILLING_ADMIN: Role.BILLING_ADMIN,
    ADMIN: Role.ADMIN,
}


def _role_gates(app: Flask, world: World) -> list:
    """Every ``role`` route: anonymous to the login, a role outside the view's rule 403; every ``own``
    route: anonymous to the login. Nothing changed by any of them."""
    connection = test_connection()
    fingerprint = Fingerprint(connection)
    db.session.commit()
    before = fingerprint.take()
    ids = {"user_id": world.a.id, "membership_id": world.extra["membership_a"], "event_id": "evt_x",
           "clinician_id": world.users[THERAPIST_ON].id, "invitation_id": 1}  # fmt: skip
    failures, checked = [], 0
    for key, method, rule in url_map_routes(app):
        kind = ROUTES.get(key, Route("?")).kind
        if kind not in ("role", "own"):
            continue
        allowed = _access_rule(app, rule, method)
        if kind == "role":
            assert isinstance(allowed, frozenset), (key, allowed)
        path = fill(rule, ids | {"token": "x"})
        for actor in ACTORS:
            if actor != ANONYMOUS and (kind == "own" or ROLE_OF[actor] in allowed):
                continue
            with rolled_back(connection):
                response = send(app, world, actor, method, path, {} if method != "GET" else None)
                changed = Fingerprint.diff(before, fingerprint.take())
            checked += 1
            if actor == ANONYMOUS:
                problem = verdict(LOGIN, method, path, response, changed)
            else:
                status = response.status_code
                problem = f"{status}, wanted 403" if status != 403 else None
                problem = problem or (f"changed {sorted(changed)}" if changed else None)
            if problem:
                failures.append((actor, method, path, problem))
    assert checked > 50
    return failures


def _leaks_on_every_get(app: Flask, world: World) -> list:
    """Every GET route of the URL map, for every actor, with A's ids where the route takes ids: A's name
    reaches only A, the team, billing staff and admins; A's clinical record only A and the team; A's
    billing data only A and billing staff -- never a clinician. And never a 5xx."""
    failures = []
    args = _args(world, "a_therapist") | {"user_id": world.a.id, "token": "x" * 40, "filename": "css/app.css"}
    for _key, method, rule in url_map_routes(app):
        if method != "GET" or rule.startswith("/static/"):
            continue
        path = fill(rule, args | {"clinician_id": world.users[THERAPIST_ON].id})
        for actor in ACTORS:
            response = send(app, world, actor, "GET", path, None)
            if response.status_code >= 500:
                failures.append((actor, path, response.status_code))
            elif found := leaks(actor, response.get_data(as_text=True)):
                failures.append((actor, path, f"shows {found}"))
    return failures


# --- IDOR: another patient's ids where the URL is the caller's own ---------------------------------


def _count(model, **where) -> int:
    query = db.select(db.func.count()).select_from(model)
    for name, value in where.items():
        query = query.where(getattr(model, name) == value)
    return db.session.scalar(query)


def _mixed_ids_in_the_url_are_404(app, world):
    """A's team with B's medication, A with a clinician of B's team, A's id with B's minutes entry."""
    a, b = world.a, world.b
    c = app.test_client()
    pres = world.api[PRESCRIBER_ON]
    r = c.post(
        f"/api/v1/patients/{a.id}/care-plan/medications/{world.meds['b']}/discontinue",
        headers=pres,
        json={"reason": "not yours"},
    )
    assert r.status_code == 404
    assert db.session.get(Medication, world.meds["b"]).status == "active"
    r = c.delete(f"/api/v1/patients/{a.id}/care-team/{world.users[PRESCRIBER_OFF].id}", headers=world.api[PATIENT_A])
    assert r.status_code == 404
    r = c.delete(f"/api/v1/patients/{b.id}/care-team/{world.users[PRESCRIBER_OFF].id}", headers=world.api[PATIENT_A])
    assert r.status_code == 404
    assert _count(CareTeamMember, patient_id=b.id) == 2
    browser = world.pages[THERAPIST_ON]
    r = browser.post(
        f"/patients/{a.id}/minutes/{world.extra['minutes_b']}/delete", data={"csrf_token": world.csrf[THERAPIST_ON]}
    )
    assert r.status_code == 404
    r = browser.post(f"/tasks/{world.extra['task_b']}/done", data={"csrf_token": world.csrf[THERAPIST_ON]})
    assert r.status_code == 404


def _json_bodies_cannot_name_another_patient(app, world):
    """Ids smuggled into bodies are refused (422) and write nothing anywhere, least of all to B."""
    a, b = world.a, world.b
    c = app.test_client()
    team, pat = world.api[THERAPIST_ON], world.api[PATIENT_A]
    base = {
        "a_notes": _count(HandoffNote, patient_id=a.id),
        "b_notes": _count(HandoffNote, patient_id=b.id),
        "b_assessments": _count(Assessment, patient_id=b.id),
    }
    attempts = [
        (team, "POST", f"/api/v1/patients/{a.id}/notes", {"body": "x", "patient_id": b.id}),
        (
            pat,
            "POST",
            f"/api/v1/patients/{a.id}/assessments",
            {"instrument": "GAD-7", "answers": [0] * 7, "patient_id": b.id},
        ),
        (
            team,
            "PATCH",
            f"/api/v1/patients/{a.id}/care-plan",
            {"base_version": _plan_version(world), "patient_id": b.id},
        ),
        (
            world.api[PRESCRIBER_ON],
            "POST",
            f"/api/v1/patients/{a.id}/care-plan/medications",
            {"name": "X", "dose": "1", "frequency": "d", "patient_id": b.id},
        ),
        (
            pat,
            "POST",
            f"/api/v1/appointments/{world.appointments['a_therapist'].id}/cancel",
            {"reason": "x", "appointment_id": world.appointments["b"].id},
        ),
        (
            pat,
            "POST",
            f"/api/v1/appointments/{world.appointments['a_therapist'].id}/reschedule",
            {"start": world.open_slot["a_therapist"], "appointment_id": world.appointments["b"].id},
        ),
    ]
    for headers, method, path, body in attempts:
        r = c.open(path, method=method, headers=headers, json=body)
        assert r.status_code == 422, (path, r.status_code)
        assert r.get_json()["error"] == "invalid"
    assert base == {
        "a_notes": _count(HandoffNote, patient_id=a.id),
        "b_notes": _count(HandoffNote, patient_id=b.id),
        "b_assessments": _count(Assessment, patient_id=b.id),
    }
    assert db.session.get(Appointment, world.appointments["b"].id).status == "booked"
    assert db.session.get(Appointment, world.appointments["a_therapist"].id).status == "booked"


def _care_plan_owners_must_be_on_the_team(app, world):
    """An intervention's ``owner_id`` names someone on A's care team: not patient B, not a clinician of
    another team (whose name the plan history would then show to A and A's team)."""
    c = app.test_client()
    path = f"/api/v1/patients/{world.a.id}/care-plan"
    for stranger in (world.b, world.users[THERAPIST_OFF], world.users[ADMIN]):
        body = {"base_version": _plan_version(world), "interventions": [{"text": "CBT", "owner_id": stranger.id}]}
        r = c.patch(path, headers=world.api[THERAPIST_ON], json=body)
        assert r.status_code == 422, (stranger.name, r.status_code)
        assert "owner_id" in str(r.get_json()["fields"])
    ok = {
        "base_version": _plan_version(world),
        "interventions": [{"text": "Medication review", "owner_id": world.users[PRESCRIBER_ON].id}],
    }
    assert c.patch(path, headers=world.api[THERAPIST_ON], json=ok).status_code == 200


def _booking_body_cannot_name_another_patient(app, world):
    c = app.test_client()
    therapist = world.users[THERAPIST_ON]
    day = (utcnow() + timedelta(days=6)).date()
    from app.booking import openings

    start = openings.open_slots(therapist, "therapy_session", day, day, "UTC")[0][0].isoformat()
    before = _count(Appointment, patient_id=world.b.id)
    body = {"clinician_id": therapist.id, "type": "therapy_session", "start": start}
    r = c.post("/api/v1/appointments", headers=world.api[PATIENT_A], json=body | {"patient_id": world.b.id})
    assert r.status_code == 422
    # A clinician id that is a patient is not a clinician.
    r = c.post("/api/v1/appointments", headers=world.api[PATIENT_A], json=body | {"clinician_id": world.b.id})
    assert r.status_code == 422
    assert _count(Appointment, patient_id=world.b.id) == before
    # Query strings do not widen lists either.
    mine = c.get(f"/api/v1/appointments?patient_id={world.b.id}", headers=world.api[PATIENT_A])
    assert mine.status_code == 200
    assert {x["patient_id"] for x in mine.get_json()} == {world.a.id}


def _reschedule_links_cannot_name_another_patients_visit(app, world):
    """The booking pages carry the appointment to move in the form and query: B's id gets 404 and B's
    visit does not move; the confirmation page shows nothing of B's visit."""
    b_appt = world.appointments["b"]
    browser = world.pages[PATIENT_A]
    clinician = db.session.get(Appointment, b_appt.id).clinician_id
    start = world.open_slot["b"]
    r = browser.post(
        "/book/confirm",
        data={
            "csrf_token": world.csrf[PATIENT_A],
            "clinician": clinician,
            "type": b_appt.type,
            "start": start,
            "reschedule": b_appt.id,
        },
    )
    assert r.status_code == 404
    moved = db.session.get(Appointment, b_appt.id)
    assert moved.start_at == b_appt.start_at and moved.status == "booked"
    page = browser.get(
        "/book/confirm",
        query_string={"clinician": clinician, "type": b_appt.type, "start": start, "reschedule": b_appt.id},
    )
    assert page.status_code == 404
    assert "Blake" not in page.get_data(as_text=True)
    # A's own cancel form naming B's appointment cancels A's only.
    a_appt = world.appointments["a_therapist"]
    r = browser.post(
        f"/appointments/{a_appt.id}/cancel", data={"csrf_token": world.csrf[PATIENT_A], "appointment_id": b_appt.id}
    )
    assert r.status_code == 302
    assert db.session.get(Appointment, b_appt.id).status == "booked"
    assert db.session.get(Appointment, a_appt.id).status == "cancelled"


def _forms_cannot_redirect_writes_to_another_patient(app, world):
    """``patient_id`` in a form is ignored: the URL (or the session) names the patient."""
    a, b = world.a, world.b
    before_b = (_count(Assessment, patient_id=b.id), _count(HandoffNote, patient_id=b.id))
    patient = world.pages[PATIENT_A]
    form = {f"q{i}": "0" for i in range(7)} | {
        "instrument": "GAD-7",
        "patient_id": b.id,
        "csrf_token": world.csrf[PATIENT_A],
    }
    assert patient.post("/check-in", data=form).status_code == 200
    team = world.pages[THERAPIST_ON]
    r = team.post(
        f"/patients/{a.id}/chart/notes",
        data={"body": "for A", "patient_id": b.id, "csrf_token": world.csrf[THERAPIST_ON]},
    )
    assert r.status_code == 302
    assert (_count(Assessment, patient_id=b.id), _count(HandoffNote, patient_id=b.id)) == before_b
    # The caller's own lists ignore ids in the query string.
    mine = patient.get(f"/my/record-access?patient={b.id}&patient_id={b.id}").get_data(as_text=True)
    assert "Marrowdale" not in mine


def test_idor_variants(app, world):
    """Each variant in its own rolled-back savepoint, so none sees another's changes."""
    connection = test_connection()
    for check in (
        _mixed_ids_in_the_url_are_404,
        _json_bodies_cannot_name_another_patient,
        _care_plan_owners_must_be_on_the_team,
        _booking_body_cannot_name_another_patient,
        _reschedule_links_cannot_name_another_patients_visit,
        _forms_cannot_redirect_writes_to_another_patient,
    ):
        with rolled_back(connection):
            check(app, world)


def test_a_role_the_route_refuses_gets_403_naming_the_roles_that_may(client, make_patient, auth_headers):
    response = client.get("/api/v1/billing/report", headers=auth_headers(make_patient()))
    assert response.status_code == 403
    assert response.get_json() == {
        "error": "forbidden",
        "message": "Your role may not do this.",
        "required_roles": ["admin", "billing_admin"],
    }


def test_a_patient_is_told_a_team_only_action_is_for_their_care_team(client, make_patient, auth_headers):
    patient = make_patient()
    response = client.post(f"/api/v1/patients/{patient.id}/notes", headers=auth_headers(patient), json={"body": "hi"})
    assert response.status_code == 403
    assert response.get_json() == {"error": "forbidden", "message": "This is for your care team."}


def test_a_team_member_is_told_only_the_patient_changes_the_team(client, team, make_clinician, auth_headers):
    p, therapist = team["patient"], team["therapist"]
    path = f"/api/v1/patients/{p.id}/care-team/{therapist.id}"
    refused = client.delete(path, headers=team["h"]["prescriber"])
    assert refused.status_code == 403
    assert refused.get_json() == {
        "error": "forbidden",
        "message": "Only the patient changes who is on their care team.",
    }
    assert client.delete(path, headers=auth_headers(make_clinician("MD"))).status_code == 404  # not on the team
    assert client.delete(path, headers=team["h"]["patient"]).status_code == 204


def test_an_id_that_is_no_patients_is_404_even_to_its_owner(client, make_clinician, auth_headers):
    clinician = make_clinician("MD")
    for patient_id in (clinician.id, 999_999):
        response = client.get(f"/api/v1/patients/{patient_id}/care-plan", headers=auth_headers(clinician))
        assert response.status_code == 404, patient_id

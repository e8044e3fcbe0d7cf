"""The eight actors of the access contract around two patients, signed in for the API and the pages, and
the tools the security tests share: a fingerprint of every table and a savepoint per request.

Patient A booked with a prescriber and a therapist (both on A's care team); patient B booked with two other
clinicians, who are therefore real clinicians with patients of their own, only not A's. Every patient-data
row of A carries a distinctive marker (name, medication, goal, note...) so a test can tell when A's data
shows up in a response meant for someone else.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, MetaData, select

from app.accounts.user import User
from app.auth import service as auth_service
from app.billing.membership import Membership
from app.booking import openings
from app.booking import service as booking
from app.booking.appointment import Appointment
from app.care_team import consent, handoff, minutes
from app.care_team import service as care
from app.care_team.task import Task
from app.db import utcnow
from app.extensions import db
from app.messaging import service as messaging
from tests.conftest import PASSWORD
from tests.integration.conftest import IsolatedClient, csrf_token_from, totp_code

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}

ANONYMOUS = "anonymous"
PATIENT_A = "patient A"
PATIENT_B = "patient B"
THERAPIST_ON = "therapist on the team"
PRESCRIBER_ON = "prescriber on the team"
THERAPIST_OFF = "therapist off the team"
PRESCRIBER_OFF = "prescriber off the team"
BILLING_ADMIN = "billing admin"
ADMIN = "admin"
ACTORS = (
    ANONYMOUS,
    PATIENT_A,
    PATIENT_B,
    THERAPIST_ON,
    PRESCRIBER_ON,
    THERAPIST_OFF,
    PRESCRIBER_OFF,
    BILLING_ADMIN,
    ADMIN,
)

# Markers in patient A's record. The name may reach A, A's care team, billing staff (who bill A) and admins
# (who run the accounts); the clinical markers only A and A's care team; the team-only markers (handoff
# notes, care-management minutes) only the team; the billing marker only A and billing staff (billing
# admins and admins) -- never a clinician.
A_NAME = "Avery Quillfeather"
NAME_TOKEN = "quillfeather"
CLINICAL_TOKEN = "zorba"
TEAM_ONLY_TOKEN = "kestrel"  # handoff notes and minutes: the team's, not even the patient's
# A psychotherapy note of the therapist on A's team: its author's alone (not A, not the rest of the team).
PSYCHOTHERAPY_TOKEN = "nightjar"
# A's membership runs to an unmistakable date: shown on the billing console and A's membership page.
BILLING_END = datetime(2037, 7, 19, 15, 0, tzinfo=UTC)
BILLING_TOKENS = ("2037-07", "jul 19, 2037", "july 19, 2037", "19 jul 2037", "07/19/2037")
A_MARKERS = {
    "medication": "Zorbazepam",
    "goal": "Walk the Zorba harbour wall",
    "problem": "Zorba insomnia",
    "note": "Kestrel handoff: sleep worse",
    "minutes note": "Kestrel outreach call",
    "message": "Zorba question: may I skip a dose before the trip?",  # a secure message: A and A's team
}
SEES_NAME = {PATIENT_A, THERAPIST_ON, PRESCRIBER_ON, BILLING_ADMIN, ADMIN}
SEES_CLINICAL = {PATIENT_A, THERAPIST_ON, PRESCRIBER_ON}
SEES_TEAM_ONLY = {THERAPIST_ON, PRESCRIBER_ON}
SEES_BILLING = {PATIENT_A, BILLING_ADMIN, ADMIN}


def leaks(actor: str, body: str) -> list[str]:
    """Which of A's markers ``body`` shows that ``actor`` may not see."""
    text = body.lower()
    found = []
    checks = [(NAME_TOKEN, SEES_NAME), (CLINICAL_TOKEN, SEES_CLINICAL), (TEAM_ONLY_TOKEN, SEES_TEAM_ONLY)]
    checks += [(PSYCHOTHERAPY_TOKEN, {THERAPIST_ON})]
    checks += [(token, SEES_BILLING) for token in BILLING_TOKENS]
    for token, allowed in checks:
        if actor not in allowed and token in text:
            found.append(token)
    return found


@dataclass
class World:
    users: dict[str, User]
    api: dict[str, dict[str, str]]  # actor -> request headers (empty for anonymous)
    appointments: dict[str, Appointment]  # "a_prescriber", "a_therapist", "b", "a_cancelled"
    meds: dict[str, int]  # "a", "b": an active medication of each patient
    extra: dict[str, int] = field(default_factory=dict)  # "task_a", "minutes_a", "membership_a"...
    open_slot: dict[str, str] = field(default_factory=dict)  # appointment key -> an open start for rescheduling
    pages: dict[str, FlaskClient] = field(default_factory=dict)  # actor -> signed-in browser
    csrf: dict[str, str] = field(default_factory=dict)

    @property
    def a(self) -> User:
        return self.users[PATIENT_A]

    @property
    def b(self) -> User:
        return self.users[PATIENT_B]


def _book(patient: User, clinician: User, kind: str, day_offset: int, n: int) -> Appointment:
    day = (utcnow() + timedelta(days=day_offset)).date()
    start = openings.open_slots(clinician, kind, day, day, "America/New_York")[n][0]
    return booking.book(patient, clinician.id, kind, start)


def build_world(
    make_patient: Callable[..., User],
    make_clinician: Callable[..., User],
    make_staff: Callable[..., User],
    *,
    names: dict[str, str] | None = None,
) -> World:
    names = names or {}
    a = make_patient(name=names.get(PATIENT_A, A_NAME))
    b = make_patient(name=names.get(PATIENT_B, "Blake Marrowdale"))
    people = {
        PATIENT_A: a,
        PATIENT_B: b,
        THERAPIST_ON: make_clinician("LCSW", name=names.get(THERAPIST_ON, "Theo On-Team")),
        PRESCRIBER_ON: make_clinician("MD", name=names.get(PRESCRIBER_ON, "Dr. Petra On-Team")),
        THERAPIST_OFF: make_clinician("PsyD", name=names.get(THERAPIST_OFF, "Tess Off-Team")),
        PRESCRIBER_OFF: make_clinician("DO", name=names.get(PRESCRIBER_OFF, "Dr. Otto Off-Team")),
        BILLING_ADMIN: make_staff("billing_admin", name=names.get(BILLING_ADMIN, "Bill Ledger")),
        ADMIN: make_staff("admin", name=names.get(ADMIN, "Ada Admin")),
    }
    for role in (THERAPIST_ON, PRESCRIBER_ON, THERAPIST_OFF, PRESCRIBER_OFF):
        booking.update_availability(people[role], EVERY_DAY, actor=people[role])
    extra: dict[str, int] = {}
    for key, patient in (("a", a), ("b", b)):
        extra[f"membership_{key}"] = _membership(patient, key, BILLING_END if patient is a else None)
    appointments = {
        "a_prescriber": _book(a, people[PRESCRIBER_ON], "initial_consultation", 3, 0),
        "a_therapist": _book(a, people[THERAPIST_ON], "therapy_session", 3, 4),
        "a_cancelled": _book(a, people[THERAPIST_ON], "initial_consultation", 4, 0),
        "b": _book(b, people[PRESCRIBER_OFF], "initial_consultation", 3, 0),
        "b_therapist": _book(b, people[THERAPIST_OFF], "therapy_session", 3, 4),
    }
    booking.cancel(a, appointments["a_cancelled"].id, "Work trip")
    pres_a, pres_b = people[PRESCRIBER_ON], people[PRESCRIBER_OFF]
    meds = {
        "a": care.add_medication(
            pres_a, a.id, {"name": A_MARKERS["medication"], "dose": "5 mg", "frequency": "nightly", "instructions": ""}
        ).id,
        "b": care.add_medication(
            pres_b, b.id, {"name": "Marrowtine", "dose": "1 mg", "frequency": "daily", "instructions": ""}
        ).id,
    }
    plan_a = {
        "goals": [{"text": A_MARKERS["goal"], "target": "3 times a week", "status": "active"}],
        "problems": [{"text": A_MARKERS["problem"], "code": "G47.0"}],
        "interventions": [{"text": "CBT-I", "modality": "CBT", "owner_id": people[THERAPIST_ON].id}],
    }
    care.patch_plan(people[THERAPIST_ON], a.id, care.get_plan(a, a.id)[0].version, plan_a)
    handoff.add_note(people[THERAPIST_ON], a.id, A_MARKERS["note"])
    care.add_assessment(a, a.id, "PHQ-9", [1] * 8 + [1])  # item 9 positive: urgent tasks for the team
    messaging.send(a, a.id, A_MARKERS["message"])
    handoff.add_note(pres_b, b.id, "Marrow handoff")
    care.add_assessment(b, b.id, "GAD-7", [1] * 7)
    care.add_assessment(b, b.id, "PHQ-9", [0] * 8 + [1])  # a task of B's team, for the IDOR checks
    extra["task_a"] = db.session.scalars(
        select(Task.id).where(Task.patient_id == a.id, Task.owner_id == people[THERAPIST_ON].id)
    ).one()
    extra["task_b"] = db.session.scalars(
        select(Task.id).where(Task.patient_id == b.id, Task.owner_id == people[PRESCRIBER_OFF].id)
    ).one()
    _optional_records(people, a, b, extra)
    api = {ANONYMOUS: {}}
    for actor, user in people.items():
        api[actor] = {"Authorization": "Bearer " + auth_service.issue_token(user, timedelta(hours=2))}
    world = World(users=people, api=api, appointments=appointments, meds=meds, extra=extra)
    _visit_notes(world)
    for key in ("a_prescriber", "a_therapist", "b"):
        appt = appointments[key]
        clinician = db.session.get(User, appt.clinician_id)
        day = (appt.start_at + timedelta(days=1)).date()
        kind = appt.type
        start = openings.open_slots(clinician, kind, day, day, "UTC")[2][0]
        world.open_slot[key] = start.isoformat()
    return world


def _membership(patient: User, key: str, ends: datetime | None) -> int:
    """A trialing membership (booking therapy needs one); A's ends on the billing marker's date."""
    row = db.session.scalar(select(Membership).where(Membership.patient_id == patient.id))
    if row is None:
        row = Membership(patient_id=patient.id)
        db.session.add(row)
    row.customer_id, row.subscription_id, row.plan, row.status = f"cus_{key}", f"sub_{key}", "monthly", "trialing"
    row.trial_end = row.current_period_end = ends or utcnow() + timedelta(days=7)
    row.trial_used, row.updated_at = True, utcnow()
    db.session.commit()
    return row.id


def _optional_records(people: dict[str, User], a: User, b: User, extra: dict[str, int]) -> None:
    """Consent to collaborative care, and care-management minutes of each team."""
    consent.give(a, "care_plan")
    consent.give(b, "care_plan")
    therapist = people[THERAPIST_ON]
    extra["minutes_a"] = minutes.log(
        therapist, a.id, minutes.today_for(therapist), 20, "outreach", A_MARKERS["minutes note"]
    ).id
    other = people[PRESCRIBER_OFF]
    extra["minutes_b"] = minutes.log(other, b.id, minutes.today_for(other), 10, "outreach", "Marrow call").id


def _visit_notes(world: World) -> None:
    """A signed visit note of A's (a later therapy session, written and signed by the therapist on the
    team) and that therapist's psychotherapy note of the ``a_therapist`` session, each with its marker."""
    from app.notes import psychotherapy
    from app.notes import service as visit_notes

    therapist = world.users[THERAPIST_ON]
    later = _book(world.a, therapist, "therapy_session", 5, 0)
    note = visit_notes.start_note(therapist, later.id, "soap", {"subjective": "Zorba harbour walks help"})
    world.extra["visit_note_a"] = visit_notes.sign(therapist, note.id).id
    psychotherapy.write(therapist, world.appointments["a_therapist"].id, "Nightjar: process notes of the session")


def sign_in(app: Flask, user: User | None) -> FlaskClient:
    """A browser of its own (its own cookie jar) signed in through the real login form, two-factor
    enrolment included for staff; None gives an anonymous browser."""
    app.test_client_class = IsolatedClient
    browser = app.test_client()
    if user is None:
        return browser
    token = csrf_token_from(browser.get("/login").get_data(as_text=True))
    response = browser.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    step = response.headers["Location"]
    if "/account/mfa/setup" in step or "/login/verify" in step:
        page = browser.get(step).get_data(as_text=True)
        done = browser.post(step, data={"code": totp_code(user), "csrf_token": csrf_token_from(page)})
        assert done.status_code in (200, 302), done.get_data(as_text=True)[:500]
    assert browser.get("/account").status_code == 200
    return browser


def sign_in_everyone(app: Flask, world: World) -> None:
    for actor in ACTORS:
        browser = sign_in(app, world.users.get(actor))
        world.pages[actor] = browser
        world.csrf[actor] = csrf_token_from(
            browser.get("/login" if actor == ANONYMOUS else "/account").get_data(as_text=True)
        )


# --- the database, before and after ---------------------------------------------------------------

# The audit trail records reads by design; a session's last-seen time moves with every request.
NOT_STATE = {"audit_events": None, "login_sessions": {"last_seen_at"}, "alembic_version": None}


def _tables(connection: Connection) -> MetaData:
    meta = MetaData()
    meta.reflect(bind=connection)
    return meta


class Fingerprint:
    """Row count and content digest of every table (the audit trail and session bookkeeping aside)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.queries: list[tuple[str, str]] = []
        for name, table in sorted(_tables(connection).tables.items()):
            if name in NOT_STATE and NOT_STATE[name] is None:
                continue
            skip = NOT_STATE.get(name) or set()
            cols = [c for c in table.columns if c.name not in skip]
            query = select(*cols).order_by(*(table.primary_key.columns or cols))
            sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
            self.queries.append((name, sql))

    def take(self) -> dict[str, tuple[int, str]]:
        out: dict[str, tuple[int, str]] = {}
        for name, sql in self.queries:
            rows = self.connection.exec_driver_sql(sql).all()
            out[name] = (len(rows), hashlib.sha256(repr(rows).encode()).hexdigest()[:16])
        return out

    @staticmethod
    def diff(before: dict[str, tuple[int, str]], after: dict[str, tuple[int, str]]) -> dict[str, Any]:
        return {
            name: (before.get(name), after.get(name))
            for name in sorted(set(before) | set(after))
            if before.get(name) != after.get(name)
        }


def test_connection() -> Connection:
    """The connection the test's transaction runs on (conftest binds every session to it)."""
    return db.session.connection()


test_connection.__test__ = False  # type: ignore[attr-defined]


@contextmanager
def rolled_back(connection: Connection) -> Iterator[None]:
    """Run requests inside a savepoint that is rolled back, so every cell of a matrix sees the same
    world. Plain SQL savepoints: the requests' own sessions open (and end) theirs inside this one, and
    whatever the test's own session opened inside is rolled back first."""
    db.session.commit()  # nothing of the test's own session is left open inside the savepoint
    connection.exec_driver_sql("SAVEPOINT security_matrix_cell")
    try:
        yield
    finally:
        db.session.rollback()
        connection.exec_driver_sql("ROLLBACK TO SAVEPOINT security_matrix_cell")
        connection.exec_driver_sql("RELEASE SAVEPOINT security_matrix_cell")
        db.session.expire_all()

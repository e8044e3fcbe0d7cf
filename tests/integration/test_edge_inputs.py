"""Inputs at the edges of their types never crash a route (issue 15 §5): dates at the ends of the
calendar, integers beyond a column, NUL in a path, hostile but validly signed Stripe events, a
provider's permanent "no such subscription", racing first medication adds, and clinical answers of
the wrong JSON type. Each case was a 500 (or a wrong 503 / a silently stored string) before.

Every test runs on SQLite and on PostgreSQL (``make test`` runs the suite on both).
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import flask_migrate
import pytest
from sqlalchemy import delete, select, text

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup
from app.accounts.user import User
from app.auth import service as auth_service
from app.billing.events import MAX_CREATED
from app.billing.membership import Membership
from app.billing.stripe_event import StripeEvent
from app.booking import openings
from app.booking import service as booking
from app.care_team.assessment import Assessment
from app.care_team.medication import Medication
from app.care_team.plan import CarePlan, CarePlanVersion
from app.db import utcnow
from app.extensions import db
from tests.conftest import PASSWORD, TEST_SECRET
from tests.fakes.stripe_server import FakeStripe
from tests.integration.conftest import REAL_SESSION, give_membership

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
FAR_FUTURE = ["9999-12-31T23:59:00Z", "9999-12-31T23:59:00-05:00", "3000-01-01T00:00Z"]
FAR_PAST = ["0001-01-01T00:00:00+05:00", "0001-01-01T00:00:00Z", "1899-12-31T23:00:00-01:00"]


@pytest.fixture
def visit(client, make_patient, make_clinician, auth_headers):
    """A therapist free all day and a member patient with one booked visit."""
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(therapist, EVERY_DAY, actor=therapist)
    patient = make_patient()
    day = (utcnow() + timedelta(days=3)).date()
    start = openings.open_slots(therapist, "therapy_session", day, day, "America/New_York")[0][0]
    appointment = booking.book(patient, therapist.id, "therapy_session", start)
    return {"therapist": therapist, "patient": patient, "appointment": appointment, "h": auth_headers(patient)}


def _invalid(response, field: str | None = None) -> bool:
    body = response.get_json() or {}
    ok = response.status_code == 422 and body.get("error") == "invalid" and isinstance(body.get("fields"), dict)
    return ok and (field is None or any(k.split(".")[0] == field for k in body["fields"]))


# --- dates at the ends of the calendar ----------------------------------------------------------------


@pytest.mark.parametrize("week", ["9999-12-31", "9999-12-27", "0001-01-01", "0001-01-07", "2999-12-31", "1900-01-01"])
def test_profile_week_at_the_calendar_ends_falls_back_to_a_week(client, visit, week):
    response = client.get(f"/clinicians/{visit['therapist'].id}?week={week}")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("first", "last"),
    [("0001-01-01", "0001-01-07"), ("9999-12-25", "9999-12-31"), ("0001-01-01", "0001-01-01"),
     ("9999-12-31", "9999-12-31"), ("1899-12-31", "1900-01-05"), ("2999-12-30", "3000-01-02")],
)  # fmt: skip
def test_slot_ranges_at_the_calendar_ends_are_422(client, visit, first, last):
    response = client.get(f"/api/v1/clinicians/{visit['therapist'].id}/slots", headers=visit["h"],
                          query_string={"type": "therapy_session", "from": first, "to": last})  # fmt: skip
    assert _invalid(response), (first, last, response.status_code, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("start", FAR_FUTURE + FAR_PAST)
def test_booking_and_rescheduling_at_the_calendar_ends_are_422(client, visit, start):
    therapist, headers = visit["therapist"], visit["h"]
    booked = client.post("/api/v1/appointments", headers=headers,
                         json={"clinician_id": therapist.id, "type": "therapy_session", "start": start})  # fmt: skip
    assert _invalid(booked, "start"), (start, booked.status_code, booked.get_data(as_text=True)[:300])
    moved = client.post(f"/api/v1/appointments/{visit['appointment'].id}/reschedule", headers=headers,
                        json={"start": start})  # fmt: skip
    assert _invalid(moved, "start"), (start, moved.status_code, moved.get_data(as_text=True)[:300])


# A JSON number is not a time: lax parsing would read it as seconds since 1970 and book that instant.
@pytest.mark.parametrize("start", [1893456000, 1893456000.5, True])
def test_a_start_written_as_a_number_is_422(client, visit, start):
    body = {"clinician_id": visit["therapist"].id, "type": "therapy_session", "start": start}
    booked = client.post("/api/v1/appointments", headers=visit["h"], json=body)
    assert _invalid(booked, "start"), (start, booked.status_code, booked.get_data(as_text=True)[:300])


@pytest.mark.parametrize("start", ["2999-12-31T23:59:00-12:00", "1900-01-01T00:00:00+14:00"])
def test_booking_at_the_ends_of_the_sane_range_is_simply_not_a_slot(client, visit, start):
    body = {"clinician_id": visit["therapist"].id, "type": "therapy_session", "start": start}
    booked = client.post("/api/v1/appointments", headers=visit["h"], json=body)
    assert booked.status_code == 409 and booked.get_json()["error"] == "slot_unavailable"
    moved = client.post(f"/api/v1/appointments/{visit['appointment'].id}/reschedule", headers=visit["h"],
                        json={"start": start})  # fmt: skip
    assert moved.status_code == 409


@pytest.mark.parametrize("start", ["9999-12-31T23:59Z", "0001-01-01T00:00+05:00", "9999-12-31T23:59:59.999999+00:00"])
def test_confirm_page_at_the_calendar_ends_is_refused_not_crashed(client, visit, browser_login, start):
    browser = browser_login(visit["patient"])
    query = {"clinician": visit["therapist"].id, "type": "therapy_session", "start": start}
    for extra in ({}, {"reschedule": visit["appointment"].id}):
        page = browser.get("/book/confirm", query_string={**query, **extra})
        assert 400 <= page.status_code < 500, (start, extra, page.status_code)
        token = browser.get("/account").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
        sent = browser.post("/book/confirm", data={**query, **extra, "care_consent": "yes", "csrf_token": token})
        assert 400 <= sent.status_code < 500, (start, extra, sent.status_code)


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "3000-01-01", "1899-12-31"])
def test_availability_override_at_the_calendar_ends_is_422(client, visit, auth_headers, day):
    therapist = visit["therapist"]
    response = client.put(f"/api/v1/clinicians/{therapist.id}/availability", headers=auth_headers(therapist),
                          json={"overrides": [{"date": day, "intervals": []}]})  # fmt: skip
    assert _invalid(response, "overrides"), response.get_data(as_text=True)[:300]


# --- the admins' audit search ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [{"patient": "9" * 25}, {"patient": str(2**63)}, {"patient": str(2**31)}, {"actor": str(2**64)},
     {"actor": "9" * 5000}, {"patient": "9" * 5000}, {"until": "9999-12-31"}, {"since": "0001-01-01"},
     {"until": "0001-01-01"}, {"patient": "²"}, {"actor": "١٢"}, {"page": str(2**70)}],
)  # fmt: skip
def test_audit_filters_beyond_their_types_are_refused_not_crashed(client, make_staff, browser_login, query):
    browser = browser_login(make_staff("admin"))
    search = browser.get("/admin/audit", query_string=query)
    assert search.status_code in (200, 422), search.status_code
    name = next(iter(query))
    if name != "page":
        assert "error" in search.get_data(as_text=True).lower() or search.status_code == 422
    export = browser.get("/admin/audit/export.csv", query_string=query)
    assert export.status_code == (200 if name == "page" else 422), export.status_code


# --- NUL in the path --------------------------------------------------------------------------------------


def test_nul_in_a_path_is_not_found_and_in_a_query_is_refused(client, visit, browser_login):
    browser = browser_login(visit["patient"])
    for path in ("/visits/%00", "/visits/a%00b", "/calendar/%00.ics", "/password/reset/%00",
                 "/billing/demo/checkout/%00"):  # fmt: skip
        assert browser.get(path).status_code == 404, path
    assert client.get("/calendar/x%00.ics").status_code == 404
    me = client.get("/api/v1/me", headers=visit["h"], query_string={"q": "a\x00"})
    assert _invalid(me, "q")  # the API's invalid input, in the contract's shape
    assert client.get("/clinicians", query_string={"state": "\x00"}).status_code == 400  # a page: bad request


# --- Stripe events, validly signed --------------------------------------------------------------------------


@pytest.fixture
def stripe_fake(app, monkeypatch):
    fake = FakeStripe()
    settings = {"BILLING_BACKEND": "stripe", "STRIPE_SECRET_KEY": "sk_test_fake_0123456789",
                "STRIPE_WEBHOOK_SECRET": fake.webhook_secret, "STRIPE_API_BASE": fake.base_url}  # fmt: skip
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    # billing's views pass the settings object on to its services
    monkeypatch.setitem(app.config, "SETTINGS", app.config["SETTINGS"].model_copy(update=settings))
    yield fake
    fake.close()


def _deliver(client, fake: FakeStripe, payload: str):
    return client.post("/billing/stripe/webhook", data=payload, headers={"Stripe-Signature": fake.sign(payload)},
                       content_type="application/json")  # fmt: skip


def _event(fake: FakeStripe, kind: str = "charge.refunded", **changes) -> dict:
    """A signed event of a type we do not act on (``charge.refunded``) unless ``kind`` says otherwise."""
    event = fake.event(kind, {"id": "sub_nobody", "object": "subscription"})
    event.update(changes)
    return event


@pytest.mark.parametrize("depth", [200, 5_000, 100_000])
def test_a_deeply_nested_signed_event_is_a_4xx(client, stripe_fake, depth):
    event = _event(stripe_fake)
    body = json.dumps(event)
    nested = '"deep": ' + "[" * depth + "]" * depth
    payload = body[:-1] + ", " + nested + "}"
    response = _deliver(client, stripe_fake, payload)
    assert response.status_code in (200, 400), response.status_code
    assert response.get_json()["error" if response.status_code == 400 else "received"]


@pytest.mark.parametrize(
    ("created", "kept"),
    [("yesterday", None), ("12abc", None), (10**30, None), (-(10**30), None), (2**31, 2**31), (2**63, None),
     (1.5e300, None), (True, None), (None, 0), ([1], None), ({}, None)],
)  # fmt: skip
def test_an_odd_created_is_refused_or_kept_as_it_is_never_a_500(client, stripe_fake, created, kept):
    # A whole number of seconds within 0..MAX_CREATED is kept (2038 and later too), null as 0; anything else
    # is refused with a 400 and leaves no row.
    event = _event(stripe_fake, created=created)
    response = _deliver(client, stripe_fake, json.dumps(event))
    row = db.session.get(StripeEvent, event["id"])
    if kept is None:
        assert response.status_code == 400, response.get_json()
        assert row is None
    else:
        assert response.status_code == 200, response.get_json()
        assert row is not None and row.created == kept <= MAX_CREATED


@pytest.mark.parametrize("event_id", ["evt_" + "x" * 300, "evt_\x00", "", "e" * 256])
def test_an_id_longer_than_the_column_is_refused(client, stripe_fake, event_id):
    event = _event(stripe_fake, id=event_id)
    response = _deliver(client, stripe_fake, json.dumps(event))
    assert response.status_code == 400, response.get_json()
    assert db.session.scalar(select(db.func.count()).select_from(StripeEvent)) == 0


def test_times_after_2038_are_kept(client, stripe_fake, make_patient):
    """Unix seconds beyond 32 bits (2038-01-19) are ordinary Stripe times: events and subscriptions keep them."""
    patient = make_patient(member=False)
    later = 2**31 + 86_400
    sub = {"id": "sub_2038", "object": "subscription", "customer": "cus_2038", "status": "active", "created": later,
           "metadata": {"patient_id": str(patient.id)}, "cancel_at_period_end": False,
           "items": {"object": "list", "data": [{"price": {"id": "price_x"}}]}}  # fmt: skip
    stripe_fake.subscriptions["sub_2038"] = sub
    event = stripe_fake.event("customer.subscription.updated", sub, created=later + 60)
    response = _deliver(client, stripe_fake, json.dumps(event))
    assert response.status_code == 200 and response.get_json()["outcome"] == "processed", response.get_json()
    assert db.session.get(StripeEvent, event["id"]).created == later + 60
    row = db.session.scalar(select(Membership).where(Membership.patient_id == patient.id))
    assert row.subscription_created == later and row.status == "active"


def test_an_id_as_long_as_the_column_is_kept(client, stripe_fake):
    event = _event(stripe_fake, id="evt_" + "y" * 251)
    assert _deliver(client, stripe_fake, json.dumps(event)).status_code == 200
    assert db.session.get(StripeEvent, event["id"]).outcome == "ignored"


def test_a_subscription_stripe_does_not_know_is_recorded_and_acknowledged(client, stripe_fake):
    event = _event(stripe_fake, "customer.subscription.updated")  # sub_nobody: the fake answers 404
    response = _deliver(client, stripe_fake, json.dumps(event))
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["outcome"] == "ignored"
    row = db.session.get(StripeEvent, event["id"])
    assert row.outcome == "ignored" and "sub_nobody" in row.detail and "provider" in row.detail
    assert _deliver(client, stripe_fake, json.dumps(event)).get_json()["outcome"] == "duplicate"


def test_a_transient_provider_failure_is_still_503(client, stripe_fake):
    event = _event(stripe_fake, "customer.subscription.updated")
    stripe_fake.fail_next.extend([500, 500, 500])
    assert _deliver(client, stripe_fake, json.dumps(event)).status_code == 503
    assert db.session.get(StripeEvent, event["id"]).outcome == "failed"


# --- three first medication adds at once -----------------------------------------------------------------------


CLEANUP = [
    "DELETE FROM care_plan_versions WHERE patient_id = ANY(:ids)",
    "DELETE FROM medications WHERE patient_id = ANY(:ids)",
    "DELETE FROM care_plans WHERE patient_id = ANY(:ids)",
    "DELETE FROM outbox_messages WHERE patient_id = ANY(:ids)",
    "DELETE FROM appointments WHERE patient_id = ANY(:ids) OR clinician_id = ANY(:ids)",
    "DELETE FROM care_team_members WHERE patient_id = ANY(:ids)",
    "DELETE FROM care_consents WHERE patient_id = ANY(:ids)",
    "DELETE FROM memberships WHERE patient_id = ANY(:ids)",
    "DELETE FROM clinician_availability WHERE clinician_id = ANY(:ids)",
    "DELETE FROM schedule_stamps WHERE clinician_id = ANY(:ids)",
]


@pytest.fixture
def live(app, tmp_path):
    """Real commits from several threads: the suite's PostgreSQL database (rows removed after), or a
    SQLite file of its own."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    postgres = url.startswith("postgresql")
    other = create_app({"DATABASE_URL": url if postgres else f"sqlite:///{tmp_path}/race.sqlite3", "TESTING": True,
                        "SECRET_KEY": TEST_SECRET, "REDIS_URL": None, "SCHEDULER_ENABLED": False})  # fmt: skip
    created: list[int] = []
    swapped = db.session
    db.session = REAL_SESSION
    with other.app_context():
        if not postgres:
            flask_migrate.upgrade(revision="heads")
        yield other, created
        if postgres:
            with db.engine.begin() as conn:  # children first; audit rows stay (append-only by design)
                for statement in CLEANUP:
                    conn.execute(text(statement), {"ids": created})
                conn.execute(delete(User).where(User.id.in_(created)))
        db.session.remove()
        db.engine.dispose()
    db.session = swapped


def test_three_first_medication_adds_at_once_all_succeed(live):
    """PostgreSQL is where this race lives (it failed there with a UniqueViolation 500); on SQLite every
    writing transaction begins IMMEDIATE (issue 15 §1), so the three take turns from the start."""
    app, created = live
    tag = str(time.time_ns())
    prescribers = []
    for n in range(3):
        prescriber = accounts.create_clinician(ClinicianCreate(email=f"rx{n}-{tag}@example.com", password=PASSWORD,
                                               name=f"Rx {n}", credential="MD", licensed_states=["NY"],
                                               timezone="America/New_York"), actor=None)  # fmt: skip
        created.append(prescriber.id)
        booking.update_availability(prescriber, EVERY_DAY, actor=prescriber)
        prescribers.append(prescriber)
    signup = PatientSignup(email=f"pt-{tag}@example.com", password=PASSWORD, name="Pat", state="NY",
                           timezone="America/New_York")  # fmt: skip
    patient = accounts.register_patient(signup, source="test")
    created.append(patient.id)
    give_membership(patient)
    day = (utcnow() + timedelta(days=3)).date()
    for n, prescriber in enumerate(prescribers):
        start = openings.open_slots(prescriber, "initial_consultation", day, day, "America/New_York")[n][0]
        booking.book(patient, prescriber.id, "initial_consultation", start)
    assert db.session.get(CarePlan, patient.id) is None
    tokens = [auth_service.issue_token(p, timedelta(hours=1)) for p in prescribers]
    patient_id = patient.id  # read here: the threads have no app context
    url = f"/api/v1/patients/{patient_id}/care-plan/medications"
    db.session.rollback()  # this thread's transaction ends (on SQLite it would hold the write lock)
    for _round in range(3):
        barrier, statuses = threading.Barrier(3), []

        def add(i: int, barrier: threading.Barrier = barrier, statuses: list[int] = statuses) -> None:
            client = app.test_client()
            barrier.wait()
            response = client.post(url, headers={"Authorization": f"Bearer {tokens[i]}"},
                                   json={"name": f"Med {i}", "dose": "1 mg", "frequency": "daily"})  # fmt: skip
            statuses.append(response.status_code)

        threads = [threading.Thread(target=add, args=(i,)) for i in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert statuses == [201] * 3, statuses
        with db.engine.begin() as conn:  # the next round starts again without a plan
            conn.execute(text("DELETE FROM care_plan_versions WHERE patient_id = :p"), {"p": patient_id})
            conn.execute(text("DELETE FROM medications WHERE patient_id = :p"), {"p": patient_id})
            conn.execute(text("DELETE FROM care_plans WHERE patient_id = :p"), {"p": patient_id})
    db.session.expire_all()


def test_a_first_medication_makes_version_1_and_the_next_version_2(client, make_patient, make_clinician, auth_headers):
    prescriber = make_clinician("MD", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(prescriber, EVERY_DAY, actor=prescriber)
    patient = make_patient()
    day = (utcnow() + timedelta(days=3)).date()
    start = openings.open_slots(prescriber, "initial_consultation", day, day, "America/New_York")[0][0]
    booking.book(patient, prescriber.id, "initial_consultation", start)
    url, headers = f"/api/v1/patients/{patient.id}/care-plan/medications", auth_headers(prescriber)
    for name in ("A", "B"):
        assert client.post(url, headers=headers, json={"name": name, "dose": "1", "frequency": "d"}).status_code == 201
    versions = list(db.session.scalars(select(CarePlanVersion.version).where(CarePlanVersion.patient_id == patient.id)))
    assert sorted(versions) == [1, 2]
    assert len(list(db.session.scalars(select(Medication).where(Medication.patient_id == patient.id)))) == 2


# --- clinical answers are the type the contract says -------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [["2"] + [0] * 8, [0] * 8 + ["1"], [True] + [0] * 8, [0] * 8 + [1.0], [0] * 8 + [1.5], [None] * 9,
     [0] * 8 + [2**63], [0] * 8 + [-1], "012301230", [[0]] * 9, [0] * 8 + ["0x1"]],
)  # fmt: skip
def test_check_in_answers_must_be_json_integers(client, visit, answers):
    patient = visit["patient"]
    url = f"/api/v1/patients/{patient.id}/assessments"
    response = client.post(url, headers=visit["h"], json={"instrument": "PHQ-9", "answers": answers})
    assert _invalid(response, "answers"), (answers, response.status_code, response.get_data(as_text=True)[:300])
    assert (
        db.session.scalar(select(db.func.count()).select_from(Assessment).where(Assessment.patient_id == patient.id))
        == 0
    )
    good = client.post(url, headers=visit["h"], json={"instrument": "PHQ-9", "answers": [2] + [0] * 8})
    assert good.status_code == 201 and good.get_json()["score"] == 2


def test_other_json_integers_are_strict_too(client, visit, auth_headers):
    therapist, patient = visit["therapist"], visit["patient"]
    booked = client.post("/api/v1/appointments", headers=visit["h"],
                         json={"clinician_id": str(therapist.id), "type": "therapy_session",
                               "start": "2030-01-01T10:00:00Z"})  # fmt: skip
    assert _invalid(booked, "clinician_id")
    plan = client.patch(f"/api/v1/patients/{patient.id}/care-plan", headers=auth_headers(therapist),
                        json={"base_version": "0", "goals": []})  # fmt: skip
    assert _invalid(plan, "base_version")
    avail = client.put(f"/api/v1/clinicians/{therapist.id}/availability", headers=auth_headers(therapist),
                       json={"gap_minutes": "10"})  # fmt: skip
    assert _invalid(avail, "gap_minutes")


# --- page forms: numbers that str.isdigit() accepts and int() does not, or that no column holds --------------


@pytest.fixture
def chart(client, make_patient, make_clinician, browser_login):
    """A prescriber on a patient's team, signed in to the pages, with one goal in the plan."""
    from app.care_team import service as care

    prescriber = make_clinician("MD", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(prescriber, EVERY_DAY, actor=prescriber)
    patient = make_patient()
    day = (utcnow() + timedelta(days=3)).date()
    start = openings.open_slots(prescriber, "initial_consultation", day, day, "America/New_York")[0][0]
    booking.book(patient, prescriber.id, "initial_consultation", start)
    care.patch_plan(prescriber, patient.id, 0, {"goals": [{"text": "Sleep", "status": "active"}]})
    browser = browser_login(prescriber)
    token = browser.get("/account").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    return {"browser": browser, "token": token, "patient": patient, "prescriber": prescriber}


ODD_NUMBERS = ["", "²", "١٢", "9" * 5000, str(2**63), "-1", "1.5"]


@pytest.mark.parametrize("value", ODD_NUMBERS)
def test_chart_forms_with_odd_numbers_are_refused_not_crashed(chart, value):
    browser, token, pid = chart["browser"], chart["token"], chart["patient"].id
    forms = [
        (f"/patients/{pid}/chart/goals", {"text": "Walk", "base_version": value}),
        (f"/patients/{pid}/chart/goals/0", {"status": "met", "base_version": value}),
        (f"/patients/{pid}/chart/notes", {"body": "Handoff", "notify": [value, "99999999999"]}),
        (f"/patients/{pid}/minutes", {"date": utcnow().date().isoformat(), "minutes": value, "activity": "outreach"}),
        (f"/patients/{pid}/minutes", {"date": "9999-12-31", "minutes": "10", "activity": "outreach"}),
    ]
    for path, form in forms:
        response = browser.post(path, data={**form, "csrf_token": token})
        assert response.status_code < 500, (path, form, response.status_code)
    plan = db.session.get(CarePlan, pid)
    db.session.refresh(plan)
    assert plan.version == 1 and plan.goals[0]["status"] == "active"  # nothing half-applied


@pytest.mark.parametrize("value", ["²", "9" * 5000])
def test_availability_form_with_odd_numbers_is_422(client, make_clinician, browser_login, value):
    clinician = make_clinician("LCSW")
    browser = browser_login(clinician)
    page = browser.get("/schedule/availability").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    form = {"timezone": "America/New_York", "gap_minutes": value, "slot_step_minutes": "15", "min_notice_minutes": "0",
            "horizon_days": "30", "max_per_day": "", "csrf_token": token}  # fmt: skip
    assert browser.post("/schedule/availability", data=form).status_code == 422


def test_a_two_factor_code_of_non_ascii_digits_is_a_wrong_code(client, make_staff, browser_login):
    admin = make_staff("admin")
    browser_login(admin)  # enrols
    account = client.get("/account").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": account.split('name="csrf_token" value="')[1].split('"')[0]})
    login = client.get("/login").get_data(as_text=True)
    token = login.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/login", data={"email": admin.email, "password": PASSWORD, "csrf_token": token})
    verify = client.get("/login/verify").get_data(as_text=True)
    token = verify.split('name="csrf_token" value="')[1].split('"')[0]
    response = client.post("/login/verify", data={"code": "²²²²²²", "csrf_token": token})
    assert response.status_code == 401

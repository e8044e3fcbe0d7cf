"""Contract: "Clinicians, availability, slots" and "Appointments"."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from icalendar import Calendar

from app.audit.event import AuditEvent
from app.auth.service import set_enabled
from app.booking import openings, service
from app.booking.appointment import Appointment
from app.care_team.member import CareTeamMember
from app.errors import Invalid
from app.extensions import db

WEEKDAYS_9_TO_17 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]


@pytest.fixture
def setup(client, make_patient, make_clinician, auth_headers):
    """An LCSW in Los Angeles licensed in NY, available every day 09:00-17:00, and a NY patient."""
    therapist = make_clinician("LCSW", licensed_states=["NY", "NJ"], timezone="America/Los_Angeles")
    headers = auth_headers(therapist)
    response = client.put(
        f"/api/v1/clinicians/{therapist.id}/availability",
        headers=headers,
        json={"weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0},
    )
    assert response.status_code == 200, response.get_json()
    patient = make_patient(state="NY", timezone="America/New_York")
    return therapist, patient, headers, auth_headers(patient)


def _first_slot(client, therapist, patient_headers, kind="therapy_session", days_ahead=2):
    day = (datetime.now(UTC) + timedelta(days=days_ahead)).date()
    body = client.get(
        f"/api/v1/clinicians/{therapist.id}/slots",
        headers=patient_headers,
        query_string={"type": kind, "from": day.isoformat(), "to": day.isoformat()},
    ).get_json()
    assert body["slots"], body
    return body["slots"]


def _book(client, therapist, headers, start, kind="therapy_session"):
    return client.post(
        "/api/v1/appointments", headers=headers, json={"clinician_id": therapist.id, "type": kind, "start": start}
    )


def test_directory_filters(client, make_clinician, auth_headers):
    md = make_clinician("MD", licensed_states=["WA"], modalities=["medication_management"], languages=["Spanish"])
    lcsw = make_clinician("LCSW", licensed_states=["WA", "OR"], modalities=["CBT"])
    headers = auth_headers(md)

    def ids(**q):
        return {c["id"] for c in client.get("/api/v1/clinicians", headers=headers, query_string=q).get_json()}

    assert {md.id, lcsw.id} <= ids()
    assert lcsw.id in ids(clinical_role="therapist") and md.id not in ids(clinical_role="therapist")
    assert ids(state="OR") >= {lcsw.id} and md.id not in ids(state="OR")
    assert md.id in ids(modality="medication_management") and lcsw.id not in ids(modality="medication_management")
    assert md.id in ids(language="spanish")
    row = next(c for c in client.get("/api/v1/clinicians", headers=headers).get_json() if c["id"] == md.id)
    assert set(row) >= {
        "id",
        "name",
        "credential",
        "clinical_role",
        "licensed_states",
        "modalities",
        "languages",
        "timezone",
    }
    assert client.get("/api/v1/clinicians", headers=headers, query_string={"state": "ZZ"}).status_code == 422


def test_the_directory_is_in_name_order_and_a_language_asked_for_leaves_out_other_speakers(
    client, make_clinician, auth_headers
):
    zoe = make_clinician("LCSW", name="Zoe Adams", languages=["French"])  # made first: first in table order
    amir = make_clinician("LCSW", name="Amir Young", languages=["Spanish", "English"])
    mia = make_clinician("MD", name="Mia Lopez", languages=["spanish"])
    headers = auth_headers(amir)

    def names(**q):
        found = client.get("/api/v1/clinicians", headers=headers, query_string=q).get_json()
        return [c["name"] for c in found if c["id"] in {zoe.id, amir.id, mia.id}]

    assert names() == ["Amir Young", "Mia Lopez", "Zoe Adams"]
    assert names(language="Spanish") == ["Amir Young", "Mia Lopez"]  # any case; Zoe speaks French only
    assert names(language="French") == ["Zoe Adams"]


def test_a_disabled_clinician_or_a_patient_is_no_clinician(
    client, make_clinician, make_patient, make_staff, auth_headers
):
    admin = make_staff("admin")
    leaving, patient = make_clinician("LCSW", name="Leaving Soon"), make_patient()
    assert client.get(f"/clinicians/{leaving.id}").status_code == 200
    set_enabled(leaving, False, actor=admin)
    for user_id in (leaving.id, patient.id, 999_999):
        assert client.get(f"/clinicians/{user_id}").status_code == 404, user_id  # the public profile page
        response = client.get(f"/api/v1/clinicians/{user_id}/availability", headers=auth_headers(admin))
        assert response.status_code == 404, user_id
        assert response.get_json() == {"error": "not_found", "message": "No such clinician."}


def test_slots_are_written_in_the_viewers_zone(client, setup):
    therapist, patient, _, headers = setup
    slots = _first_slot(client, therapist, headers)
    first = datetime.fromisoformat(slots[0]["start"])
    assert first.utcoffset() in (timedelta(hours=-5), timedelta(hours=-4))  # Eastern
    assert first.astimezone(UTC).hour in (16, 17)  # 09:00 in Los Angeles
    la = client.get(
        f"/api/v1/clinicians/{therapist.id}/slots",
        headers=headers,
        query_string={
            "type": "therapy_session",
            "from": first.date().isoformat(),
            "to": first.date().isoformat(),
            "tz": "America/Los_Angeles",
        },
    ).get_json()
    assert la["timezone"] == "America/Los_Angeles" and la["slots"][0]["start"].startswith(f"{first.date()}T09:00")


@pytest.mark.parametrize(
    "query",
    [
        {"type": "psychiatric_evaluation"},
        {"to": "2020-01-01"},
        {"from": "2027-01-01", "to": "2027-03-04"},
        {"tz": "Mars/Olympus"},
        {"from": "2027-02-30"},
    ],
)
def test_slot_queries_422(client, setup, query):
    therapist, _, _, headers = setup
    base = {"type": "therapy_session", "from": "2027-01-10", "to": "2027-01-12"}
    assert (
        client.get(
            f"/api/v1/clinicians/{therapist.id}/slots", headers=headers, query_string={**base, **query}
        ).status_code
        == 422
    )


def test_a_62_day_range_is_allowed(client, setup):
    therapist, _, _, headers = setup
    response = client.get(
        f"/api/v1/clinicians/{therapist.id}/slots",
        headers=headers,
        query_string={"type": "therapy_session", "from": "2027-01-01", "to": "2027-03-03"},
    )
    assert response.status_code == 200


def test_book_then_slot_is_gone_and_team_formed(client, setup):
    therapist, patient, _, headers = setup
    slots = _first_slot(client, therapist, headers)
    response = _book(client, therapist, headers, slots[0]["start"])
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "booked" and body["patient_id"] == patient.id and body["start"].endswith("Z")
    assert datetime.fromisoformat(body["start"]) == datetime.fromisoformat(slots[0]["start"])
    assert "/visits/" in body["video_url"] and len(body["video_url"].rsplit("/", 1)[1]) >= 32
    again = _first_slot(client, therapist, headers)
    assert slots[0]["start"] not in [s["start"] for s in again]
    assert _book(client, therapist, headers, slots[0]["start"]).get_json()["error"] == "slot_unavailable"
    assert db.session.scalar(db.select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)) is not None


def test_the_booking_answer_is_what_a_fresh_read_returns_in_utc(client, setup, monkeypatch):
    # The answer is built from the new row without reading it back: it must not carry the server's
    # own zone (TZ) either, so the booking runs with the server in a zone that is not UTC.
    therapist, _, _, headers = setup
    slot = datetime.fromisoformat(_first_slot(client, therapist, headers)[0]["start"])
    monkeypatch.setenv("TZ", "America/Chicago")
    time.tzset()
    try:
        response = _book(client, therapist, headers, slot.astimezone(timezone(timedelta(hours=-5))).isoformat())
    finally:
        monkeypatch.undo()
        time.tzset()
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["start"].endswith("Z") and body["end"].endswith("Z") and datetime.fromisoformat(body["start"]) == slot
    assert client.get(f"/api/v1/appointments/{body['id']}", headers=headers).get_json() == body


def test_the_move_answer_is_what_a_fresh_read_returns_in_utc(client, setup):
    therapist, _, _, headers = setup
    slots = _first_slot(client, therapist, headers)
    booked = _book(client, therapist, headers, slots[0]["start"]).get_json()
    new_start = datetime.fromisoformat(slots[4]["start"])
    written = new_start.astimezone(timezone(timedelta(hours=-5))).isoformat()
    response = client.post(f"/api/v1/appointments/{booked['id']}/reschedule", headers=headers, json={"start": written})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (
        body["start"].endswith("Z") and body["end"].endswith("Z") and datetime.fromisoformat(body["start"]) == new_start
    )
    assert client.get(f"/api/v1/appointments/{booked['id']}", headers=headers).get_json() == body


def test_a_second_visit_with_the_same_clinician_keeps_one_care_team_row(client, setup):
    therapist, patient, _, headers = setup
    slots = _first_slot(client, therapist, headers)
    assert _book(client, therapist, headers, slots[0]["start"]).status_code == 201
    assert _book(client, therapist, headers, slots[-1]["start"]).status_code == 201
    rows = db.session.scalars(db.select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)).all()
    assert [(r.clinician_id, r.added_at is not None) for r in rows] == [(therapist.id, True)]


def test_video_urls_are_unique(client, setup, make_patient, auth_headers):
    therapist, _, _, headers = setup
    slots = _first_slot(client, therapist, headers)
    urls = {
        _book(client, therapist, headers, slots[0]["start"]).get_json()["video_url"],
        _book(client, therapist, auth_headers(make_patient()), slots[2]["start"]).get_json()["video_url"],
    }
    assert len(urls) == 2


def test_not_an_offered_start_is_409(client, setup):
    therapist, _, _, headers = setup
    slots = _first_slot(client, therapist, headers)
    off_grid = (datetime.fromisoformat(slots[0]["start"]) + timedelta(minutes=7)).isoformat()
    assert _book(client, therapist, headers, off_grid).status_code == 409
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert _book(client, therapist, headers, past).status_code == 409


def test_licensure_role_and_validation(client, setup, make_patient, make_clinician, auth_headers):
    therapist, _, _, headers = setup
    slot = _first_slot(client, therapist, headers)[0]["start"]
    californian = auth_headers(make_patient(state="CA"))
    response = _book(client, therapist, californian, slot)
    assert response.status_code == 403 and response.get_json()["error"] == "not_licensed_in_state"
    assert _book(client, therapist, headers, slot, kind="medication_management").status_code == 422
    assert (
        client.post(
            "/api/v1/appointments",
            headers=headers,
            json={"clinician_id": therapist.id, "type": "therapy_session", "start": "2027-02-30T10:00:00Z"},
        ).status_code
        == 422
    )
    naive = client.post(
        "/api/v1/appointments",
        headers=headers,
        json={"clinician_id": therapist.id, "type": "therapy_session", "start": "2027-03-01T10:00:00"},
    )
    assert naive.status_code == 422
    assert _book(client, therapist, auth_headers(therapist), slot).status_code == 403  # clinicians do not book


def test_visibility_404_for_others_and_audit_of_staff_reads(
    client, setup, make_patient, make_clinician, make_staff, auth_headers
):
    therapist, patient, therapist_headers, headers = setup
    appointment = _book(client, therapist, headers, _first_slot(client, therapist, headers)[0]["start"]).get_json()
    path = f"/api/v1/appointments/{appointment['id']}"
    for outsider in (make_patient(), make_clinician("MD"), make_staff("billing_admin")):
        assert client.get(path, headers=auth_headers(outsider)).status_code == 404
        assert client.get(path + "/calendar.ics", headers=auth_headers(outsider)).status_code == 404
    assert client.get(path, headers=headers).status_code == 200
    assert client.get(path, headers=therapist_headers).status_code == 200
    assert client.get(path, headers=auth_headers(make_staff("admin"))).status_code == 200
    reads = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "appointment.read")).all()
    assert {e.actor_role for e in reads} == {"clinician", "admin"}
    assert all(e.patient_id == patient.id for e in reads)


def test_a_staff_read_of_a_visit_is_one_audit_row_naming_that_visit_and_its_patient(
    client, setup, make_staff, auth_headers
):
    therapist, patient, _, headers = setup
    appointment = _book(client, therapist, headers, _first_slot(client, therapist, headers)[0]["start"]).get_json()
    admin = make_staff("admin")
    assert client.get(f"/api/v1/appointments/{appointment['id']}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/appointments/{appointment['id']}", headers=auth_headers(admin)).status_code == 200
    reads = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "appointment.read")).all()
    # The admins' audit search and export show what was read: the visit, not just whose record.
    assert [(e.actor_id, e.actor_role, e.patient_id, e.object_type, e.object_id) for e in reads] == [
        (admin.id, "admin", patient.id, "appointment", str(appointment["id"]))
    ]


def test_a_type_the_clinician_does_not_offer_is_refused_naming_the_clinician(client, setup):
    therapist, _, _, headers = setup
    slot = _first_slot(client, therapist, headers)[0]["start"]
    for kind in ("medication_management", "no_such_type"):
        response = _book(client, therapist, headers, slot, kind=kind)
        assert response.status_code == 422, kind
        assert response.get_json()["fields"] == {"type": f"{therapist.name} does not offer this appointment type"}


def test_lists_are_the_callers_own_latest_first(client, setup, make_staff, auth_headers):
    therapist, patient, therapist_headers, headers = setup
    slots = _first_slot(client, therapist, headers)
    _book(client, therapist, headers, slots[0]["start"])
    _book(client, therapist, headers, slots[4]["start"])
    mine = client.get("/api/v1/appointments", headers=headers).get_json()
    assert [a["start"] for a in mine] == sorted((a["start"] for a in mine), reverse=True) and len(mine) == 2
    assert len(client.get("/api/v1/appointments", headers=therapist_headers).get_json()) == 2
    assert client.get("/api/v1/appointments", headers=auth_headers(make_staff("billing_admin"))).get_json() == []


def test_cancel_late_and_not_late(client, setup):
    therapist, _, therapist_headers, headers = setup
    slots = _first_slot(client, therapist, headers, days_ahead=3)
    early = _book(client, therapist, headers, slots[0]["start"]).get_json()
    response = client.post(f"/api/v1/appointments/{early['id']}/cancel", headers=headers, json={"reason": "sick"})
    assert response.get_json() == {"status": "cancelled", "late": False}
    appointment = db.session.get(Appointment, early["id"])
    late = service.cancel(
        db.session.get(type(therapist), therapist.id),
        _book(client, therapist, headers, slots[2]["start"]).get_json()["id"],
        None,
        now=appointment.start_at - timedelta(hours=2),
    )
    assert late.cancelled_late is True
    again = client.post(f"/api/v1/appointments/{early['id']}/cancel", headers=headers, json={})
    assert again.status_code == 409
    # The cancelled time is open again.
    assert slots[0]["start"] in [s["start"] for s in _first_slot(client, therapist, headers, days_ahead=3)]


def test_reschedule_is_atomic(client, setup, make_patient, auth_headers):
    therapist, _, _, headers = setup
    slots = _first_slot(client, therapist, headers)
    mine = _book(client, therapist, headers, slots[0]["start"]).get_json()
    taken = _book(client, therapist, auth_headers(make_patient()), slots[4]["start"]).get_json()
    refused = client.post(
        f"/api/v1/appointments/{mine['id']}/reschedule", headers=headers, json={"start": taken["start"]}
    )
    assert refused.status_code == 409 and refused.get_json()["error"] == "slot_unavailable"
    assert client.get(f"/api/v1/appointments/{mine['id']}", headers=headers).get_json()["start"] == mine["start"]
    moved = client.post(
        f"/api/v1/appointments/{mine['id']}/reschedule", headers=headers, json={"start": slots[8]["start"]}
    )
    assert moved.status_code == 200 and moved.get_json()["id"] == mine["id"]
    assert slots[0]["start"] in [s["start"] for s in _first_slot(client, therapist, headers)]
    # Moving an appointment onto (a part of) its own old time is allowed: it does not conflict with itself.
    back = client.post(
        f"/api/v1/appointments/{mine['id']}/reschedule", headers=headers, json={"start": slots[7]["start"]}
    )
    assert back.status_code == 200


def test_complete_and_no_show(client, setup):
    therapist, _, therapist_headers, headers = setup
    appointment = _book(client, therapist, headers, _first_slot(client, therapist, headers)[0]["start"]).get_json()
    path = f"/api/v1/appointments/{appointment['id']}"
    early = client.post(path + "/complete", headers=therapist_headers)
    assert early.status_code == 409 and early.get_json()["error"] == "too_early"
    assert client.post(path + "/no-show", headers=headers).status_code == 403
    row = db.session.get(Appointment, appointment["id"])
    done = service.mark(
        db.session.get(type(therapist), therapist.id), row.id, "completed", now=row.start_at - timedelta(minutes=15)
    )
    assert done.status == "completed"


def test_calendar_file(client, setup):
    therapist, _, _, headers = setup
    appointment = _book(client, therapist, headers, _first_slot(client, therapist, headers)[0]["start"]).get_json()
    response = client.get(f"/api/v1/appointments/{appointment['id']}/calendar.ics", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    event = next(iter(Calendar.from_ical(response.data).walk("VEVENT")))
    assert event["SUMMARY"] == "Video visit" and "therapy" not in response.get_data(as_text=True).lower()
    assert event.decoded("DTSTART") == datetime.fromisoformat(appointment["start"])
    assert str(event["URL"]) == appointment["video_url"]


def test_availability_access_and_validation(client, setup, make_clinician, make_staff, auth_headers):
    therapist, _, therapist_headers, headers = setup
    path = f"/api/v1/clinicians/{therapist.id}/availability"
    assert client.get(path, headers=headers).status_code == 403
    assert client.get(path, headers=auth_headers(make_clinician())).status_code == 403
    assert client.get(path, headers=auth_headers(make_staff("admin"))).status_code == 200
    doc = client.put(path, headers=therapist_headers, json={"gap_minutes": 10}).get_json()
    assert doc["gap_minutes"] == 10 and len(doc["weekly"]) == 7 and doc["timezone"] == "America/Los_Angeles"
    for bad in (
        {"weekly": [{"weekday": 7, "start": "09:00", "end": "10:00"}]},
        {"weekly": [{"weekday": 1, "start": "10:00", "end": "09:00"}]},
        {"weekly": [{"weekday": 1, "start": "24:00", "end": "24:00"}]},
        {"weekly": [{"weekday": 1, "start": "09:00", "end": "25:00"}]},
        {"overrides": [{"date": "2027-02-30", "intervals": []}]},
        {"slot_step_minutes": 0},
        {"timezone": "Nowhere"},
    ):
        assert client.put(path, headers=therapist_headers, json=bad).status_code == 422, bad
    assert client.get("/api/v1/clinicians/999999/availability", headers=therapist_headers).status_code == 404


def test_override_day_off_and_24_00(client, setup):
    therapist, _, therapist_headers, headers = setup
    day = date.today() + timedelta(days=3)
    path = f"/api/v1/clinicians/{therapist.id}/availability"
    client.put(path, headers=therapist_headers, json={"overrides": [{"date": day.isoformat(), "intervals": []}]})
    q = {"type": "therapy_session", "from": day.isoformat(), "to": day.isoformat(), "tz": "America/Los_Angeles"}
    assert (
        client.get(f"/api/v1/clinicians/{therapist.id}/slots", headers=headers, query_string=q).get_json()["slots"]
        == []
    )
    client.put(
        path,
        headers=therapist_headers,
        json={"overrides": [{"date": day.isoformat(), "intervals": [{"start": "22:00", "end": "24:00"}]}]},
    )
    late = client.get(f"/api/v1/clinicians/{therapist.id}/slots", headers=headers, query_string=q).get_json()["slots"]
    assert [s["start"][11:16] for s in late] == ["22:00", "22:30", "23:00"]


def test_appointment_types(client, setup):
    _, _, _, headers = setup
    types = {t["code"]: t for t in client.get("/api/v1/appointment-types", headers=headers).get_json()}
    assert types["initial_consultation"] == {
        "code": "initial_consultation",
        "name": "Initial consultation",
        "duration_minutes": 20,
        "clinical_role": None,
        "requires_membership": False,
    }
    assert (
        types["therapy_session"]["duration_minutes"] == 50 and types["therapy_session"]["clinical_role"] == "therapist"
    )


def test_first_open_clinicians(client, setup, make_clinician):
    therapist, *_ = setup
    closed = make_clinician("LCSW", licensed_states=["NY"], modalities=["CBT"])  # no availability: never open
    day = date.today() + timedelta(days=2)
    found = openings.clinicians_with_openings(
        type_code="therapy_session", from_date=day, to_date=day, view_tz="America/New_York", state="NY", modality="CBT"
    )
    ids = [c.id for c, _ in found]
    assert therapist.id in ids and closed.id not in ids


# --- the booking rules at the service, on a fixed clock -------------------------------------------------

ALL_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
VISIT_AT = datetime(2031, 3, 3, 17, 0, tzinfo=UTC)  # Monday 09:00 in Los Angeles, on the 30-minute grid
A_WEEK_BEFORE = VISIT_AT - timedelta(days=7)


@pytest.fixture
def booked(make_patient, make_clinician):
    """A patient with a therapy session at VISIT_AT, booked a week before, and a second clinician free all day."""
    clinician, other = (make_clinician("LCSW", licensed_states=["NY"]) for _ in range(2))
    for each in (clinician, other):
        service.update_availability(each, ALL_DAY, actor=each)
    patient = make_patient(state="NY")
    appointment = service.book(patient, clinician.id, "therapy_session", VISIT_AT, now=A_WEEK_BEFORE)
    return patient, clinician, other, appointment


def test_moving_a_visit_onto_the_patients_other_visit_says_the_patient_is_busy_then(booked):
    patient, clinician, other, appointment = booked
    elsewhere = service.book(patient, other.id, "therapy_session", VISIT_AT + timedelta(hours=2), now=A_WEEK_BEFORE)
    with pytest.raises(service.SlotUnavailable) as refused:
        service.reschedule(clinician, appointment.id, elsewhere.start_at, now=A_WEEK_BEFORE)
    assert refused.value.message == "The patient already has an appointment at that time."
    assert db.session.get(Appointment, appointment.id).start_at == VISIT_AT


def _audit_of(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


@pytest.mark.parametrize("status", ["completed", "no_show"])
def test_marking_a_visit_writes_one_audit_row_naming_clinician_patient_and_visit(booked, status):
    patient, clinician, _, appointment = booked
    service.mark(clinician, appointment.id, status, now=VISIT_AT)
    (row,) = _audit_of(f"appointment.{status}")
    assert (row.actor_id, row.actor_role, row.patient_id) == (clinician.id, "clinician", patient.id)
    assert (row.object_type, row.object_id) == ("appointment", str(appointment.id))


@pytest.mark.parametrize("who", ["patient", "clinician"])
def test_cancelling_and_moving_a_visit_write_audit_rows_naming_actor_patient_and_visit(booked, who):
    patient, clinician, _, appointment = booked
    actor = patient if who == "patient" else clinician
    service.reschedule(actor, appointment.id, VISIT_AT + timedelta(hours=1), now=A_WEEK_BEFORE)
    service.cancel(actor, appointment.id, None, now=A_WEEK_BEFORE)
    for action in ("appointment.reschedule", "appointment.cancel"):
        (row,) = _audit_of(action)
        assert (row.actor_id, row.actor_role, row.patient_id) == (actor.id, actor.role, patient.id)
        assert (row.object_type, row.object_id) == ("appointment", str(appointment.id))


def test_a_visit_blocks_the_clinician_for_its_gap_after_its_end_when_booked_and_when_moved(booked):
    patient, clinician, _, appointment = booked
    service.update_availability(clinician, {"gap_minutes": 10}, actor=clinician)
    gapped = service.book(patient, clinician.id, "therapy_session", VISIT_AT + timedelta(days=1), now=A_WEEK_BEFORE)
    end = VISIT_AT + timedelta(days=1, minutes=50)  # a therapy session lasts 50 minutes
    assert (gapped.end_at, gapped.gap_minutes, gapped.blocked_until) == (end, 10, end + timedelta(minutes=10))
    moved = service.reschedule(patient, appointment.id, VISIT_AT + timedelta(hours=3), now=A_WEEK_BEFORE)
    end = VISIT_AT + timedelta(hours=3, minutes=50)
    assert (moved.end_at, moved.gap_minutes, moved.blocked_until) == (end, 10, end + timedelta(minutes=10))


def test_only_a_visit_type_that_needs_a_membership_needs_one_and_only_for_a_non_member(make_patient):
    member, non_member = make_patient(), make_patient(member=False)
    assert service.needs_membership(non_member, "therapy_session")
    assert not service.needs_membership(member, "therapy_session")
    assert not service.needs_membership(non_member, "initial_consultation")
    assert not service.needs_membership(non_member, "no_such_type")


@pytest.mark.parametrize(("reason", "stored"), [("  running late \n", "running late"), ("   ", None), (None, None)])
def test_a_cancellation_keeps_its_reason_trimmed_and_none_when_blank(booked, reason, stored):
    patient, _, _, appointment = booked
    assert service.cancel(patient, appointment.id, reason, now=A_WEEK_BEFORE).cancel_reason == stored
    assert db.session.get(Appointment, appointment.id).cancel_reason == stored


def test_booked_spans_are_the_clinicians_own_booked_visits_overlapping_the_window(booked, make_patient):
    _, clinician, other, appointment = booked  # VISIT_AT, 50 minutes
    second = make_patient(state="NY")
    later = service.book(second, clinician.id, "therapy_session", VISIT_AT + timedelta(hours=2), now=A_WEEK_BEFORE)
    service.book(second, other.id, "therapy_session", VISIT_AT, now=A_WEEK_BEFORE)  # not this clinician's
    end, minute = appointment.end_at, timedelta(minutes=1)

    def spans(lo, hi):
        return sorted(((s.start, s.end) for s in service.booked_spans(clinician.id, lo, hi)), key=lambda s: s[0])

    assert spans(end, later.start_at) == []  # touches both visits, overlaps neither
    assert spans(end - minute, later.start_at + minute) == [(VISIT_AT, end), (later.start_at, later.end_at)]


def test_booking_a_time_the_patient_already_has_a_visit_says_so(booked):
    patient, _, other, _ = booked
    with pytest.raises(service.SlotUnavailable) as refused:
        service.book(patient, other.id, "therapy_session", VISIT_AT + timedelta(minutes=30), now=A_WEEK_BEFORE)
    assert refused.value.message == "You already have an appointment at that time."
    assert db.session.scalar(db.select(db.func.count()).select_from(Appointment)) == 1


def test_only_an_evaluation_needs_the_patients_date_of_birth(make_patient, make_clinician):
    prescriber = make_clinician("MD", licensed_states=["NY"])
    service.update_availability(prescriber, ALL_DAY, actor=prescriber)
    unknown, known = make_patient(date_of_birth=None), make_patient()
    assert service.needs_birth_date(unknown, "psychiatric_evaluation")
    assert not service.needs_birth_date(known, "psychiatric_evaluation")
    assert not service.needs_birth_date(unknown, "medication_management")
    with pytest.raises(service.BirthDateNeeded) as refused:
        service.book(unknown, prescriber.id, "psychiatric_evaluation", VISIT_AT, now=A_WEEK_BEFORE)
    # The API's 422 names the field (the page links to the date-of-birth form from it) and says why.
    assert refused.value.fields == {"date_of_birth": "needed before a psychiatric evaluation"}
    assert refused.value.message == "Add your date of birth before booking a psychiatric evaluation."
    booked = service.book(known, prescriber.id, "psychiatric_evaluation", VISIT_AT, now=A_WEEK_BEFORE)
    assert booked.type == "psychiatric_evaluation"
    assert service.book(unknown, prescriber.id, "medication_management", VISIT_AT + timedelta(hours=2),
                        now=A_WEEK_BEFORE).type == "medication_management"  # fmt: skip


def test_booking_a_visit_writes_one_audit_row_naming_the_patient_and_the_visit(booked):
    patient, _, _, appointment = booked
    (row,) = _audit_of("appointment.book")
    assert (row.actor_id, row.actor_role, row.patient_id) == (patient.id, "patient", patient.id)
    assert (row.object_type, row.object_id) == ("appointment", str(appointment.id))


def test_only_an_enabled_clinician_can_be_booked_anyone_else_is_422_on_the_clinician_id(client, setup, make_patient):
    therapist, patient, _, headers = setup
    start = _first_slot(client, therapist, headers)[0]["start"]
    another_patient = make_patient(state="NY")  # no such id; a patient, the booking one too; a disabled clinician
    therapist.is_enabled = False  # an account switched off (e.g. a clinician who left)
    db.session.commit()
    body = {"type": "therapy_session", "start": start}
    for not_bookable in (999_999, patient.id, another_patient.id, therapist.id):
        response = client.post("/api/v1/appointments", headers=headers, json=body | {"clinician_id": not_bookable})
        assert response.status_code == 422, (not_bookable, response.get_json())
        assert response.get_json()["fields"] == {"clinician_id": "no such clinician"}
    assert db.session.scalar(db.select(db.func.count()).select_from(Appointment)) == 0


def test_changing_availability_writes_an_audit_row_naming_who_changed_whose(client, setup, make_staff, auth_headers):
    therapist, _, _, _ = setup  # the therapist set their own hours in the fixture
    admin = make_staff("admin")
    path = f"/api/v1/clinicians/{therapist.id}/availability"
    assert client.put(path, headers=auth_headers(admin), json={"gap_minutes": 5}).status_code == 200
    rows = db.session.scalars(
        db.select(AuditEvent).where(AuditEvent.action == "availability.update").order_by(AuditEvent.id)
    )
    assert [(r.actor_id, r.actor_role, r.object_type, r.object_id) for r in rows] == [
        (therapist.id, "clinician", "clinician", str(therapist.id)),
        (admin.id, "admin", "clinician", str(therapist.id)),
    ]


def test_availability_the_slot_rules_cannot_use_is_refused_by_the_service_saying_why(make_clinician):
    # The API and the editor validate first; the seed and other callers of the service rely on this.
    clinician = make_clinician("LCSW", licensed_states=["NY"])
    service.update_availability(clinician, ALL_DAY, actor=clinician)
    with pytest.raises(Invalid) as refused:
        service.update_availability(clinician, {"slot_step_minutes": 0}, actor=clinician)
    assert refused.value.fields == {"availability": "slot_step_minutes must be positive"}
    db.session.rollback()  # what the request's teardown does
    assert service.availability_of(clinician).slot_step_minutes == 30
    assert len(_audit_of("availability.update")) == 1


def test_a_refused_availability_change_leaves_nothing_for_a_later_commit(make_clinician):
    # A caller that catches the refusal and commits other work (the seed, the CLI) must not save it.
    clinician = make_clinician("LCSW", licensed_states=["NY"])
    saved = service.update_availability(clinician, ALL_DAY, actor=clinician)
    before = (saved.slot_step_minutes, saved.gap_minutes)
    with pytest.raises(Invalid):
        service.update_availability(clinician, {"gap_minutes": before[1] + 5, "slot_step_minutes": 0}, actor=clinician)
    db.session.commit()
    db.session.expire_all()
    row = service.availability_of(clinician)
    assert (row.slot_step_minutes, row.gap_minutes) == before


def test_a_clinician_who_never_set_hours_offers_nothing_and_booking_them_is_409(make_patient, make_clinician):
    # No availability row yet: on PostgreSQL booking creates one to lock on, then finds nothing offered.
    newcomer = make_clinician("LCSW", licensed_states=["NY"])
    patient = make_patient(state="NY")
    with pytest.raises(service.SlotUnavailable) as refused:
        service.book(patient, newcomer.id, "therapy_session", VISIT_AT, now=A_WEEK_BEFORE)
    assert refused.value.message == service.SlotUnavailable.message
    assert db.session.scalar(db.select(db.func.count()).select_from(Appointment)) == 0


def test_a_cancelled_visit_frees_its_time_for_the_clinician_and_for_the_patient(booked, make_patient):
    patient, clinician, other, appointment = booked
    service.cancel(patient, appointment.id, None, now=A_WEEK_BEFORE)
    taken_by_another = service.book(make_patient(state="NY"), clinician.id, "therapy_session", VISIT_AT,
                                    now=A_WEEK_BEFORE)  # fmt: skip
    with_another_clinician = service.book(patient, other.id, "therapy_session", VISIT_AT, now=A_WEEK_BEFORE)
    assert taken_by_another.start_at == with_another_clinician.start_at == VISIT_AT


def test_an_evening_visit_blocks_the_first_slots_after_midnight_for_its_gap(booked, make_patient):
    _, clinician, _, _ = booked
    service.update_availability(clinician, {"gap_minutes": 60}, actor=clinician)
    evening = datetime(2031, 3, 4, 6, 30, tzinfo=UTC)  # Monday 22:30 in Los Angeles: ends 23:20, blocks until 00:20
    service.book(make_patient(state="NY"), clinician.id, "therapy_session", evening, now=A_WEEK_BEFORE)
    patient = make_patient(state="NY")
    midnight = evening + timedelta(hours=1, minutes=30)
    with pytest.raises(service.SlotUnavailable):
        service.book(patient, clinician.id, "therapy_session", midnight, now=A_WEEK_BEFORE)
    after_the_gap = midnight + timedelta(minutes=30)
    assert (
        service.book(patient, clinician.id, "therapy_session", after_the_gap, now=A_WEEK_BEFORE).start_at
        == after_the_gap
    )


def test_a_patient_may_book_visits_back_to_back_with_their_own_visit(booked):
    patient, clinician, _, appointment = booked  # VISIT_AT, 50 minutes
    service.update_availability(clinician, {"slot_step_minutes": 10}, actor=clinician)
    ends_as_it_starts = VISIT_AT - timedelta(minutes=50)
    before = service.book(patient, clinician.id, "therapy_session", ends_as_it_starts, now=A_WEEK_BEFORE)
    after = service.book(patient, clinician.id, "therapy_session", VISIT_AT + timedelta(minutes=50), now=A_WEEK_BEFORE)
    assert (before.end_at, after.start_at) == (VISIT_AT, appointment.end_at)

"""Booking pages: directory, profile and slot picker, confirm, my appointments, cancel, schedule,
availability editor, calendar feed, join page."""

from __future__ import annotations

import re
from datetime import timedelta

from icalendar import Calendar

from app.booking import openings, service
from app.booking.appointment import Appointment
from app.extensions import db
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)], "min_notice_minutes": 0}


def _therapist(make_clinician, **kw):
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/Los_Angeles", **kw)
    service.update_availability(therapist, EVERY_DAY, actor=therapist)
    return therapist


def _first_slot_link(client, therapist, week=None):
    html = client.get(f"/clinicians/{therapist.id}?type=therapy_session" + (f"&week={week}" if week else "")).get_data(
        as_text=True
    )
    links = re.findall(r'href="(/book/confirm\?[^"]+)"', html)
    return [link.replace("&amp;", "&") for link in links]


def test_directory_defaults_to_the_patients_state(client, make_patient, make_clinician, browser_login):
    ny = make_clinician("LCSW", licensed_states=["NY"], name="Nora York")
    ca = make_clinician("LMFT", licensed_states=["CA"], name="Cal Ifornia")
    browser_login(make_patient(state="NY"))
    html = client.get("/clinicians").get_data(as_text=True)
    assert ny.name in html and ca.name not in html
    everywhere = client.get("/clinicians?state=").get_data(as_text=True)
    assert ca.name in everywhere
    assert client.get("/clinicians?state=ZZ&modality=astrology&clinical_role=x").status_code == 200


def test_book_through_the_pages_and_see_eastern_time(client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    browser_login(make_patient(state="NY", timezone="America/New_York"))
    links = _first_slot_link(client, therapist)
    assert links, "no slot offered"
    confirm = client.get(links[-1])
    html = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and ("EST" in html or "EDT" in html)
    form = dict(re.findall(r'name="(clinician|type|start|csrf_token|care_consent)" value="([^"]*)"', html))
    booked = client.post("/book/confirm", data=form)
    assert booked.status_code == 302
    detail = client.get(booked.headers["Location"]).get_data(as_text=True)
    assert "Therapy session" in detail and ("EST" in detail or "EDT" in detail) and "calendar.ics" in detail
    mine = client.get("/appointments").get_data(as_text=True)
    assert "Therapy session with" in mine


def test_taken_slot_on_confirm_explains_and_returns_to_picker(client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    browser_login(make_patient())
    link = _first_slot_link(client, therapist)[-1]
    html = client.get(link).get_data(as_text=True)
    form = dict(re.findall(r'name="(clinician|type|start|csrf_token|care_consent)" value="([^"]*)"', html))
    client.post("/book/confirm", data=form)
    again = client.post("/book/confirm", data=form)
    assert again.status_code == 302 and f"/clinicians/{therapist.id}" in again.headers["Location"]
    assert "no longer available" in client.get(again.headers["Location"]).get_data(as_text=True)


def test_cancel_from_the_page(client, make_patient, make_clinician, browser_login):
    # The late-cancellation warning's 24 h boundary is pinned with literal instants in test_time_rules.
    therapist = _therapist(make_clinician)
    patient = make_patient()
    browser_login(patient)
    link = _first_slot_link(client, therapist)[0]
    html = client.get(link).get_data(as_text=True)
    form = dict(re.findall(r'name="(clinician|type|start|csrf_token|care_consent)" value="([^"]*)"', html))
    location = client.post("/book/confirm", data=form).headers["Location"]
    appointment = db.session.scalars(db.select(Appointment)).one()
    page = client.get(location).get_data(as_text=True)
    response = client.post(f"/appointments/{appointment.id}/cancel", data={"csrf_token": csrf_token_from(page)})
    assert response.status_code == 302
    db.session.refresh(appointment)
    assert appointment.status == "cancelled"


def test_other_people_get_404_on_appointment_and_join_pages(client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    owner = make_patient()
    start = openings.open_slots(
        therapist,
        "therapy_session",
        service.utcnow().date() + timedelta(days=2),
        service.utcnow().date() + timedelta(days=2),
        "America/New_York",
    )[0][0]
    appointment = service.book(owner, therapist.id, "therapy_session", start)
    browser_login(make_patient())
    assert client.get(f"/appointments/{appointment.id}").status_code == 404
    assert client.get(f"/visits/{appointment.visit_token}").status_code == 404


def test_availability_editor(client, make_clinician, browser_login):
    clinician = make_clinician("PsyD", timezone="America/Chicago")
    browser_login(clinician)
    page = client.get("/schedule/availability").get_data(as_text=True)
    token = csrf_token_from(page)
    form = {
        "csrf_token": token,
        "day0": "09:00-12:00, 13:00-17:00",
        "day2": "8:30-11:00",
        "overrides": "2030-01-02 off",
        "timezone": "America/Chicago",
        "gap_minutes": "10",
        "slot_step_minutes": "30",
        "min_notice_minutes": "120",
        "horizon_days": "45",
        "max_per_day": "6",
    }
    assert client.post("/schedule/availability", data=form).status_code == 302
    doc = service.availability_of(clinician).document()
    assert doc["weekly"] == [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "13:00", "end": "17:00"},
        {"weekday": 2, "start": "08:30", "end": "11:00"},
    ]
    assert doc["overrides"] == [{"date": "2030-01-02", "intervals": []}] and doc["max_per_day"] == 6
    bad = client.post("/schedule/availability", data={**form, "day1": "nine to five", "gap_minutes": "-5"})
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "is not a time range" in html


def test_calendar_feed_is_private_and_revocable(app, client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    day = service.utcnow().date() + timedelta(days=2)
    start = openings.open_slots(therapist, "therapy_session", day, day, "America/New_York")[0][0]
    service.book(make_patient(), therapist.id, "therapy_session", start)
    browser_login(therapist)
    page = client.get("/schedule/availability").get_data(as_text=True)
    made = client.post("/schedule/calendar-feed", data={"csrf_token": csrf_token_from(page), "action": "create"})
    created = client.get(made.headers["Location"])  # the address is shown on the page it redirects to
    url = re.search(r'<code class="wrap">([^<]+)</code>', created.get_data(as_text=True)).group(1)
    path = url.split("://", 1)[1].split("/", 1)[1]
    feed = app.test_client().get("/" + path)
    assert feed.status_code == 200 and len(list(Calendar.from_ical(feed.data).walk("VEVENT"))) == 1
    client.post("/schedule/calendar-feed", data={"csrf_token": csrf_token_from(page), "action": "revoke"})
    assert app.test_client().get("/" + path).status_code == 404
    assert app.test_client().get("/calendar/not-a-token.ics").status_code == 404


def test_clinician_schedule_and_marks(client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    day = service.utcnow().date() + timedelta(days=2)
    start = openings.open_slots(therapist, "therapy_session", day, day, "America/New_York")[0][0]
    appointment = service.book(make_patient(name="Pat Example"), therapist.id, "therapy_session", start)
    browser_login(therapist)
    assert "Pat Example" in client.get("/appointments").get_data(as_text=True)
    page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert "from 15 minutes before the start" in page
    early = client.post(
        f"/appointments/{appointment.id}/status", data={"csrf_token": csrf_token_from(page), "status": "completed"}
    )
    assert early.status_code == 302
    db.session.refresh(appointment)
    assert appointment.status == "booked"

"""Video visits: the visit link is public-ish (calendars, feeds, texts, the admins' list), the room is not.

Issue 15 §4: the visit link's token used to be the provider's room name, so anyone who saw the link (a
synced calendar, the admin's appointment list) could open the room directly, past our page's checks.
Now the room is handed out only by a checked join: its patient or clinician, in the join window, with
the form's CSRF token.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
from flask import Flask

from app.audit.event import AuditEvent
from app.booking import feeds, openings, service
from app.booking.appointment import Appointment
from app.extensions import db
from app.notifications import preferences
from app.sms.outbox_message import OutboxMessage
from app.web.record_access import record_access
from tests.integration.actors import sign_in
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
BASE = "https://meet.example.org"


@pytest.fixture
def jitsi(app: Flask, monkeypatch):
    monkeypatch.setitem(app.config, "VIDEO_PROVIDER", "jitsi")
    monkeypatch.setitem(app.config, "VIDEO_BASE_URL", BASE)
    monkeypatch.setitem(app.config, "VIDEO_JITSI_APP_ID", None)
    monkeypatch.setitem(app.config, "VIDEO_JITSI_APP_SECRET", None)
    return app


@pytest.fixture
def visit(make_patient, make_clinician):
    """A booked visit (texts on, so its confirmation and reminders are in the outbox), moved to start in
    5 minutes: inside the join window."""
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/Los_Angeles")
    service.update_availability(therapist, EVERY_DAY, actor=therapist)
    patient = make_patient(state="NY", timezone="America/New_York")
    preferences.opt_in(patient, "+12125550199", source="test")
    day = datetime.now(UTC).date() + timedelta(days=2)
    start = openings.open_slots(therapist, "therapy_session", day, day, "America/New_York")[0][0]
    appointment = service.book(patient, therapist.id, "therapy_session", start)
    now = datetime.now(UTC)
    _move(appointment, now + timedelta(minutes=5))
    return patient, therapist, appointment


def _move(appointment: Appointment, start: datetime) -> None:
    end = start + (appointment.end_at - appointment.start_at)
    db.session.execute(
        db.update(Appointment)
        .where(Appointment.id == appointment.id)
        .values(start_at=start, end_at=end, blocked_until=end)
    )
    db.session.commit()
    db.session.expire_all()


def _join(browser, visit_token: str, *, with_token: bool = True):
    page = browser.get(f"/visits/{visit_token}")
    data = (
        {"csrf_token": csrf_token_from(page.get_data(as_text=True))} if with_token and page.status_code == 200 else {}
    )
    if with_token and not data:  # not allowed to see the page: use a real token of the session anyway
        data = {"csrf_token": csrf_token_from(browser.get("/account").get_data(as_text=True))}
    return browser.post(f"/visits/{visit_token}/join", data=data)


def _room_of(response) -> str:
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    location = urlsplit(response.headers["Location"])
    assert f"{location.scheme}://{location.netloc}" == BASE
    return location.path.lstrip("/")


def test_a_participant_in_the_window_gets_the_room_and_no_one_else_does(
    app, jitsi, visit, make_patient, make_clinician, make_staff
):
    patient, therapist, appointment = visit
    token = appointment.visit_token
    outsiders = [make_staff("admin"), make_patient(), make_clinician("MD")]
    for user in outsiders:
        browser = sign_in(app, user)
        assert browser.get(f"/visits/{token}").status_code == 404, user.role
        refused = _join(browser, token)
        assert refused.status_code == 404 and "Location" not in refused.headers, user.role
    anonymous = sign_in(app, None)
    assert anonymous.post(f"/visits/{token}/join").status_code in (302, 400)  # to the login page (or CSRF)
    assert BASE not in anonymous.post(f"/visits/{token}/join").headers.get("Location", "")

    patient_browser, clinician_browser = sign_in(app, patient), sign_in(app, therapist)
    page = patient_browser.get(f"/visits/{token}")
    assert page.status_code == 200 and "form-action 'self' " + BASE in page.headers["Content-Security-Policy"]
    assert BASE not in page.get_data(as_text=True)  # the page names no room: only the checked join does
    no_csrf = _join(patient_browser, token, with_token=False)
    assert no_csrf.status_code == 400 and BASE not in no_csrf.headers.get("Location", "")

    room = _room_of(_join(patient_browser, token))
    assert room == _room_of(_join(clinician_browser, token))  # both meet in one room
    assert token not in room and len(room) >= 32
    joins = db.session.scalars(
        db.select(AuditEvent).where(
            AuditEvent.action == "appointment.video_join", AuditEvent.object_id == str(appointment.id)
        )
    ).all()
    assert {e.actor_id for e in joins} == {patient.id, therapist.id}


def test_a_join_is_on_the_patients_record_naming_the_visit(app, jitsi, visit):
    patient, therapist, appointment = visit
    _room_of(_join(sign_in(app, therapist), appointment.visit_token))
    _room_of(_join(sign_in(app, patient), appointment.visit_token))
    joins = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "appointment.video_join")).all()
    # The admins' audit search and export: who joined which visit, on whose record.
    assert sorted((e.actor_id, e.patient_id, e.object_type, e.object_id) for e in joins) == sorted(
        (who.id, patient.id, "appointment", str(appointment.id)) for who in (patient, therapist)
    )
    # The patient's "who viewed my record" shows the clinician's join (their own is not a disclosure).
    assert [(row.who, row.what) for row in record_access(patient.id) if row.what == "joined your video visit"] == [
        (therapist.name, "joined your video visit")
    ]


def test_no_room_outside_the_join_window(app, jitsi, visit):
    patient, _therapist, appointment = visit
    browser = sign_in(app, patient)
    for start in (datetime.now(UTC) + timedelta(hours=3), datetime.now(UTC) - timedelta(hours=3)):
        _move(appointment, start)
        early = _join(browser, appointment.visit_token)
        assert (
            early.status_code == 302
            and urlsplit(early.headers["Location"]).path == f"/visits/{appointment.visit_token}"
        )
    _move(appointment, datetime.now(UTC) + timedelta(minutes=5))
    service.cancel(patient, appointment.id, "")
    assert _join(browser, appointment.visit_token).status_code == 302


def test_no_listing_feed_calendar_file_or_text_names_the_room(app, jitsi, visit, make_staff, auth_headers, client):
    patient, therapist, appointment = visit
    room = _room_of(_join(sign_in(app, patient), appointment.visit_token))
    admin = make_staff("admin")
    seen: dict[str, str] = {}
    for who in (admin, patient, therapist):
        headers = auth_headers(who)
        seen[f"list {who.role}"] = client.get("/api/v1/appointments", headers=headers).get_data(as_text=True)
        seen[f"one {who.role}"] = client.get(f"/api/v1/appointments/{appointment.id}", headers=headers).get_data(
            as_text=True
        )
    for who in (patient, therapist):
        seen[f"ics {who.role}"] = client.get(
            f"/api/v1/appointments/{appointment.id}/calendar.ics", headers=auth_headers(who)
        ).get_data(as_text=True)
        browser = sign_in(app, who)
        for path in ("/", "/appointments", f"/appointments/{appointment.id}", f"/visits/{appointment.visit_token}"):
            seen[f"page {path} {who.role}"] = browser.get(path).get_data(as_text=True)
    seen["feed"] = client.get(f"/calendar/{feeds.new_calendar_feed(therapist)}.ics").get_data(as_text=True)
    admin_browser = sign_in(app, admin)
    seen["outbox page"] = admin_browser.get("/outbox").get_data(as_text=True)
    texts = db.session.scalars(db.select(OutboxMessage.body).where(OutboxMessage.patient_id == patient.id)).all()
    assert texts, "the booking queued texts"
    seen["texts"] = "\n".join(texts)

    # The link is everywhere it should be (the contract's video_url, the calendar files), the room nowhere.
    link = f"/visits/{appointment.visit_token}"
    for where in ("list admin", "one admin", "ics patient", "feed"):
        assert link in seen[where].replace("\r\n ", ""), where
    leaked = [where for where, body in seen.items() if room in body.replace("\r\n ", "")]
    assert leaked == []
    assert BASE not in "".join(seen.values())


def test_jitsi_token_is_for_that_room_and_that_visit_only(app, jitsi, visit, monkeypatch):
    monkeypatch.setitem(app.config, "VIDEO_JITSI_APP_ID", "harbor")
    monkeypatch.setitem(app.config, "VIDEO_JITSI_APP_SECRET", "jitsi-app-secret-long-enough-0123456789")
    patient, therapist, appointment = visit
    db.session.refresh(appointment)
    for user, moderator in ((patient, False), (therapist, True)):
        response = _join(sign_in(app, user), appointment.visit_token)
        room = _room_of(response)
        token = parse_qs(urlsplit(response.headers["Location"]).query)["jwt"][0]
        claims = jwt.decode(
            token, "jitsi-app-secret-long-enough-0123456789", algorithms=["HS256"], audience="jitsi", issuer="harbor"
        )
        assert claims["room"] == room and claims["sub"] == "meet.example.org"
        assert claims["exp"] == int(appointment.end_at.timestamp())
        assert claims["nbf"] == int((appointment.start_at - timedelta(minutes=15)).timestamp())
        assert claims["context"]["user"]["moderator"] is moderator


def test_twilio_join_gives_a_token_for_that_room_only(app, visit, monkeypatch):
    monkeypatch.setitem(app.config, "VIDEO_PROVIDER", "twilio")
    monkeypatch.setitem(app.config, "TWILIO_ACCOUNT_SID", "AC" + "0" * 32)
    monkeypatch.setitem(app.config, "TWILIO_API_KEY_SID", "SK" + "1" * 32)
    monkeypatch.setitem(app.config, "TWILIO_API_KEY_SECRET", "twilio-api-key-secret-long-enough-0123456789")
    patient, _therapist, appointment = visit
    browser = sign_in(app, patient)
    page = browser.get(f"/visits/{appointment.visit_token}").get_data(as_text=True)
    assert 'data-token="' not in page
    joined = _join(browser, appointment.visit_token)
    html = joined.get_data(as_text=True)
    assert joined.status_code == 200
    room = html.split('data-room="')[1].split('"')[0]
    token = html.split('data-token="')[1].split('"')[0]
    claims = jwt.decode(token, "twilio-api-key-secret-long-enough-0123456789", algorithms=["HS256"])
    assert claims["grants"]["video"] == {"room": room} and appointment.visit_token not in room

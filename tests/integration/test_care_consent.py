"""Consent to coordinated care: asked on the first booking (page: a required checkbox; API: an optional
``care_consent``), kept with time, wording version, text and source, seen and withdrawn by the patient."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from app.audit.event import AuditEvent
from app.booking import openings
from app.booking import service as booking
from app.booking.appointment import Appointment
from app.care_team import consent
from app.care_team.consent import CareConsent
from app.db import utcnow
from app.extensions import db
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
FORM_FIELDS = r'name="(clinician|type|start|csrf_token)" value="([^"]*)"'


@pytest.fixture
def clinician(make_clinician):
    therapist = make_clinician("LCSW", licensed_states=["NY"])
    booking.update_availability(therapist, EVERY_DAY, actor=therapist)
    return therapist


def _slots(clinician, n=2):
    day = (utcnow() + timedelta(days=3)).date()
    return [s for s, _ in openings.open_slots(clinician, "initial_consultation", day, day, "America/New_York")[:n]]


def _confirm_url(clinician, start):
    return f"/book/confirm?clinician={clinician.id}&type=initial_consultation&start={start.isoformat()}"


def _rows(patient_id):
    return list(db.session.scalars(select(CareConsent).where(CareConsent.patient_id == patient_id)))


def test_first_booking_page_requires_consent_then_records_it(client, make_patient, clinician, browser_login):
    patient = make_patient()
    browser_login(patient)
    first, second = _slots(clinician)
    html = client.get(_confirm_url(clinician, first).replace("+", "%2B")).get_data(as_text=True)
    assert 'name="care_consent"' in html and "required" in html and consent.CONSENT_TEXT in html
    form = dict(re.findall(FORM_FIELDS, html))

    refused = client.post("/book/confirm", data=form)
    assert refused.status_code == 422
    assert "Tick the box" in refused.get_data(as_text=True)
    assert _rows(patient.id) == []
    assert db.session.scalar(select(Appointment.id).where(Appointment.patient_id == patient.id)) is None

    booked = client.post("/book/confirm", data=form | {"care_consent": "yes"})
    assert booked.status_code == 302 and "/appointments/" in booked.headers["Location"]
    [row] = _rows(patient.id)
    assert row.source == "booking" and row.version == consent.CONSENT_VERSION and row.text == consent.CONSENT_TEXT
    assert row.given_at is not None and row.withdrawn_at is None
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "care_consent.give", AuditEvent.patient_id == patient.id)
    )
    # With consent on file the next booking does not ask again.
    again = client.get(_confirm_url(clinician, second).replace("+", "%2B")).get_data(as_text=True)
    assert 'name="care_consent"' not in again
    assert client.post("/book/confirm", data=dict(re.findall(FORM_FIELDS, again))).status_code == 302
    assert len(_rows(patient.id)) == 1


def test_rescheduling_does_not_ask_for_consent(client, make_patient, clinician, browser_login):
    patient = make_patient()
    first, second = _slots(clinician)
    appointment = booking.book(patient, clinician.id, "initial_consultation", first)
    browser_login(patient)
    html = client.get(_confirm_url(clinician, second).replace("+", "%2B") + f"&reschedule={appointment.id}")
    assert html.status_code == 200 and 'name="care_consent"' not in html.get_data(as_text=True)


def test_api_booking_consent_is_optional(client, make_patient, clinician, auth_headers):
    first, second = _slots(clinician)
    without, with_consent = make_patient(), make_patient()
    body = {"clinician_id": clinician.id, "type": "initial_consultation", "start": first.isoformat()}
    assert client.post("/api/v1/appointments", json=body, headers=auth_headers(without)).status_code == 201
    assert _rows(without.id) == []

    bad = client.post("/api/v1/appointments", json=body | {"care_consent": "yes"}, headers=auth_headers(with_consent))
    assert bad.status_code == 422 and "care_consent" in bad.get_json()["fields"]
    body["start"] = second.isoformat()
    ok = client.post("/api/v1/appointments", json=body | {"care_consent": True}, headers=auth_headers(with_consent))
    assert ok.status_code == 201
    [row] = _rows(with_consent.id)
    assert row.source == "api"


def test_patient_sees_and_withdraws_consent_on_the_care_plan(client, make_patient, clinician, browser_login):
    patient = make_patient()
    booking.book(patient, clinician.id, "initial_consultation", _slots(clinician, 1)[0])
    consent.give(patient, "booking")
    browser_login(patient)
    page = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "You agreed on" in page and consent.CONSENT_VERSION in page and "Withdraw my consent" in page

    done = client.post(f"/patients/{patient.id}/care-consent/withdraw", data={"csrf_token": csrf_token_from(page)})
    assert done.status_code == 302
    [row] = _rows(patient.id)
    assert row.withdrawn_at is not None and consent.current(patient.id) is None
    page = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "No consent on file" in page and "I agree to coordinated care" in page
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "care_consent.withdraw"))

    # Giving it again from the care plan adds a new row; the withdrawn one stays as evidence.
    assert (
        client.post(f"/patients/{patient.id}/care-consent", data={"csrf_token": csrf_token_from(page)}).status_code
        == 302
    )
    rows = _rows(patient.id)
    assert len(rows) == 2 and consent.current(patient.id).source == "care_plan"


def test_only_the_patient_gives_or_withdraws(client, make_patient, make_clinician, make_staff, clinician,
                                             browser_login):  # fmt: skip
    patient = make_patient()
    booking.book(patient, clinician.id, "initial_consultation", _slots(clinician, 1)[0])
    consent.give(patient, "booking")
    cases = [(clinician, 403), (make_clinician("MD"), 404), (make_staff("billing_admin"), 404), (make_patient(), 404)]
    for user, status in cases:
        client.delete_cookie("clinic_session")
        browser_login(user)
        token = csrf_token_from(client.get("/account").get_data(as_text=True))
        for path in ("/care-consent/withdraw", "/care-consent"):
            got = client.post(f"/patients/{patient.id}{path}", data={"csrf_token": token}).status_code
            assert got == status, (user.role, path, got)
    assert consent.current(patient.id) is not None


def test_team_sees_whether_consent_is_on_file(client, make_patient, clinician, browser_login):
    patient = make_patient()
    booking.book(patient, clinician.id, "initial_consultation", _slots(clinician, 1)[0])
    browser_login(clinician)
    assert "No consent on file" in client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    consent.give(patient, "api")
    page = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "On file on" in page and "Withdraw my consent" not in page


def test_covered_days_run_from_giving_through_withdrawing(make_patient):
    patient = make_patient(timezone="America/New_York")
    now = utcnow()
    row = consent.give(patient, "api", now=now - timedelta(days=10))
    consent.withdraw(patient, patient.id, now=now - timedelta(days=5))
    today = now.astimezone(consent.ZoneInfo("America/New_York")).date()
    days = consent.covered_days(patient.id, today - timedelta(days=30), today, "America/New_York")
    given = row.given_at.astimezone(consent.ZoneInfo("America/New_York")).date()
    assert min(days) == given and max(days) == given + timedelta(days=5) and len(days) == 6
    assert consent.covered_days(patient.id, date(2000, 1, 1), date(2000, 1, 31), "America/New_York") == set()


def test_consent_given_with_a_booking_is_dated_by_the_bookings_clock(make_patient, clinician):
    visit_at = datetime(2031, 3, 3, 17, 0, tzinfo=UTC)
    booked_at = visit_at - timedelta(days=7)
    patient = make_patient()
    booking.book(patient, clinician.id, "initial_consultation", visit_at, now=booked_at, care_consent_from="api")
    [row] = _rows(patient.id)
    assert (row.given_at, row.source) == (booked_at, "api")

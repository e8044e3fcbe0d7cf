"""Booking is one transaction: the consent to coordinated care given with a booking, the visit, its
texts, its audit row and what the care team does on it (``app.booking.events``) are committed together
or not at all."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.booking import events, openings
from app.booking import service as booking
from app.booking.appointment import Appointment
from app.booking.care_consent import CareConsent
from app.care_team.member import CareTeamMember
from app.db import utcnow
from app.extensions import db
from app.sms.outbox_message import OutboxMessage

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


@pytest.fixture
def clinician(make_clinician):
    therapist = make_clinician("LCSW", licensed_states=["NY"])
    booking.update_availability(therapist, EVERY_DAY, actor=therapist)
    return therapist


def _slot(clinician):
    day = (utcnow() + timedelta(days=3)).date()
    return openings.open_slots(clinician, "initial_consultation", day, day, "America/New_York")[0][0]


def _count(model, patient_id):
    return db.session.scalar(select(func.count()).select_from(model).where(model.patient_id == patient_id))


def test_a_refused_booking_records_no_consent(client, make_patient, clinician, auth_headers):
    first, second = make_patient(), make_patient()
    start = _slot(clinician)
    body = {"clinician_id": clinician.id, "type": "initial_consultation", "start": start.isoformat()}
    assert client.post("/api/v1/appointments", json=body, headers=auth_headers(first)).status_code == 201
    taken = client.post("/api/v1/appointments", json=body | {"care_consent": True}, headers=auth_headers(second))
    assert taken.status_code == 409
    assert _count(CareConsent, second.id) == 0  # was committed on its own before the booking failed


class CareTeamDown(Exception):
    pass


def test_a_booking_that_fails_after_consent_leaves_nothing(make_patient, clinician):
    patient = make_patient(phone="+12125550142", sms_opt_in=True)
    patient_id, start = patient.id, _slot(clinician)

    def fail(_appointment, **_kwargs):
        raise CareTeamDown

    events.visit_booked.connect(fail)
    try:
        with pytest.raises(CareTeamDown):
            booking.book(patient, clinician.id, "initial_consultation", start, care_consent_from="api")
    finally:
        events.visit_booked.disconnect(fail)
    db.session.rollback()  # what the request's teardown does
    for model in (CareConsent, Appointment, CareTeamMember, OutboxMessage):
        assert _count(model, patient_id) == 0, model


def test_consent_the_visit_and_the_care_team_commit_together(make_patient, clinician):
    patient = make_patient()
    appointment = booking.book(patient, clinician.id, "initial_consultation", _slot(clinician),
                               care_consent_from="booking")  # fmt: skip
    db.session.rollback()  # nothing pending: all of it was committed
    assert db.session.get(Appointment, appointment.id) is not None
    [consent] = db.session.scalars(select(CareConsent).where(CareConsent.patient_id == patient.id))
    assert consent.source == "booking"
    member = select(CareTeamMember.id).where(CareTeamMember.patient_id == patient.id)
    assert db.session.scalar(member.where(CareTeamMember.clinician_id == clinician.id))

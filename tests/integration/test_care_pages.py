"""Care pages: caseload with tasks, the shared chart (goals, notes, prescriber-only medications), the
patient's check-in with the crisis lines."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.booking import openings
from app.booking import service as booking
from app.care_team.medication import Medication
from app.care_team.task import Task
from app.db import utcnow
from app.extensions import db
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


@pytest.fixture
def people(make_patient, make_clinician):
    patient = make_patient(name="Casey Chart")
    prescriber = make_clinician("PMHNP", licensed_states=["NY"])
    therapist = make_clinician("LMHC", licensed_states=["NY"])
    day = (utcnow() + timedelta(days=3)).date()
    for clinician, kind, n in ((prescriber, "initial_consultation", 0), (therapist, "therapy_session", 3)):
        booking.update_availability(clinician, EVERY_DAY, actor=clinician)
        booking.book(
            patient, clinician.id, kind, openings.open_slots(clinician, kind, day, day, "America/New_York")[n][0]
        )
    return patient, prescriber, therapist


def test_patient_check_in_with_item9_shows_988_and_tasks_the_team(client, people, browser_login):
    patient, prescriber, therapist = people
    browser_login(patient)
    page = client.get("/check-in").get_data(as_text=True)
    form = {f"q{i}": "0" for i in range(9)} | {"q8": "2", "instrument": "PHQ-9", "csrf_token": csrf_token_from(page)}
    html = client.post("/check-in", data=form).get_data(as_text=True)
    assert html.index("988") < html.index("<h1>")
    owners = {t.owner_id for t in db.session.scalars(db.select(Task).where(Task.urgent))}
    assert owners == {prescriber.id, therapist.id}


def test_therapist_workflow_and_read_only_medications(client, people, browser_login):
    patient, _, therapist = people
    browser_login(therapist)
    caseload = client.get("/caseload").get_data(as_text=True)
    assert "Casey Chart" in caseload
    chart = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "read-only" in chart and "Add medication" not in chart
    token = csrf_token_from(chart)
    client.post(
        f"/patients/{patient.id}/chart/goals", data={"csrf_token": token, "base_version": "0", "text": "Walk daily"}
    )
    client.post(f"/patients/{patient.id}/chart/notes", data={"csrf_token": token, "body": "Sleep is worse this week"})
    refused = client.post(
        f"/patients/{patient.id}/chart/medications",
        data={"csrf_token": token, "name": "X", "dose": "1", "frequency": "daily"},
    )
    assert refused.status_code == 302 and db.session.scalar(db.select(db.func.count()).select_from(Medication)) == 0
    chart = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "Walk daily" in chart and "Sleep is worse" in chart and "Only a prescriber" in chart


def test_prescriber_adds_medication_patient_sees_it_but_no_notes(client, people, browser_login, app):
    patient, prescriber, _ = people
    browser_login(prescriber)
    chart = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    token = csrf_token_from(chart)
    client.post(f"/patients/{patient.id}/chart/notes", data={"csrf_token": token, "body": "team-only words"})
    client.post(
        f"/patients/{patient.id}/chart/medications",
        data={"csrf_token": token, "name": "Sertraline", "dose": "50 mg", "frequency": "daily"},
    )
    own = app.test_client()
    token2 = csrf_token_from(own.get("/login").get_data(as_text=True))
    own.post("/login", data={"email": patient.email, "password": "correct horse battery staple", "csrf_token": token2})
    mine = own.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "Sertraline" in mine and "team-only words" not in mine


def test_outsiders_get_404_on_the_chart(client, people, make_clinician, make_patient, browser_login):
    patient, *_ = people
    browser_login(make_clinician("PsyD"))
    assert client.get(f"/patients/{patient.id}/chart").status_code == 404
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    assert (
        client.post(f"/patients/{patient.id}/chart/notes", data={"csrf_token": token, "body": "x"}).status_code == 404
    )

"""Psychotherapy notes: only their author (the appointment's clinician) reads or writes them. Everyone else
gets 404 on every route, the patient, teammates, billing admins, admins and break-the-glass included, and
the text never appears in the chart, the visit notes, the FHIR export or the CSV exports."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.booking import openings
from app.booking import service as booking
from app.care_team import service as care
from app.db import utcnow
from app.extensions import db
from app.notes import service as notes
from app.notes.psychotherapy_note import PsychotherapyNote
from tests.integration.actors import EVERY_DAY, sign_in
from tests.integration.conftest import csrf_token_from

MARKER = "Nightjar transference"


@pytest.fixture
def clinic(make_patient, make_clinician, make_staff):
    patient = make_patient(name="Quinn Patient")
    therapist = make_clinician("PhD", name="Dr. Therapist")
    prescriber = make_clinician("MD", name="Dr. Prescriber")
    for c in (therapist, prescriber):
        booking.update_availability(c, EVERY_DAY, actor=c)
    day = (utcnow() + timedelta(days=2)).date()
    therapy = booking.book(patient, therapist.id, "therapy_session",
                           openings.open_slots(therapist, "therapy_session", day, day, "UTC")[0][0])  # fmt: skip
    booking.book(patient, prescriber.id, "initial_consultation",
                 openings.open_slots(prescriber, "initial_consultation", day, day, "UTC")[8][0])  # fmt: skip
    glass = make_clinician("DO", name="Dr. Glass")
    care.break_glass(glass, patient.id, "Crisis overnight and the team cannot be reached")
    return {
        "patient": patient, "therapist": therapist, "prescriber": prescriber, "glass": glass,
        "admin": make_staff("admin"), "billing": make_staff("billing_admin"), "therapy": therapy,
    }  # fmt: skip


OTHERS = ("patient", "prescriber", "glass", "admin", "billing")


def test_only_the_author_reads_or_writes_the_psychotherapy_note(app, client, auth_headers, clinic):
    appt = clinic["therapy"]
    url = f"/api/v1/appointments/{appt.id}/psychotherapy-note"
    author = auth_headers(clinic["therapist"])
    empty = client.get(url, headers=author)
    assert empty.status_code == 200 and empty.get_json()["text"] == ""
    saved = client.put(url, headers=author, json={"text": MARKER})
    assert saved.status_code == 200 and saved.get_json()["text"] == MARKER
    assert client.get(url, headers=author).get_json()["text"] == MARKER

    for who in OTHERS:
        h = auth_headers(clinic[who])
        assert client.get(url, headers=h).status_code == 404, who
        assert client.put(url, headers=h, json={"text": "overwritten"}).status_code == 404, who
        browser = sign_in(app, clinic[who])
        token = csrf_token_from(browser.get("/account").get_data(as_text=True))
        page = f"/appointments/{appt.id}/psychotherapy-note"
        assert browser.get(page).status_code == 404, who
        assert browser.post(page, data={"csrf_token": token, "text": "overwritten"}).status_code == 404, who
    assert client.get(url).status_code == 401
    db.session.expire_all()
    assert [n.text for n in db.session.scalars(db.select(PsychotherapyNote))] == [MARKER]


def test_the_psychotherapy_note_stays_out_of_the_record(app, client, auth_headers, clinic):
    patient, therapist = clinic["patient"], clinic["therapist"]
    appt = clinic["therapy"]
    note = notes.start_note(therapist, appt.id, "soap", {"subjective": "Talked about work"})
    notes.sign(therapist, note.id)
    author = auth_headers(therapist)
    assert client.put(f"/api/v1/appointments/{appt.id}/psychotherapy-note", headers=author,
                      json={"text": MARKER}).status_code == 200  # fmt: skip

    # The break-the-glass clinician reads the signed visit note, never the psychotherapy note.
    glass = client.get(f"/api/v1/patients/{patient.id}/visit-notes", headers=auth_headers(clinic["glass"]))
    assert glass.status_code == 200 and [n["id"] for n in glass.get_json()] == [note.id]

    reads = {
        "therapist": [f"/api/v1/patients/{patient.id}/fhir", f"/api/v1/patients/{patient.id}/visit-notes",
                      f"/api/v1/patients/{patient.id}/care-plan"],
        "patient": [f"/api/v1/patients/{patient.id}/fhir", f"/api/v1/patients/{patient.id}/visit-notes"],
        "glass": [f"/api/v1/patients/{patient.id}/care-plan"],
    }  # fmt: skip
    for who, paths in reads.items():
        for path in paths:
            r = client.get(path, headers=auth_headers(clinic[who]))
            assert r.status_code == 200, (who, path)
            assert MARKER.lower() not in r.get_data(as_text=True).lower(), (who, path)

    pages = {
        "therapist": [f"/patients/{patient.id}/chart", f"/patients/{patient.id}/visit-notes",
                      f"/appointments/{appt.id}/note", f"/patients/{patient.id}/minutes.csv", "/caseload/minutes.csv"],
        "admin": ["/admin/audit", f"/admin/audit/export.csv?patient_id={patient.id}"],
        "patient": [f"/patients/{patient.id}/visit-notes", f"/appointments/{appt.id}/note", "/dashboard"],
    }  # fmt: skip
    for who, paths in pages.items():
        browser = sign_in(app, clinic[who])
        for path in paths:
            r = browser.get(path)
            assert r.status_code == 200, (who, path, r.status_code)
            assert MARKER.lower() not in r.get_data(as_text=True).lower(), (who, path)


def test_a_clinician_removed_from_the_team_loses_the_notes_at_once(client, auth_headers, clinic):
    patient, therapist, appt = clinic["patient"], clinic["therapist"], clinic["therapy"]
    author = auth_headers(therapist)
    url = f"/api/v1/appointments/{appt.id}/psychotherapy-note"
    assert client.put(url, headers=author, json={"text": MARKER}).status_code == 200
    note = client.post(f"/api/v1/appointments/{appt.id}/note", headers=author, json={"template": "birp"})
    assert note.status_code == 201
    removed = client.delete(f"/api/v1/patients/{patient.id}/care-team/{therapist.id}", headers=auth_headers(patient))
    assert removed.status_code == 204
    assert client.get(url, headers=author).status_code == 404
    assert client.get(f"/api/v1/patients/{patient.id}/visit-notes", headers=author).status_code == 404
    patched = client.patch(f"/api/v1/visit-notes/{note.get_json()['id']}", headers=author, json={"sections": {}})
    assert patched.status_code == 404

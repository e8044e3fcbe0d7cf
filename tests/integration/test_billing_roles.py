"""Billing admins never see clinical data, clinicians never see billing data, and the billing routes
keep to their roles."""

from __future__ import annotations

import re

import pytest

CLINICAL = re.compile(r"<(?:int:)?(patient_id|appointment_id|visit_token|med_id|task_id|note_id)>")


def _clinical_get_rules(app):
    for rule in app.url_map.iter_rules():
        if "GET" in rule.methods and CLINICAL.search(rule.rule) and not rule.rule.startswith("/static"):
            yield rule


@pytest.fixture
def world(make_patient, make_clinician, make_staff, client, auth_headers):
    from app.booking import service as booking

    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(
        therapist,
        {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0},
        actor=therapist,
    )
    patient = make_patient()
    from datetime import UTC, datetime, timedelta

    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=15, minute=0, second=0, microsecond=0)
    booked = client.post(
        "/api/v1/appointments",
        json={"clinician_id": therapist.id, "type": "therapy_session", "start": start.isoformat()},
        headers=auth_headers(patient),
    )
    assert booked.status_code == 201
    return {
        "patient": patient,
        "therapist": therapist,
        "billing": make_staff("billing_admin"),
        "appointment": booked.get_json()["id"],
    }


def _clinical_ids(world) -> dict[str, int | str]:
    """A real object of the patient for every id a clinical route takes: with ids that do not exist,
    a 404 would prove nothing."""
    from app.booking.appointment import Appointment
    from app.care_team import service as care
    from app.care_team.task import Task
    from app.extensions import db

    patient = world["patient"]
    appointment = db.session.get(Appointment, world["appointment"])
    care.add_assessment(patient, patient.id, "PHQ-9", [1] * 9)  # item 9: opens a task for the therapist
    task = db.session.scalars(db.select(Task).where(Task.patient_id == patient.id)).first()
    return {
        "patient_id": patient.id,
        "appointment_id": appointment.id,
        "visit_token": appointment.visit_token,
        "task_id": task.id,
    }


def test_billing_admin_gets_404_on_every_clinical_route(app, client, world, auth_headers):
    ids = _clinical_ids(world)
    billing, team = auth_headers(world["billing"]), auth_headers(world["therapist"])
    checked = 0
    for rule in _clinical_get_rules(app):
        path = rule.rule
        for name in rule.arguments:
            assert name in ids, f"{rule.rule}: give <{name}> a real object in _clinical_ids"
            path = re.sub(rf"<(?:\w+:)?{name}>", str(ids[name]), path)
        response = client.get(path, headers=billing)
        assert response.status_code == 404, (path, response.status_code)
        # The ids are real: the care team gets the data behind the very same path.
        assert client.get(path, headers=team).status_code == 200, path
        checked += 1
    assert checked >= 10  # the walk found the clinical routes


def test_billing_routes_keep_to_their_roles(client, world, auth_headers):
    patient, therapist, billing = (auth_headers(world[k]) for k in ("patient", "therapist", "billing"))
    assert client.get("/api/v1/billing/report", headers=billing).status_code == 200
    for headers in (patient, therapist):
        assert client.get("/api/v1/billing/report", headers=headers).status_code == 403
    assert client.get("/api/v1/billing/report").status_code == 401
    for headers in (therapist, billing):
        assert client.get("/api/v1/billing/subscription", headers=headers).status_code == 403
        assert client.post("/api/v1/billing/checkout", json={"plan": "monthly"}, headers=headers).status_code == 403
    assert client.post("/api/v1/billing/checkout", json={"plan": "weekly"}, headers=patient).status_code == 422
    assert client.get("/api/v1/billing/plans").status_code == 200


def test_clinicians_cannot_open_the_billing_console(client, world, browser_login):
    browser_login(world["therapist"])
    assert client.get("/billing/admin").status_code == 403
    assert client.get("/billing/admin/subscribers.csv").status_code == 403


def test_report_figures_follow_the_contract(client, make_patient, make_staff, auth_headers):
    from datetime import UTC, datetime, timedelta

    from app.extensions import db
    from tests.integration.conftest import give_membership

    now = datetime.now(UTC)
    give_membership(make_patient(member=False), "active", "monthly")
    annual = give_membership(make_patient(member=False), "active", "annual")
    annual.trial_end, annual.converted_at = now - timedelta(days=10), now - timedelta(days=10)
    lapsed = give_membership(make_patient(member=False), "canceled", "monthly")
    lapsed.trial_end, lapsed.canceled_at = now - timedelta(days=5), now - timedelta(days=6)
    old = give_membership(make_patient(member=False), "past_due", "annual")
    old.trial_end = now - timedelta(days=120)
    give_membership(make_patient(member=False), "trialing", "monthly").trial_end = now + timedelta(days=3)
    db.session.commit()
    body = client.get("/api/v1/billing/report", headers=auth_headers(make_staff("billing_admin"))).get_json()
    assert (body["active"], body["trialing"], body["past_due"], body["canceled"]) == (2, 1, 1, 1)
    assert body["mrr_cents"] == 1299 + 583  # annual at 6999 / 12 = 583.25, rounded to the cent
    # Of the trials that ended in the last 90 days, the annual one became active, the cancelled one did not;
    # the one that ended 120 days ago is outside the window, the running one has not ended.
    assert body["trials_ended_90d"] == 2 and body["trial_conversion_rate"] == 0.5

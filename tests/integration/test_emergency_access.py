"""Break the glass: a stated reason, 60 minutes of access, an audit row and a notice to the team."""

from __future__ import annotations

from datetime import timedelta

from app.audit.event import AuditEvent
from app.booking import openings
from app.booking import service as booking
from app.care_team.emergency import EmergencyAccess
from app.care_team.task import Task
from app.db import utcnow
from app.extensions import db
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


def test_break_the_glass(client, make_patient, make_clinician, make_staff, auth_headers):
    patient = make_patient()
    member = make_clinician("LCSW", licensed_states=["NY"])
    booking.update_availability(member, EVERY_DAY, actor=member)
    day = (utcnow() + timedelta(days=2)).date()
    booking.book(
        patient,
        member.id,
        "therapy_session",
        openings.open_slots(member, "therapy_session", day, day, "America/New_York")[0][0],
    )
    on_call = make_clinician("MD", name="Dr. On Call")
    headers = auth_headers(on_call)
    plan = f"/api/v1/patients/{patient.id}/care-plan"
    assert client.get(plan, headers=headers).status_code == 404
    short = client.post(f"/api/v1/patients/{patient.id}/emergency-access", headers=headers, json={"reason": "urgent"})
    assert short.status_code == 422  # a reason worth reading
    granted = client.post(
        f"/api/v1/patients/{patient.id}/emergency-access",
        headers=headers,
        json={"reason": "Patient called the crisis line, team unreachable overnight"},
    )
    assert granted.status_code == 201
    assert client.get(plan, headers=headers).status_code == 200
    (task,) = db.session.scalars(db.select(Task).where(Task.owner_id == member.id, Task.urgent)).all()
    assert "Dr. On Call" in task.title and "crisis line" in task.title
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "emergency_access")).one()
    assert event.actor_id == on_call.id and event.patient_id == patient.id
    # Sixty minutes later the glass is whole again.
    grant = db.session.scalars(db.select(EmergencyAccess)).one()
    grant.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert client.get(plan, headers=headers).status_code == 404
    # Not for other roles (for them the record does not exist; the patient is told it is not theirs to
    # do), not for unknown patients, not for the team itself.
    for role in ("admin", "billing_admin"):
        assert (
            client.post(
                f"/api/v1/patients/{patient.id}/emergency-access",
                headers=auth_headers(make_staff(role)),
                json={"reason": "curious about this one"},
            ).status_code
            == 404
        )
    assert (
        client.post(
            f"/api/v1/patients/{patient.id}/emergency-access",
            headers=auth_headers(patient),
            json={"reason": "let me in to my own record"},
        ).status_code
        == 403
    )
    assert (
        client.post(
            "/api/v1/patients/999999/emergency-access",
            headers=headers,
            json={"reason": "Patient called the crisis line"},
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/patients/{patient.id}/emergency-access",
            headers=auth_headers(member),
            json={"reason": "I am on the team already"},
        ).status_code
        == 409
    )


def test_break_the_glass_page(client, make_patient, make_clinician, browser_login):
    patient = make_patient()
    browser_login(make_clinician("DO"))
    page = client.get("/emergency-access").get_data(as_text=True)
    token = csrf_token_from(page)
    bad = client.post("/emergency-access", data={"csrf_token": token, "email": "nobody@example.com", "reason": "x"})
    assert bad.status_code == 422 and "No patient account" in bad.get_data(as_text=True)
    ok = client.post(
        "/emergency-access",
        data={"csrf_token": token, "email": patient.email, "reason": "Crisis call overnight, team unreachable"},
    )
    assert ok.status_code == 302 and f"/patients/{patient.id}/chart" in ok.headers["Location"]
    assert client.get(ok.headers["Location"]).status_code == 200


def test_an_emergency_grant_opens_the_record_until_just_before_its_expiry_instant(
    client, make_patient, make_clinician, auth_headers
):
    import time_machine

    patient = make_patient()
    on_call = make_clinician("MD", name="Dr. On Call")
    headers = auth_headers(on_call)
    granted = client.post(f"/api/v1/patients/{patient.id}/emergency-access", headers=headers,
                          json={"reason": "Patient called the crisis line, team unreachable overnight"})  # fmt: skip
    assert granted.status_code == 201
    grant = db.session.scalars(db.select(EmergencyAccess)).one()
    expiry = (utcnow() + timedelta(minutes=30)).replace(microsecond=0)
    grant.expires_at = expiry
    db.session.commit()
    plan = f"/api/v1/patients/{patient.id}/care-plan"
    with time_machine.travel(expiry - timedelta(seconds=1), tick=False):
        assert client.get(plan, headers=headers).status_code == 200
    with time_machine.travel(expiry, tick=False):
        assert client.get(plan, headers=headers).status_code == 404


def test_an_emergency_grant_opens_one_patients_record_to_one_clinician(
    client, make_patient, make_clinician, auth_headers
):
    patient, other_patient = make_patient(), make_patient()
    on_call, colleague = make_clinician("MD", name="Dr. On Call"), make_clinician("MD", name="Dr. Colleague")
    granted = client.post(f"/api/v1/patients/{patient.id}/emergency-access", headers=auth_headers(on_call),
                          json={"reason": "Patient called the crisis line, team unreachable overnight"})  # fmt: skip
    assert granted.status_code == 201
    assert client.get(f"/api/v1/patients/{patient.id}/care-plan", headers=auth_headers(on_call)).status_code == 200
    # not the colleague (the grant is Dr. On Call's), not another patient (the grant is for this one)
    assert client.get(f"/api/v1/patients/{patient.id}/care-plan", headers=auth_headers(colleague)).status_code == 404
    other = f"/api/v1/patients/{other_patient.id}/care-plan"
    assert client.get(other, headers=auth_headers(on_call)).status_code == 404


def _team_and_on_call(make_patient, make_clinician):
    """A patient with a therapist on the team, and an on-call prescriber who is not."""
    patient = make_patient()
    member = make_clinician("LCSW", licensed_states=["NY"])
    booking.update_availability(member, EVERY_DAY, actor=member)
    day = (utcnow() + timedelta(days=2)).date()
    start = openings.open_slots(member, "therapy_session", day, day, "America/New_York")[0][0]
    booking.book(patient, member.id, "therapy_session", start)
    return patient, member, make_clinician("MD", name="Dr. On Call")


def test_an_emergency_grant_reads_the_record_but_does_not_make_a_team_member(
    client, make_patient, make_clinician, auth_headers
):
    # Break-glass opens the chart to read; exporting the record and writing to the patient stay the
    # team's (404, as for anyone off the team), whatever the grant.
    patient, _, on_call = _team_and_on_call(make_patient, make_clinician)
    headers = auth_headers(on_call)
    reason = {"reason": "Patient called the crisis line, team unreachable overnight"}
    assert (
        client.post(f"/api/v1/patients/{patient.id}/emergency-access", headers=headers, json=reason).status_code == 201
    )
    assert client.get(f"/api/v1/patients/{patient.id}/care-plan", headers=headers).status_code == 200
    assert client.get(f"/api/v1/patients/{patient.id}/fhir", headers=headers).status_code == 404
    written = client.post(f"/api/v1/patients/{patient.id}/messages", headers=headers, json={"body": "I am covering"})
    assert written.status_code == 404


def test_the_thread_page_tells_a_break_glass_reader_why_they_cannot_write(
    client, make_patient, make_clinician, browser_login
):
    patient, _, on_call = _team_and_on_call(make_patient, make_clinician)
    browser_login(on_call)
    db.session.add(EmergencyAccess(clinician_id=on_call.id, patient_id=patient.id, reason="Crisis call, team away",
                                   expires_at=utcnow() + timedelta(hours=1)))  # fmt: skip
    db.session.commit()
    page = client.get(f"/patients/{patient.id}/messages")
    assert page.status_code == 200
    assert "You are reading this thread with emergency access" in page.get_data(as_text=True)


def test_the_patient_is_told_emergency_access_is_for_clinicians(client, make_patient, auth_headers):
    patient = make_patient()
    refused = client.post(f"/api/v1/patients/{patient.id}/emergency-access", headers=auth_headers(patient),
                          json={"reason": "let me in to my own record"})  # fmt: skip
    assert refused.status_code == 403
    assert refused.get_json() == {"error": "forbidden", "message": "Emergency access is for clinicians."}


def test_the_patients_own_chart_has_no_minutes_form(client, make_patient, make_clinician, browser_login):
    # Logging care-management minutes is the team's work; the patient reads their chart.
    patient, member, _ = _team_and_on_call(make_patient, make_clinician)
    browser_login(patient)
    chart = client.get(f"/patients/{patient.id}/chart")
    assert chart.status_code == 200
    assert "Log care-management minutes" not in chart.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token_from(chart.get_data(as_text=True))})
    browser_login(member)
    assert "Log care-management minutes" in client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)

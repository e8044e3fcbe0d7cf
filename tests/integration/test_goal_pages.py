"""A team member updates a goal's status and target from the chart; stale pages do not overwrite."""

from __future__ import annotations

from app.care_team import service
from tests.integration.conftest import csrf_token_from


def test_update_goal_from_the_chart(client, make_patient, make_clinician, browser_login):
    from app.care_team.member import CareTeamMember
    from app.db import utcnow
    from app.extensions import db

    patient, therapist = make_patient(), make_clinician("LCSW")
    db.session.add(CareTeamMember(patient_id=patient.id, clinician_id=therapist.id, added_at=utcnow()))
    db.session.commit()
    plan, _ = service.get_plan(therapist, patient.id)
    service.patch_plan(therapist, patient.id, plan.version, {"goals": [{"text": "Sleep through the night",
                                                                        "status": "active"}]})  # fmt: skip
    browser_login(therapist)
    page = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "Update goal 1" in page
    token = csrf_token_from(page)
    plan, _ = service.get_plan(therapist, patient.id)
    done = client.post(
        f"/patients/{patient.id}/chart/goals/0",
        data={"csrf_token": token, "base_version": plan.version, "status": "met", "target": "7 hours, 5 nights a week"},
    )
    assert done.status_code == 302
    plan, _ = service.get_plan(therapist, patient.id)
    assert plan.goals[0]["status"] == "met" and plan.goals[0]["target"] == "7 hours, 5 nights a week"
    stale = client.post(
        f"/patients/{patient.id}/chart/goals/0",
        data={"csrf_token": token, "base_version": plan.version - 1, "status": "on_hold"},
    )
    assert stale.status_code == 302 and service.get_plan(therapist, patient.id)[0].goals[0]["status"] == "met"
    for bad in ({"base_version": "x", "status": "met"}, {"base_version": plan.version, "status": "bogus"}):
        assert (
            client.post(f"/patients/{patient.id}/chart/goals/0", data={"csrf_token": token, **bad}).status_code == 302
        )
    assert (
        client.post(
            f"/patients/{patient.id}/chart/goals/9",
            data={"csrf_token": token, "base_version": plan.version, "status": "met"},
        ).status_code
        == 302
    )
    outsider = make_clinician("LCSW")
    client.post("/logout", data={"csrf_token": token})
    browser_login(outsider)
    page = client.get("/caseload").get_data(as_text=True)
    assert (
        client.post(
            f"/patients/{patient.id}/chart/goals/0",
            data={"csrf_token": csrf_token_from(page), "base_version": plan.version, "status": "on_hold"},
        ).status_code
        == 404
    )


def test_api_goal_without_status_is_stored_active_and_the_chart_renders(client, make_patient, make_clinician,
                                                                        auth_headers, browser_login):  # fmt: skip
    from app.care_team.member import CareTeamMember
    from app.db import utcnow
    from app.extensions import db

    patient, therapist = make_patient(), make_clinician("LCSW")
    db.session.add(CareTeamMember(patient_id=patient.id, clinician_id=therapist.id, added_at=utcnow()))
    db.session.commit()
    url = f"/api/v1/patients/{patient.id}/care-plan"
    version = client.get(url, headers=auth_headers(therapist)).get_json()["version"]
    done = client.patch(url, json={"base_version": version, "goals": [{"text": "Call a friend weekly"}],
                                   "problems": None}, headers=auth_headers(therapist))  # fmt: skip
    assert done.status_code == 200, done.get_json()
    assert done.get_json()["goals"] == [{"text": "Call a friend weekly", "target": None, "status": "active"}]
    assert done.get_json()["problems"] == []
    browser_login(therapist)
    assert client.get(f"/patients/{patient.id}/chart").status_code == 200

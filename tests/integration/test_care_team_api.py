"""Contract: "Care team, care plan, measures"."""

from __future__ import annotations

from app.audit.event import AuditEvent
from app.care_team.task import Task
from app.extensions import db


def test_team_and_plan_visible_to_patient_and_team(client, team):
    pid = team["patient"].id
    for who in ("patient", "prescriber", "therapist"):
        members = client.get(f"/api/v1/patients/{pid}/care-team", headers=team["h"][who]).get_json()
        assert {m["clinical_role"] for m in members} == {"prescriber", "therapist"}
        plan = client.get(f"/api/v1/patients/{pid}/care-plan", headers=team["h"][who]).get_json()
        assert plan["version"] == 0 and plan["medications"] == []


# Every outsider on every patient route, API and pages: test_access_roles_matrix.py.


def test_plan_patch_versions_and_conflict(client, team):
    pid, h = team["patient"].id, team["h"]
    first = client.patch(
        f"/api/v1/patients/{pid}/care-plan",
        headers=h["therapist"],
        json={"base_version": 0, "goals": [{"text": "Sleep 7 hours", "target": "5 nights a week"}]},
    )
    assert first.status_code == 200 and first.get_json()["version"] == 1
    stale = client.patch(
        f"/api/v1/patients/{pid}/care-plan",
        headers=h["prescriber"],
        json={"base_version": 0, "problems": [{"text": "Depression", "code": "F32.1"}]},
    )
    assert stale.status_code == 409 and stale.get_json() == {
        **stale.get_json(),
        "error": "version_conflict",
        "current_version": 1,
    }
    second = client.patch(
        f"/api/v1/patients/{pid}/care-plan",
        headers=h["prescriber"],
        json={"base_version": 1, "problems": [{"text": "Depression", "code": "F32.1"}]},
    )
    body = second.get_json()
    assert body["version"] == 2 and body["goals"][0]["text"] == "Sleep 7 hours"  # untouched lists stay
    history = client.get(f"/api/v1/patients/{pid}/care-plan/versions", headers=h["patient"]).get_json()
    assert [v["version"] for v in history] == [1, 2] and "goals" in history[0]["summary"]
    assert (
        client.patch(f"/api/v1/patients/{pid}/care-plan", headers=h["patient"], json={"base_version": 2}).status_code
        == 403
    )
    bad = client.patch(
        f"/api/v1/patients/{pid}/care-plan",
        headers=h["therapist"],
        json={"base_version": 2, "problems": [{"text": "x", "code": "not-icd"}]},
    )
    assert bad.status_code == 422


def test_only_prescribers_change_medications(client, team):
    pid, h = team["patient"].id, team["h"]
    med = {"name": "Sertraline", "dose": "50 mg", "frequency": "daily", "instructions": "with food"}
    refused = client.post(f"/api/v1/patients/{pid}/care-plan/medications", headers=h["therapist"], json=med)
    assert refused.status_code == 403 and refused.get_json()["error"] == "prescriber_only"
    added = client.post(f"/api/v1/patients/{pid}/care-plan/medications", headers=h["prescriber"], json=med)
    assert added.status_code == 201 and added.get_json()["status"] == "active"
    med_id = added.get_json()["id"]
    path = f"/api/v1/patients/{pid}/care-plan/medications/{med_id}/discontinue"
    assert client.post(path, headers=h["therapist"], json={"reason": "x"}).get_json()["error"] == "prescriber_only"
    stopped = client.post(path, headers=h["prescriber"], json={"reason": "side effects"})
    assert stopped.status_code == 200 and stopped.get_json()["status"] == "discontinued"
    plan = client.get(f"/api/v1/patients/{pid}/care-plan", headers=h["therapist"]).get_json()
    assert plan["medications"][0]["reason"] == "side effects" and plan["version"] == 2


def test_notes_are_for_the_team(client, team):
    pid, h = team["patient"].id, team["h"]
    assert (
        client.post(
            f"/api/v1/patients/{pid}/notes", headers=h["therapist"], json={"body": "Handoff: sleep worse"}
        ).status_code
        == 201
    )
    assert client.post(f"/api/v1/patients/{pid}/notes", headers=h["patient"], json={"body": "hi"}).status_code == 403


def test_assessments_scoring_crisis_and_tasks(client, team):
    pid, h = team["patient"].id, team["h"]
    wrong = client.post(
        f"/api/v1/patients/{pid}/assessments", headers=h["patient"], json={"instrument": "PHQ-9", "answers": [1] * 8}
    )
    assert wrong.status_code == 422
    out_of_range = client.post(
        f"/api/v1/patients/{pid}/assessments",
        headers=h["patient"],
        json={"instrument": "GAD-7", "answers": [4, 0, 0, 0, 0, 0, 0]},
    )
    assert out_of_range.status_code == 422
    calm = client.post(
        f"/api/v1/patients/{pid}/assessments",
        headers=h["patient"],
        json={"instrument": "PHQ-9", "answers": [1] * 8 + [0]},
    )
    assert (
        calm.get_json()["score"] == 8
        and calm.get_json()["severity"] == "mild"
        and calm.get_json()["item9_positive"] is False
    )
    assert "crisis_resources" not in calm.get_json() or calm.get_json()["crisis_resources"] is None
    crisis = client.post(
        f"/api/v1/patients/{pid}/assessments",
        headers=h["patient"],
        json={"instrument": "PHQ-9", "answers": [0] * 8 + [2]},
    )
    body = crisis.get_json()
    assert (
        crisis.status_code == 201 and body["item9_positive"] and body["crisis_resources"]["lifeline"]["call"] == "988"
    )
    urgent = db.session.scalars(db.select(Task).where(Task.patient_id == pid, Task.urgent)).all()
    assert {t.owner_id for t in urgent} == {team["prescriber"].id, team["therapist"].id}
    listed = client.get(f"/api/v1/patients/{pid}/assessments?instrument=PHQ-9", headers=h["therapist"]).get_json()
    assert [a["score"] for a in listed] == [8, 2]


def test_caseload_rows_and_flags(client, team):
    pid, h = team["patient"].id, team["h"]
    client.post(
        f"/api/v1/patients/{pid}/assessments",
        headers=h["patient"],
        json={"instrument": "PHQ-9", "answers": [2] * 8 + [1]},
    )
    rows = client.get("/api/v1/caseload", headers=h["prescriber"]).get_json()
    (row,) = [r for r in rows if r["patient_id"] == pid]
    assert (
        row["baseline_phq9"] == 17
        and row["latest_phq9"] == 17
        and row["change_percent"] == 0.0
        and "safety" in row["flags"]
    )
    assert client.get("/api/v1/caseload", headers=h["patient"]).status_code == 403


def test_patient_removes_a_member_who_loses_access_at_once(client, team):
    pid, h = team["patient"].id, team["h"]
    therapist = team["therapist"]
    assert client.delete(f"/api/v1/patients/{pid}/care-team/{therapist.id}", headers=h["prescriber"]).status_code == 403
    assert client.delete(f"/api/v1/patients/{pid}/care-team/{therapist.id}", headers=h["patient"]).status_code == 204
    assert client.get(f"/api/v1/patients/{pid}/care-plan", headers=h["therapist"]).status_code == 404
    assert client.delete(f"/api/v1/patients/{pid}/care-team/{therapist.id}", headers=h["patient"]).status_code == 404


def test_reads_and_changes_are_audited(client, team):
    pid, h = team["patient"].id, team["h"]
    client.get(f"/api/v1/patients/{pid}/care-plan", headers=h["therapist"])
    client.post(f"/api/v1/patients/{pid}/notes", headers=h["therapist"], json={"body": "secret words"})
    events = db.session.scalars(db.select(AuditEvent).where(AuditEvent.patient_id == pid)).all()
    assert {"care_plan.read", "note.create"} <= {e.action for e in events}
    assert all("secret words" not in str(vars(e)) for e in events)

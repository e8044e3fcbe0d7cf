"""Issue 16, tasks: a task created from the chart or the API (owner among the team, due day,
priority), and the same-day safety task kept to one per patient and owner while it is open."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.audit.event import AuditEvent
from app.care_team import handoff
from app.care_team import service as care
from app.care_team.task import Task, TaskStatus
from app.db import utcnow
from app.extensions import db

from .conftest import csrf_token_from

POSITIVE = [1, 1, 1, 1, 1, 1, 1, 1, 1]


def _tasks(patient_id: int) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.patient_id == patient_id).order_by(Task.id)))


def test_a_team_member_creates_a_task_for_a_teammate(client, team):
    pid, h = team["patient"].id, team["h"]
    body = {"title": "Call pharmacy", "owner_id": team["prescriber"].id, "due": "2026-12-10", "priority": "urgent"}
    made = client.post(f"/api/v1/patients/{pid}/tasks", headers=h["therapist"], json=body)
    assert made.status_code == 201, made.get_json()
    out = made.get_json()
    assert (out["title"], out["owner_id"], out["priority"], out["status"]) == (
        "Call pharmacy",
        team["prescriber"].id,
        "urgent",
        "open",
    )
    assert out["due_at"].startswith("2026-12-11T04:59")  # the end of Dec 10 in New York, in UTC
    plain = client.post(
        f"/api/v1/patients/{pid}/tasks",
        headers=h["prescriber"],
        json={"title": "Labs", "owner_id": team["therapist"].id},
    )
    assert plain.status_code == 201 and plain.get_json()["priority"] == "normal" and plain.get_json()["due_at"] is None


def test_the_owner_must_be_on_the_team(client, team, make_clinician):
    pid, h = team["patient"].id, team["h"]
    stranger = make_clinician("PsyD", licensed_states=["NY"])
    for owner in (stranger.id, team["patient"].id, 10**9):
        wrong = client.post(
            f"/api/v1/patients/{pid}/tasks", headers=h["therapist"], json={"title": "x", "owner_id": owner}
        )
        assert wrong.status_code == 422 and "owner_id" in wrong.get_json()["fields"]
    patient = client.post(
        f"/api/v1/patients/{pid}/tasks", headers=h["patient"], json={"title": "x", "owner_id": team["therapist"].id}
    )
    assert patient.status_code == 403
    assert _tasks(pid) == []


def test_new_task_form_on_the_chart(client, team, browser_login):
    pid = team["patient"].id
    browser = browser_login(team["therapist"])
    chart = browser.get(f"/patients/{pid}/chart").get_data(as_text=True)
    assert 'for="task-title"' in chart and 'for="task-owner"' in chart and 'for="task-due"' in chart
    token = csrf_token_from(chart)
    form = {"csrf_token": token, "title": "Send sleep diary", "owner_id": str(team["prescriber"].id)}
    saved = browser.post(f"/patients/{pid}/chart/tasks", data=form | {"due": "2026-12-10", "priority": "normal"})
    assert saved.status_code == 302
    assert [t.title for t in _tasks(pid)] == ["Send sleep diary"]
    empty = browser.post(f"/patients/{pid}/chart/tasks", data=form | {"title": "", "due": "not a day"})
    page = empty.get_data(as_text=True)
    assert empty.status_code == 422 and "Say what needs doing" in page and "Choose a day" in page
    assert len(_tasks(pid)) == 1


def test_a_second_positive_item9_adds_to_the_open_safety_task(client, team):
    patient, pid = team["patient"], team["patient"].id
    first = utcnow()
    care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first)
    care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first + timedelta(hours=1))
    tasks = _tasks(pid)
    assert sorted(t.owner_id for t in tasks) == sorted([team["prescriber"].id, team["therapist"].id])
    later = f"{first + timedelta(hours=1):%Y-%m-%d %H:%M} UTC"
    assert all(t.title.startswith(care.SAFETY_TASK) and later in t.title for t in tasks)
    repeats = db.session.scalar(
        select(db.func.count()).select_from(AuditEvent).where(AuditEvent.action == "task.safety_repeat")
    )
    assert repeats == 2
    # Once the prescriber closes theirs, the next positive answer opens a new one for them only.
    mine = next(t for t in tasks if t.owner_id == team["prescriber"].id)
    handoff.complete_task(team["prescriber"], mine.id)
    care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first + timedelta(hours=2))
    open_now = [t for t in _tasks(pid) if t.status == TaskStatus.OPEN]
    assert sorted(t.owner_id for t in open_now) == sorted([team["prescriber"].id, team["therapist"].id])
    assert len(_tasks(pid)) == 3
    # Many repeats never overflow the title column.
    for n in range(3, 30):
        care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first + timedelta(hours=n))
    assert all(len(t.title) <= 300 for t in _tasks(pid))


def test_openapi_declares_the_task_endpoint(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    assert "201" in doc["paths"]["/api/v1/patients/{patient_id}/tasks"]["post"]["responses"]

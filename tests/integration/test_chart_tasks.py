"""Issue 16, tasks: a task created from the chart or the API (owner among the team, due day,
priority), and the same-day safety task kept to one per patient and owner while it is open."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.audit.event import AuditEvent
from app.care_team import handoff, safety_task
from app.care_team import service as care
from app.care_team.task import Task, TaskKind, TaskStatus
from app.db import utcnow
from app.errors import Conflict
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


def _history(task: Task) -> list[tuple[str, int | None, int | None]]:
    db.session.refresh(task)
    return [(e.kind, e.score, e.actor_id) for e in task.events]


def test_a_second_positive_item9_adds_to_the_open_safety_tasks_history(client, team):
    patient, pid = team["patient"], team["patient"].id
    first = utcnow()
    opened_by = care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first)
    again = care.add_assessment(team["therapist"], pid, "PHQ-9", [2] * 9, now=first + timedelta(hours=1))
    tasks = _tasks(pid)
    assert sorted(t.owner_id for t in tasks) == sorted([team["prescriber"].id, team["therapist"].id])
    assert all(t.title == safety_task.TITLE and t.kind == TaskKind.SAFETY for t in tasks)  # the title stays as it was
    for t in tasks:
        assert _history(t) == [("opened", 9, patient.id), ("repeat_positive_screen", 18, team["therapist"].id)]
        assert [e.assessment_id for e in t.events] == [opened_by.id, again.id]
        assert [e.at for e in t.events] == [first, first + timedelta(hours=1)]
    repeats = db.session.scalar(
        select(db.func.count()).select_from(AuditEvent).where(AuditEvent.action == "task.safety_repeat")
    )
    assert repeats == 2
    # Once the prescriber closes theirs (a "done" row naming them), the next positive answer opens a new
    # one for them, and adds to the therapist's still open one.
    mine = next(t for t in tasks if t.owner_id == team["prescriber"].id)
    handoff.complete_task(team["prescriber"], mine.id, now=first + timedelta(hours=2))
    assert _history(mine)[-1] == ("done", None, team["prescriber"].id)
    care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first + timedelta(hours=3))
    open_now = [t for t in _tasks(pid) if t.status == TaskStatus.OPEN]
    assert sorted(t.owner_id for t in open_now) == sorted([team["prescriber"].id, team["therapist"].id])
    assert len(_tasks(pid)) == 3
    theirs = next(t for t in open_now if t.owner_id == team["therapist"].id)
    assert [k for k, _, _ in _history(theirs)] == ["opened", "repeat_positive_screen", "repeat_positive_screen"]
    # Many repeats: every one is in the history; the title never changes.
    for n in range(4, 30):
        care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first + timedelta(hours=n))
    assert len(_history(theirs)) == 3 + 26 and theirs.title == safety_task.TITLE


def test_a_negative_item9_opens_nothing(client, team):
    pid = team["patient"].id
    care.add_assessment(team["patient"], pid, "PHQ-9", [3] * 8 + [0])
    assert _tasks(pid) == []


def test_the_database_holds_one_open_safety_task_per_patient_and_owner(client, team):
    """The partial unique index itself: a second open safety task for the same owner is refused, while a
    done one, another owner's, or an ordinary urgent task with the same title are not."""
    pid, owner = team["patient"].id, team["prescriber"].id

    def safety(status: str = "open", owner_id: int = owner, kind: str | None = "safety") -> Task:
        return Task(patient_id=pid, owner_id=owner_id, title=safety_task.TITLE, urgent=True, status=status, kind=kind)

    db.session.add_all([safety(), safety("done"), safety("done"), safety(owner_id=team["therapist"].id)])
    db.session.add(safety(kind=None))
    db.session.flush()
    with pytest.raises(IntegrityError):
        with db.session.begin_nested():
            db.session.add(safety())
    done = db.session.scalars(select(Task).where(Task.owner_id == owner, Task.status == "open", Task.kind == "safety"))
    for task in done:
        task.status = "done"
    db.session.flush()
    db.session.add(safety())  # once the open one is done, a new one may open
    db.session.flush()


def test_tasks_made_by_hand_and_by_mentions_start_with_an_opened_row(client, team):
    pid, therapist, prescriber = team["patient"].id, team["therapist"], team["prescriber"]
    made = handoff.create_task(therapist, pid, "Labs", prescriber.id)
    handoff.add_note(prescriber, pid, f"Please call, @{therapist.name}")
    mentioned = next(t for t in _tasks(pid) if t.owner_id == therapist.id)
    assert _history(made) == [("opened", None, therapist.id)]
    assert _history(mentioned) == [("opened", None, prescriber.id)]
    with pytest.raises(Conflict):
        handoff.complete_task(prescriber, made.id)
        handoff.complete_task(prescriber, made.id)  # twice: one "done" row
    assert [k for k, _, _ in _history(made)] == ["opened", "done"]


def test_the_chart_and_the_caseload_show_each_tasks_history(client, team, browser_login):
    patient, pid = team["patient"], team["patient"].id
    first = utcnow()
    care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first)
    care.add_assessment(patient, pid, "PHQ-9", [2] * 9, now=first + timedelta(minutes=30))
    browser = browser_login(team["therapist"])
    for url in (f"/patients/{pid}/chart", "/caseload"):
        page = browser.get(url).get_data(as_text=True)
        assert "History (2)" in page, url
        assert "answered above 0 again 1 time since it opened" in page
        assert "opened after a PHQ-9 with item 9 above 0 (score 9)" in page
        assert "PHQ-9 item 9 above 0 again (score 18)" in page
        assert f"by {patient.name}" in page


def test_the_api_lists_the_open_tasks_with_their_history(client, team, make_clinician, auth_headers):
    patient, pid, h = team["patient"], team["patient"].id, team["h"]
    first = utcnow()
    screens = [care.add_assessment(patient, pid, "PHQ-9", POSITIVE, now=first + timedelta(minutes=n)) for n in (0, 5)]
    handoff.create_task(team["therapist"], pid, "Labs", team["prescriber"].id)
    listed = client.get(f"/api/v1/patients/{pid}/tasks", headers=h["prescriber"])
    assert listed.status_code == 200, listed.get_json()
    out = listed.get_json()
    safety = [t for t in out if t["kind"] == "safety"]
    assert len(out) == 3 and len(safety) == 2
    for t in safety:
        assert [(e["kind"], e["assessment_id"], e["score"], e["actor_id"]) for e in t["history"]] == [
            ("opened", screens[0].id, 9, patient.id),
            ("repeat_positive_screen", screens[1].id, 9, patient.id),
        ]
    labs = next(t for t in out if t["kind"] is None)
    assert [e["kind"] for e in labs["history"]] == ["opened"] and labs["history"][0]["actor_id"] == team["therapist"].id
    reads = db.session.scalar(
        select(db.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "task.read", AuditEvent.patient_id == pid)
    )
    assert reads == 1
    assert client.get(f"/api/v1/patients/{pid}/tasks", headers=h["patient"]).status_code == 403
    stranger = make_clinician("PsyD", licensed_states=["NY"])
    assert client.get(f"/api/v1/patients/{pid}/tasks", headers=auth_headers(stranger)).status_code == 404


def test_openapi_declares_the_task_endpoint(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    path = doc["paths"]["/api/v1/patients/{patient_id}/tasks"]
    assert "201" in path["post"]["responses"] and "200" in path["get"]["responses"]
    task = doc["components"]["schemas"]["TaskOut"]["properties"]
    assert {"kind", "history"} <= task.keys()

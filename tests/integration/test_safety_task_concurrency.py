"""Issue 16: "the same-day safety task is not duplicated while one is open for that patient and owner",
proven under concurrency. Simultaneous positive PHQ-9 check-ins (item 9 above 0) for one patient, from
the patient and both clinicians on the team, leave exactly one open safety task per owner, with every
one of those check-ins in its history (the one that opened it, the others as repeats), and no 5xx.

Twice: over HTTP against the app served as production runs it (gunicorn, 4 workers, each request its
own process and connection), and with in-process threads released together by a barrier (more
requests at the same instant than gunicorn has workers). A third race closes the task while the
check-ins arrive: the owner still ends with one open task at most, and each check-in is in exactly
one of that owner's histories. Each race runs on a database of its own (on PostgreSQL a fresh one next
to TEST_DATABASE_URL's; on SQLite a file, where BEGIN IMMEDIATE makes the writers take turns).

The rule is the database's (the partial unique index ``uq_care_tasks_open_safety`` and INSERT … ON
CONFLICT in ``care_team/safety_task.py``): with the old read-then-insert, PostgreSQL let two
simultaneous check-ins each see no open task and open two.
"""

from __future__ import annotations

import collections
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup
from app.accounts.user import User
from app.auth import service as auth_service
from app.care_team import handoff
from app.care_team.assessment import Assessment
from app.care_team.member import CareTeamMember
from app.care_team.task import Task, TaskKind, TaskStatus
from app.extensions import db
from tests.conftest import PASSWORD, private_database
from tests.integration.conftest import give_membership, real_commits
from tests.integration.racing import TIMEOUT, app_settings, at_once, served

CHECK_INS = 12
POSITIVE = {"instrument": "PHQ-9", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 2]}


def _seed() -> dict:
    """A patient with a prescriber and a therapist on the care team; API tokens for all three."""
    people = {}
    for key, credential in (("prescriber", "MD"), ("therapist", "LCSW")):
        people[key] = accounts.create_clinician(
            ClinicianCreate(email=f"{key}@example.com", password=PASSWORD, name=f"Dr {key}", credential=credential,
                            licensed_states=["NY"], timezone="UTC"),
            actor=None,
        )  # fmt: skip
    patient = accounts.register_patient(
        PatientSignup(email="patient@example.com", password=PASSWORD, name="Sam Safety", state="NY",
                      timezone="America/New_York"),
        source="test",
    )  # fmt: skip
    give_membership(patient)  # commits
    people["patient"] = patient
    for key in ("prescriber", "therapist"):
        db.session.add(CareTeamMember(patient_id=patient.id, clinician_id=people[key].id))
    db.session.commit()
    seeded = {
        "patient_id": patient.id,
        "owners": sorted(people[k].id for k in ("prescriber", "therapist")),
        "ids": {k: u.id for k, u in people.items()},
        "tokens": {k: auth_service.issue_token(u, timedelta(hours=1)) for k, u in people.items()},
    }
    db.session.commit()  # end this thread's transaction: on SQLite it would hold the write lock against the race
    return seeded


def _who(n: int) -> str:
    return ("patient", "prescriber", "therapist")[n % 3]


def _histories(patient_id: int) -> dict[int, list[tuple[Task, list]]]:
    """Each owner's safety tasks about the patient, with their history rows."""
    by_owner: dict[int, list[tuple[Task, list]]] = collections.defaultdict(list)
    tasks = db.session.scalars(
        select(Task).where(Task.patient_id == patient_id, Task.kind == TaskKind.SAFETY).order_by(Task.id)
    )
    for task in tasks:
        by_owner[task.owner_id].append((task, list(task.events)))
    return by_owner


def _screens(patient_id: int) -> set[int]:
    return set(db.session.scalars(select(Assessment.id).where(Assessment.patient_id == patient_id)))


def _assert_one_task_each_with_every_screen(seeded: dict, expected: int) -> None:
    screens = _screens(seeded["patient_id"])
    assert len(screens) == expected
    by_owner = _histories(seeded["patient_id"])
    assert sorted(by_owner) == seeded["owners"]
    for owner, tasks in by_owner.items():
        assert len(tasks) == 1, f"owner {owner} has {len(tasks)} safety tasks"
        task, events = tasks[0]
        assert task.status == TaskStatus.OPEN and task.urgent
        kinds = [e.kind for e in events]
        assert kinds == ["opened"] + ["repeat_positive_screen"] * (expected - 1), kinds
        assert {e.assessment_id for e in events} == screens  # every check-in, once
        assert {e.score for e in events} == {10}


@pytest.fixture
def database(tmp_path) -> Iterator[str]:
    with private_database(str(tmp_path)) as url:
        yield url


def test_simultaneous_positive_check_ins_over_http_open_one_task_per_owner(database, tmp_path):
    app = create_app(app_settings(database))
    with real_commits(app, migrate=True):
        seeded = _seed()
    log = tmp_path / "server.log"
    with served(database, log, "safety-race") as base:
        _race_over_http(base, seeded, log)
    with real_commits(app):
        _assert_one_task_each_with_every_screen(seeded, CHECK_INS)


def _race_over_http(base: str, seeded: dict, log) -> None:
    """CHECK_INS positive check-ins released together against the served app; every answer a 201, the
    server's log clean, and the API's own view: one open safety task per owner with every check-in."""
    url = f"{base}/api/v1/patients/{seeded['patient_id']}/assessments"
    barrier = threading.Barrier(CHECK_INS)

    def check_in(n: int) -> tuple[int, dict]:
        headers = {"Authorization": f"Bearer {seeded['tokens'][_who(n)]}"}
        with requests.Session() as http:  # connect first, so the barrier releases requests, not handshakes
            http.get(f"{base}/healthz", timeout=TIMEOUT)
            barrier.wait()
            answer = http.post(url, json=POSITIVE, headers=headers, timeout=TIMEOUT)
        return answer.status_code, answer.json()

    with ThreadPoolExecutor(CHECK_INS) as pool:
        answers = list(pool.map(check_in, range(CHECK_INS)))
    therapist = {"Authorization": f"Bearer {seeded['tokens']['therapist']}"}
    listed = requests.get(url.replace("/assessments", "/tasks"), headers=therapist, timeout=TIMEOUT)
    print(f"\ngunicorn -w 4: statuses {collections.Counter(s for s, _ in answers)}")
    assert [s for s, _ in answers] == [201] * CHECK_INS, answers
    assert all(body["item9_positive"] and body["crisis_resources"] for _, body in answers)
    assert "Traceback" not in log.read_text()
    assert listed.status_code == 200
    safety = [t for t in listed.json() if t["kind"] == "safety"]
    assert sorted(t["owner_id"] for t in safety) == seeded["owners"]
    assert all(len(t["history"]) == CHECK_INS for t in safety)


def _check_in_as(app: Flask, seeded: dict, n: int) -> Callable[[], object]:
    def job() -> object:
        client = app.test_client()
        answer = client.post(
            f"/api/v1/patients/{seeded['patient_id']}/assessments",
            json=POSITIVE,
            headers={"Authorization": f"Bearer {seeded['tokens'][_who(n)]}"},
        )
        assert answer.status_code == 201, (answer.status_code, answer.get_data(as_text=True))
        return answer

    return job


def test_simultaneous_positive_check_ins_in_process_threads_open_one_task_per_owner(database):
    app = create_app(app_settings(database))
    with real_commits(app, migrate=True):
        seeded = _seed()
        failures = at_once(app, [_check_in_as(app, seeded, n) for n in range(CHECK_INS * 2)])
        assert failures == []
        _assert_one_task_each_with_every_screen(seeded, CHECK_INS * 2)


def test_closing_the_task_while_check_ins_arrive_keeps_one_open_task_and_every_screen(database):
    """The prescriber marks their open safety task done while more positive check-ins arrive: whichever
    order the database settles on, they end with at most one open safety task, and every check-in is in
    exactly one of their tasks' histories (the closed one's or the new one's); the therapist's stays one."""
    app = create_app(app_settings(database))
    with real_commits(app, migrate=True):
        seeded = _seed()
        assert at_once(app, [_check_in_as(app, seeded, 0)]) == []  # opens the tasks
        prescriber_id = seeded["ids"]["prescriber"]
        first = db.session.scalar(select(Task.id).where(Task.owner_id == prescriber_id))
        db.session.rollback()

        def close() -> object:
            return handoff.complete_task(db.session.get(User, prescriber_id), first)

        jobs = [_check_in_as(app, seeded, n) for n in range(1, CHECK_INS)]
        jobs.insert(CHECK_INS // 2, close)
        assert at_once(app, jobs) == []
        screens = _screens(seeded["patient_id"])
        by_owner = _histories(seeded["patient_id"])
        mine = by_owner[prescriber_id]
        assert mine[0][0].status == TaskStatus.DONE  # the first one, closed during the race
        assert sum(1 for t, _ in mine if t.status == TaskStatus.OPEN) <= 1
        seen = [e.assessment_id for _, events in mine for e in events if e.assessment_id is not None]
        assert sorted(seen) == sorted(screens)  # each check-in once, in one of the two tasks
        assert [e.kind for e in mine[0][1]][-1] == "done"
        theirs = by_owner[seeded["ids"]["therapist"]]
        assert len(theirs) == 1 and {e.assessment_id for e in theirs[0][1]} == screens

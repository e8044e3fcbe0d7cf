"""Contract: a care-plan problem's ``code`` is a valid ICD-10-CM code, stored and returned with its
``description`` (docs/api.md, "Visit notes, problems, tasks, messages, invitations")."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.booking import openings
from app.booking import service as booking
from app.care_team.plan import CarePlan
from app.db import utcnow
from app.demo.stories import STORIES
from app.extensions import db
from app.reference import icd10

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
MDD = "Major depressive disorder, recurrent, moderate"
GAD = "Generalized anxiety disorder"


@pytest.fixture
def plan(client, make_patient, make_clinician, auth_headers):
    """A patient with a prescriber on the care team; ``patch(problems)`` sends the next version."""
    patient = make_patient()
    prescriber = make_clinician("MD", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(prescriber, EVERY_DAY, actor=prescriber)
    day = (utcnow() + timedelta(days=3)).date()
    start = openings.open_slots(prescriber, "initial_consultation", day, day, "America/New_York")[0][0]
    booking.book(patient, prescriber.id, "initial_consultation", start)
    headers = {"prescriber": auth_headers(prescriber), "patient": auth_headers(patient)}
    path = f"/api/v1/patients/{patient.id}/care-plan"

    def patch(problems):
        version = client.get(path, headers=headers["prescriber"]).get_json()["version"]
        return client.patch(path, headers=headers["prescriber"], json={"base_version": version, "problems": problems})

    patch.path, patch.headers, patch.patient_id = path, headers, patient.id
    return patch


def test_coded_problems_are_returned_with_their_description(client, plan):
    response = plan([{"text": "Depression", "code": "F33.1"}, {"text": "Worry", "code": "f411"}, {"text": "Sleep"}])
    assert response.status_code == 200
    problems = response.get_json()["problems"]
    active = {"status": "active", "resolved_on": None}  # a problem is active until it is resolved
    assert problems[0] == {"text": "Depression", "code": "F33.1", "description": MDD} | active
    assert problems[1] == {"text": "Worry", "code": "F41.1", "description": GAD} | active  # stored as CMS writes it
    assert problems[2]["text"] == "Sleep" and problems[2].get("code") is None and problems[2].get("description") is None
    # Stored with the plan at write time, and every reader gets it.
    stored = db.session.get(CarePlan, plan.patient_id)
    db.session.refresh(stored)
    assert stored.problems[0]["description"] == MDD
    for who in ("patient", "prescriber"):
        read = client.get(plan.path, headers=plan.headers[who]).get_json()["problems"]
        assert [p.get("description") for p in read] == [MDD, GAD, None]


def test_a_plan_read_and_sent_back_keeps_the_code_set_description(client, plan):
    plan([{"text": "Depression", "code": "F33.1"}])
    read = client.get(plan.path, headers=plan.headers["prescriber"]).get_json()["problems"]
    read[0]["description"] = "Something else entirely"
    response = plan(read)
    assert response.status_code == 200
    assert response.get_json()["problems"][0]["description"] == MDD


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("F33", "codes under it: F33.0"),  # a category heading, not billable
        ("F33.7", "not a billable ICD-10-CM code"),
        ("Z99.999", "not a billable ICD-10-CM code"),
        ("not-icd", "not a billable ICD-10-CM code"),
        ("", "not a billable ICD-10-CM code"),
        ("F33.1 recurrent", "at most 10 characters"),
    ],
)
def test_an_invalid_code_is_422_naming_the_problem(client, plan, code, says):
    before = client.get(plan.path, headers=plan.headers["prescriber"]).get_json()["version"]
    response = plan([{"text": "Depression", "code": "F33.1"}, {"text": "Other", "code": code}])
    assert response.status_code == 422
    body = response.get_json()
    assert body["error"] == "invalid" and list(body["fields"]) == ["problems.1.code"]
    assert says in body["fields"]["problems.1.code"]
    assert client.get(plan.path, headers=plan.headers["prescriber"]).get_json()["version"] == before


def test_the_versions_do_not_count_the_description_as_a_change(client, plan):
    plan([{"text": "Depression", "code": "F33.1"}])
    plan([{"text": "Depression", "code": "F33.1"}, {"text": "Worry", "code": "F41.1"}])
    versions = client.get(plan.path + "/versions", headers=plan.headers["prescriber"]).get_json()
    last = versions[-1]["changes"]
    assert [(c["section"], c["kind"], c["item"]) for c in last] == [("problem", "added", "Worry")]


def test_every_demo_problem_carries_a_billable_code():
    """The demo clinic codes its problems as a clinic would (F33.1, F41.1, ...); each is in the code set, so
    the seed (which sends its plans through the API's schema) stores each with its description."""
    problems = [p for story in STORIES for change in story.plan for p in change.problems or []]
    assert len(problems) >= 5
    for problem in problems:
        assert icd10.lookup(problem["code"]) is not None, problem
        assert icd10.normalise(problem["code"]) == problem["code"]

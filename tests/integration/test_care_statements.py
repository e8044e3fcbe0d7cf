"""What one chart page and one caseload page cost the database: the SQL statements a request runs,
its commits and the audit rows it leaves, counted over a real request on both databases. The chart is
one read use case (``chart_view.chart``): one access check, one audit row for the patient shown, one
commit; the caseload one audit row per listed patient in one insert, one commit.

The counts are pinned so that a change which adds round trips shows here; if a change lowers them,
lower the pins with it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from app.audit.event import AuditEvent
from app.booking import openings
from app.booking import service as booking
from app.care_team import handoff
from app.care_team import service as care
from app.db import utcnow
from app.extensions import db

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


@dataclass
class Counted:
    statements: list[str] = field(default_factory=list)

    @property
    def commits(self) -> int:
        # Inside a test the session's commits are savepoint releases (tests/integration/conftest.py).
        return sum(1 for s in self.statements if s.lstrip().upper().startswith("RELEASE SAVEPOINT"))

    @property
    def transactions(self) -> int:
        """Transactions begun (savepoints inside a test): reading after the commit would begin a second."""
        return sum(1 for s in self.statements if s.lstrip().upper().startswith("SAVEPOINT"))

    @property
    def queries(self) -> int:
        """Statements other than the savepoint bookkeeping of the test's transaction."""
        return sum(1 for s in self.statements if "SAVEPOINT" not in s.upper())


@contextmanager
def counting() -> Iterator[Counted]:
    counted = Counted()
    engine = db.session.get_bind().engine

    def count(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        counted.statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield counted
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _audit_rows(actor_id: int) -> int:
    return db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.actor_id == actor_id)) or 0


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
    care.add_assessment(patient, patient.id, "PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, 1])
    handoff.add_note(therapist, patient.id, f"Sleep is worse, @{prescriber.name}")
    return patient, prescriber, therapist


def _request(client, url: str, actor_id: int) -> tuple[Counted, int]:
    before = _audit_rows(actor_id)
    with counting() as counted:
        response = client.get(url)
    assert response.status_code == 200, response.status_code
    return counted, _audit_rows(actor_id) - before


# Each request also loads the signed-in user and their login session (and may refresh it); those are
# the same for every page and part of the pinned figure.
# Issue 16's chart header: +1 the patient's profile (date of birth, phone, state), +1 the next and last
# visit; the patient's own chart also +1 the care team by name (the team's chart loaded it already).
# Task history (safety16): +1 for the team's chart and the caseload, the listed tasks' history rows with
# who did each (one SELECT … IN for all the tasks shown, run only when a task is listed).
CHART_TEAM_QUERIES = 15  # was 12 before the header, 14 before task history; 34 with 3 commits and 3 audit rows
CHART_PATIENT_QUERIES = 10  # was 7 before the header; 10 with 2 commits and 2 audit rows
# Caseload: 12 before issue 14 (the last 4 in a second transaction); +1 task history, +1 unread messages.
CASELOAD_QUERIES = 11


def test_the_chart_for_a_team_member_is_one_read_use_case(client, people, browser_login):
    patient, prescriber, _ = people
    browser_login(prescriber)
    client.get(f"/patients/{patient.id}/chart")  # warm: the first request after sign-in refreshes the session
    counted, audit_rows = _request(client, f"/patients/{patient.id}/chart", prescriber.id)
    assert (counted.transactions, counted.commits, audit_rows) == (1, 1, 1), counted.statements
    assert counted.queries == CHART_TEAM_QUERIES, "\n".join(counted.statements)


def test_the_chart_for_the_patient_is_one_read_use_case(client, people, browser_login):
    patient, *_ = people
    browser_login(patient)
    client.get(f"/patients/{patient.id}/chart")
    counted, audit_rows = _request(client, f"/patients/{patient.id}/chart", patient.id)
    assert (counted.transactions, counted.commits, audit_rows) == (1, 1, 1), counted.statements
    assert counted.queries == CHART_PATIENT_QUERIES, "\n".join(counted.statements)


def test_the_caseload_page_audits_each_patient_once_and_commits_once(client, people, browser_login):
    _, _, therapist = people
    browser_login(therapist)
    client.get("/caseload")
    counted, audit_rows = _request(client, "/caseload", therapist.id)
    assert (counted.transactions, counted.commits, audit_rows) == (1, 1, 1), counted.statements
    assert counted.queries == CASELOAD_QUERIES, "\n".join(counted.statements)


CARE_PLAN_API_QUERIES = 7


def test_the_care_plan_api_read_is_one_transaction(client, people, auth_headers):
    patient, _, therapist = people
    headers = auth_headers(therapist)
    before = _audit_rows(therapist.id)
    with counting() as counted:
        response = client.get(f"/api/v1/patients/{patient.id}/care-plan", headers=headers)
    assert response.status_code == 200
    assert (counted.transactions, counted.commits, _audit_rows(therapist.id) - before) == (1, 1, 1), counted.statements
    assert counted.queries == CARE_PLAN_API_QUERIES, "\n".join(counted.statements)


# The chart's sub-pages (safety16): the chart header used to be loaded after the page's own use case had
# committed, in a second read transaction (and the scores page read the header, with the latest scores,
# without an audit row). Each is now one use case in ``chart_view``: one transaction, one commit, one
# audit row, the header included. Before -> after, on SQLite and PostgreSQL alike (transactions, commits,
# audit rows, statements): history (2, 1, 1, 11) -> (1, 1, 1, 11); minutes (2, 1, 1, 13) -> (1, 1, 1, 12),
# the report's patient no longer re-read after the commit; scores (1, 0, 0, 9) -> (1, 1, 1, 10), +1 the
# audit row the header's scores now get.
SUB_PAGES = {
    "history": ("/patients/{pid}/chart/history", "prescriber"),
    "scores": ("/patients/{pid}/chart/scores", "therapist"),
    "minutes": ("/patients/{pid}/minutes", "therapist"),
}
SUB_PAGE_QUERIES = {"history": 11, "scores": 10, "minutes": 12}


@pytest.mark.parametrize("name", sorted(SUB_PAGES))
def test_each_chart_sub_page_is_one_read_use_case_with_its_header(client, people, browser_login, name):
    patient, prescriber, therapist = people
    url, who = SUB_PAGES[name]
    user = {"prescriber": prescriber, "therapist": therapist}[who]
    browser_login(user)
    client.get(url.format(pid=patient.id))  # warm: the first request after sign-in refreshes the session
    counted, audit_rows = _request(client, url.format(pid=patient.id), user.id)
    assert (counted.transactions, counted.commits, audit_rows) == (1, 1, 1), counted.statements
    assert counted.queries == SUB_PAGE_QUERIES[name], "\n".join(counted.statements)

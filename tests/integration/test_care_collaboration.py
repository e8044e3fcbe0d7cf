"""Collaborative-care pages built on the contract: the trend picture on the chart, the plan history
with readable diffs, handoff notes that mention a teammate, tasks with "Mark done", scores entered
from a visit, the one-question-per-screen check-in and the weekly review with the psychiatrist."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import timedelta

import pytest
from sqlalchemy import event, select
from sqlalchemy.engine import Engine

from app.booking import openings
from app.booking import service as booking
from app.care_team import handoff, service
from app.care_team.member import CareTeamMember
from app.care_team.review import review_list
from app.care_team.task import Task
from app.db import utcnow
from app.extensions import db
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
SVG = "http://www.w3.org/2000/svg"


@pytest.fixture
def people(make_patient, make_clinician):
    patient = make_patient(name="Robin Trend")
    prescriber = make_clinician("PMHNP", licensed_states=["NY"], name="Priya Shah")
    therapist = make_clinician("LMHC", licensed_states=["NY"], name="Theo Lund")
    day = (utcnow() + timedelta(days=3)).date()
    for clinician, kind, n in ((prescriber, "initial_consultation", 0), (therapist, "therapy_session", 3)):
        booking.update_availability(clinician, EVERY_DAY, actor=clinician)
        booking.book(
            patient, clinician.id, kind, openings.open_slots(clinician, kind, day, day, "America/New_York")[n][0]
        )
    return patient, prescriber, therapist


def svgs(html: str) -> list[ET.Element]:
    return [
        ET.fromstring(m)  # noqa: S314 -- our own page
        for m in re.findall(r"<svg .*?</svg>", html, flags=re.S)
        if 'class="trend-chart"' in m
    ]


def tasks_of(user) -> list[Task]:
    return list(db.session.scalars(select(Task).where(Task.owner_id == user.id).order_by(Task.id)))


# --- trend picture -------------------------------------------------------------------------------


def test_chart_shows_the_trend_to_the_team_and_to_the_patient(client, people, browser_login, app):
    patient, prescriber, _ = people
    start = utcnow() - timedelta(weeks=6)
    for weeks, answers in ((0, [3, 3, 2, 2, 2, 2, 2, 1, 0]), (3, [2, 2, 1, 1, 1, 1, 1, 1, 0]), (6, [1] * 8 + [0])):
        service.add_assessment(patient, patient.id, "PHQ-9", answers, now=start + timedelta(weeks=weeks))
    browser_login(prescriber)
    html = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    (phq9,) = svgs(html)  # no GAD-7 yet: only the PHQ-9 picture
    assert phq9.get("role") == "img" and "first 17" in phq9.get("aria-label") and "latest 8" in phq9.get("aria-label")
    assert [c.get("data-score") for c in phq9.iter(f"{{{SVG}}}circle")] == ["17", "10", "8"]

    own = app.test_client()
    token = csrf_token_from(own.get("/login").get_data(as_text=True))
    own.post("/login", data={"email": patient.email, "password": "correct horse battery staple", "csrf_token": token})
    mine = own.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert len(svgs(mine)[0].findall(f".//{{{SVG}}}circle")) == 3


def test_chart_without_scores_says_no_scores_yet(client, people, browser_login):
    patient, _, therapist = people
    browser_login(therapist)
    (figure,) = svgs(client.get(f"/patients/{patient.id}/chart").get_data(as_text=True))
    assert "no scores yet" in figure.get("aria-label").lower()


# --- plan history --------------------------------------------------------------------------------


def test_history_lists_every_version_with_who_and_what_changed(client, people, browser_login, auth_headers):
    patient, prescriber, therapist = people
    service.patch_plan(
        therapist, patient.id, 0, {"goals": [{"text": "Walk daily", "target": None, "status": "active"}]}
    )
    service.patch_plan(
        therapist,
        patient.id,
        1,
        {
            "goals": [{"text": "Walk daily", "target": "5 days", "status": "met"}],
            "problems": [{"text": "Low mood", "code": "F32.1"}],
        },
    )
    med = service.add_medication(prescriber, patient.id, {"name": "Sertraline", "dose": "50 mg", "frequency": "daily"})
    service.discontinue_medication(prescriber, patient.id, med.id, "Nausea <b>bad</b>")

    browser_login(therapist)
    chart = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert f'href="/patients/{patient.id}/chart/history"' in chart
    html = client.get(f"/patients/{patient.id}/chart/history").get_data(as_text=True)
    for text in (
        "Version 4",
        "Version 1",
        "Goal added: “Walk daily”",
        "Goal changed: “Walk daily”: target nothing → 5 days; status active → met",
        "Problem added: “Low mood”",
        "Medication started: Sertraline (50 mg, daily)",
        "Medication discontinued: Sertraline — reason: Nausea &lt;b&gt;bad&lt;/b&gt;",
        "by Theo Lund",
        "by Priya Shah",
    ):
        assert text in html, text
    assert html.index("Version 4") < html.index("Version 1")  # newest first
    assert "<b>bad</b>" not in html

    versions = client.get(f"/api/v1/patients/{patient.id}/care-plan/versions", headers=auth_headers(patient)).get_json()
    assert [v["version"] for v in versions] == [1, 2, 3, 4]
    assert {"version", "updated_at", "updated_by", "summary", "changes"} <= set(versions[0])
    assert versions[0]["changes"] == [
        {"section": "goal", "kind": "added", "item": "Walk daily", "fields": [], "reason": None}
    ]
    assert [(c["section"], c["kind"]) for c in versions[1]["changes"]] == [("problem", "added"), ("goal", "changed")]
    assert versions[3]["changes"][0]["reason"] == "Nausea <b>bad</b>"


def test_patient_sees_history_outsiders_get_404(client, people, browser_login, make_clinician, make_staff):
    patient, _, therapist = people
    service.patch_plan(therapist, patient.id, 0, {"goals": [{"text": "Sleep", "status": "active"}]})
    browser_login(patient)
    assert "Goal added: “Sleep”" in client.get(f"/patients/{patient.id}/chart/history").get_data(as_text=True)
    for outsider in (make_clinician("PsyD"), make_staff("billing_admin"), make_staff("admin")):
        client.delete_cookie("clinic_session")
        browser_login(outsider)
        assert client.get(f"/patients/{patient.id}/chart/history").status_code == 404


# --- handoff notes that mention a teammate ---------------------------------------------------------


def test_mention_gives_the_teammate_a_task_and_is_highlighted_and_escaped(client, people, browser_login):
    patient, prescriber, therapist = people
    browser_login(therapist)
    token = csrf_token_from(client.get(f"/patients/{patient.id}/chart").get_data(as_text=True))
    body = "@Priya Shah sleep is worse <script>alert(1)</script>; mail me at theo@example.com"
    response = client.post(f"/patients/{patient.id}/chart/notes", data={"csrf_token": token, "body": body})
    assert response.status_code == 302
    (task,) = tasks_of(prescriber)
    assert task.status == "open" and task.patient_id == patient.id
    assert task.title.startswith("Theo Lund mentioned you in a handoff note: @Priya Shah sleep is worse")
    assert tasks_of(therapist) == []  # the author is not tasked

    html = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert '<mark class="mention">@Priya Shah</mark> sleep is worse &lt;script&gt;alert(1)&lt;/script&gt;' in html
    assert "<script>alert(1)" not in html
    assert "theo@example.com" in html and '<mark class="mention">@example' not in html


def test_notify_select_tells_the_chosen_teammate(client, people, browser_login):
    patient, prescriber, therapist = people
    browser_login(prescriber)
    chart = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert f'<option value="{therapist.id}">Theo Lund (therapist)</option>' in chart
    assert f'<option value="{prescriber.id}">' not in chart  # not yourself
    token = csrf_token_from(chart)
    client.post(
        f"/patients/{patient.id}/chart/notes",
        data={"csrf_token": token, "body": "Started sertraline today", "notify": [str(therapist.id), "999999", "x"]},
    )
    assert "Theo Lund will see it in their tasks" in client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert [t.title for t in tasks_of(therapist)] == [
        "Priya Shah mentioned you in a handoff note: Started sertraline today @Theo Lund"
    ]
    html = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert 'Started sertraline today<br><mark class="mention">@Theo Lund</mark>' in html


def test_api_note_mention_creates_a_task(client, people, auth_headers):
    patient, prescriber, therapist = people
    response = client.post(
        f"/api/v1/patients/{patient.id}/notes", json={"body": "@theo please check in"}, headers=auth_headers(prescriber)
    )
    assert response.status_code == 201 and set(response.get_json()) == {
        "id",
        "patient_id",
        "author_id",
        "body",
        "created_at",
    }
    assert len(tasks_of(therapist)) == 1


def test_mentions_parsing():
    team = [(1, "Priya Shah"), (2, "Theo Lund"), (3, "Theo Park")]
    found = handoff.find_mentions("@priya, @Theo Park and @Theo, x@Priya Shah, @Priyanka", team)
    assert [(m.user_id, m.start) for m in found] == [(1, 0), (3, 8)]  # "Theo" alone is ambiguous
    team = [(4, "Dr. Maya Chen"), (5, "Jordan Lee, PMHNP")]
    found = handoff.find_mentions("@Dr. Maya Chen, @maya chen, @Maya, @Jordan Lee, @jordan lee, pmhnp, @Dr.", team)
    assert [m.user_id for m in found] == [4, 4, 4, 5, 5]
    assert [m.end - m.start for m in found][:3] == [len("@Dr. Maya Chen"), len("@maya chen"), len("@Maya")]


# --- tasks ---------------------------------------------------------------------------------------


def test_my_open_tasks_on_the_caseload_and_mark_done(client, people, browser_login):
    patient, prescriber, therapist = people
    service.add_assessment(patient, patient.id, "PHQ-9", [0] * 8 + [1])  # urgent task for both
    browser_login(therapist)
    caseload = client.get("/caseload").get_data(as_text=True)
    assert "My open tasks" in caseload and "Same-day safety follow-up" in caseload
    assert "Owner: Theo Lund" in caseload and "status: open" in caseload and "due " in caseload
    assert "Robin Trend" in caseload
    (mine,) = tasks_of(therapist)
    token = csrf_token_from(caseload)
    assert client.post(f"/tasks/{mine.id}/done", data={"next": "/caseload"}).status_code == 400  # no CSRF token
    done = client.post(f"/tasks/{mine.id}/done", data={"csrf_token": token, "next": "/caseload"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/caseload")
    assert db.session.get(Task, mine.id).status == "done"
    after = client.get("/caseload").get_data(as_text=True)
    assert "Done: Same-day safety follow-up" in after and f"/tasks/{mine.id}/done" not in after
    client.post(f"/tasks/{mine.id}/done", data={"csrf_token": token})
    assert "already done" in client.get("/caseload").get_data(as_text=True)

    # A teammate may close another member's task for this patient, from the chart.
    (theirs,) = tasks_of(prescriber)
    chart = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "Open tasks for this patient" in chart and "Owner: Priya Shah" in chart
    back = client.post(f"/tasks/{theirs.id}/done", data={"csrf_token": token, "next": "//evil.example/x"})
    assert back.headers["Location"].endswith("/caseload")  # no open redirect
    assert db.session.get(Task, theirs.id).status == "done"


def test_outsiders_get_404_on_tasks(client, people, browser_login, make_clinician, make_staff):
    patient, prescriber, _ = people
    service.add_assessment(patient, patient.id, "PHQ-9", [0] * 8 + [2])
    (task,) = tasks_of(prescriber)
    for outsider in (make_clinician("PsyD"), make_staff("billing_admin"), make_staff("admin")):
        client.delete_cookie("clinic_session")
        browser_login(outsider)
        token = csrf_token_from(client.get("/account").get_data(as_text=True))
        assert client.post(f"/tasks/{task.id}/done", data={"csrf_token": token}).status_code == 404
        assert client.post("/tasks/999999/done", data={"csrf_token": token}).status_code == 404
    assert db.session.get(Task, task.id).status == "open"


def test_patient_cannot_close_tasks(client, people, browser_login):
    patient, prescriber, _ = people
    service.add_assessment(patient, patient.id, "PHQ-9", [0] * 8 + [2])
    (task,) = tasks_of(prescriber)
    browser_login(patient)
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    assert client.post(f"/tasks/{task.id}/done", data={"csrf_token": token}).status_code == 404
    assert db.session.get(Task, task.id).status == "open"


# --- scores from a visit ---------------------------------------------------------------------------


def test_clinician_enters_scores_from_a_visit(client, people, browser_login):
    patient, prescriber, therapist = people
    browser_login(therapist)
    chart = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert f"/patients/{patient.id}/chart/scores?instrument=GAD-7" in chart
    page = client.get(f"/patients/{patient.id}/chart/scores?instrument=GAD-7").get_data(as_text=True)
    assert page.count('class="likert') == 7
    token = csrf_token_from(page)
    partial = client.post(
        f"/patients/{patient.id}/chart/scores", data={"csrf_token": token, "instrument": "GAD-7", "q0": "2"}
    )
    assert partial.status_code == 422 and "6 left" in partial.get_data(as_text=True)
    form = {f"q{i}": "2" for i in range(7)} | {"csrf_token": token, "instrument": "GAD-7"}
    assert client.post(f"/patients/{patient.id}/chart/scores", data=form).status_code == 302
    saved = client.get(f"/patients/{patient.id}/chart")
    assert "GAD-7 from the visit saved: 14 (moderate)" in saved.get_data(as_text=True)
    (row,) = service.assessments(therapist, patient.id, "GAD-7")
    assert row.entered_by == therapist.id and row.score == 14

    form = {f"q{i}": "1" for i in range(9)} | {"csrf_token": token, "instrument": "PHQ-9"}
    client.post(f"/patients/{patient.id}/chart/scores", data=form)
    saved = client.get(f"/patients/{patient.id}/chart")
    assert "urgent same-day safety task" in saved.get_data(as_text=True)
    assert [t.urgent for t in tasks_of(prescriber)] == [True]


def test_visit_scores_are_team_only(client, people, browser_login, make_clinician, make_staff):
    patient, *_ = people
    for outsider in (make_clinician("PsyD"), make_staff("billing_admin"), make_staff("admin")):
        client.delete_cookie("clinic_session")
        browser_login(outsider)
        assert client.get(f"/patients/{patient.id}/chart/scores").status_code == 404
        token = csrf_token_from(client.get("/account").get_data(as_text=True))
        form = {f"q{i}": "0" for i in range(9)} | {"csrf_token": token}
        assert client.post(f"/patients/{patient.id}/chart/scores", data=form).status_code == 404
    client.delete_cookie("clinic_session")
    browser_login(patient)  # the patient does their own check-in, not the clinician's visit form
    assert client.get(f"/patients/{patient.id}/chart/scores").status_code == 403
    assert service.assessments(patient, patient.id, None) == []


# --- check-in, one question per screen -------------------------------------------------------------


def test_check_in_is_progressively_enhanced(client, people, browser_login):
    patient, *_ = people
    browser_login(patient)
    html = client.get("/check-in").get_data(as_text=True)
    assert 'src="/static/js/check-in.js"' in html and 'src="/static/js/crisis.js"' in html
    assert "<script>" not in html  # the CSP forbids inline script
    assert "data-one-at-a-time" in html and html.count('data-question="') == 9
    assert html.count("data-crisis-item") == 4  # every answer of item 9
    # hidden until item 9 is above 0; its message is the alert crisis.js fills when it shows the box
    assert re.search(r'<aside class="crisis" id="crisis-box" aria-labelledby="crisis-h" hidden>', html)
    assert '<p role="alert" data-crisis-message>' in html
    gad = client.get("/check-in?instrument=GAD-7").get_data(as_text=True)
    assert gad.count('data-question="') == 7 and "crisis-box" not in gad.split("<footer")[0].split("<form")[1]
    js = client.get("/static/js/check-in.js")
    assert js.status_code == 200 and b"Question " in js.data and b"599.98px" in js.data
    js.close()
    css = client.get("/static/css/care.css")
    assert css.status_code == 200 and b".one-at-a-time" in css.data
    css.close()


def test_check_in_without_js_still_posts_and_keeps_answers_on_error(client, people, browser_login):
    patient, *_ = people
    browser_login(patient)
    token = csrf_token_from(client.get("/check-in").get_data(as_text=True))
    partial = client.post("/check-in", data={"csrf_token": token, "instrument": "PHQ-9", "q0": "1", "q8": "1"})
    html = partial.get_data(as_text=True)
    assert partial.status_code == 422
    # item 9 already above 0: shown
    assert '<aside class="crisis" id="crisis-box" aria-labelledby="crisis-h">' in html
    assert 'name="q0" value="1" checked' in html
    form = {f"q{i}": "0" for i in range(9)} | {"csrf_token": token, "instrument": "PHQ-9"}
    assert "Your score is <strong>0</strong>" in client.post("/check-in", data=form).get_data(as_text=True)


# --- weekly review with the psychiatrist --------------------------------------------------------


def _started(patient, clinician, weeks_ago: int) -> None:
    member = db.session.scalar(
        select(CareTeamMember).where(
            CareTeamMember.patient_id == patient.id, CareTeamMember.clinician_id == clinician.id
        )
    )
    member.added_at = utcnow() - timedelta(weeks=weeks_ago)
    db.session.commit()


def test_review_list_picks_new_not_improving_and_safety(client, people, browser_login, make_patient, make_clinician):
    new_patient, prescriber, therapist = people  # joined the team just now
    stuck, settled, unsafe = (make_patient(name=n) for n in ("Sam Stuck", "Sol Settled", "Uma Unsafe"))
    now = utcnow()
    for p in (stuck, settled, unsafe):
        db.session.add(CareTeamMember(patient_id=p.id, clinician_id=prescriber.id, added_at=now - timedelta(weeks=20)))
    db.session.commit()
    service.add_assessment(stuck, stuck.id, "PHQ-9", [2] * 8 + [0], now=now - timedelta(weeks=12))  # 16
    service.add_assessment(stuck, stuck.id, "PHQ-9", [2] * 7 + [0, 0], now=now - timedelta(days=3))  # 14
    service.add_assessment(settled, settled.id, "PHQ-9", [2] * 8 + [0], now=now - timedelta(weeks=12))
    service.add_assessment(settled, settled.id, "PHQ-9", [0] * 9, now=now - timedelta(days=3))  # remission
    service.add_assessment(unsafe, unsafe.id, "PHQ-9", [1] * 9, now=now - timedelta(weeks=8))
    service.add_assessment(unsafe, unsafe.id, "PHQ-9", [0] * 8 + [1], now=now - timedelta(days=1))

    rows = review_list(prescriber)
    assert [r.patient.name for r in rows] == ["Uma Unsafe", "Sam Stuck", "Robin Trend"]
    reasons = {r.patient.name: [x.code for x in r.reasons] for r in rows}
    assert reasons == {"Uma Unsafe": ["safety"], "Sam Stuck": ["not_improving"], "Robin Trend": ["new"]}

    browser_login(prescriber)
    caseload = client.get("/caseload").get_data(as_text=True)
    assert 'href="/review"' in caseload
    html = client.get("/review").get_data(as_text=True)
    assert "3 patients to review" in html and "Sol Settled" not in html
    assert "Not improving: PHQ-9 16 → 14 (12.5 %) after 12 weeks" in html
    assert "Latest PHQ-9 item 9 was 1" in html
    assert "New: in care since" in html

    client.delete_cookie("clinic_session")
    browser_login(therapist)
    assert 'href="/review"' not in client.get("/caseload").get_data(as_text=True)
    assert client.get("/review").status_code == 403


def test_review_new_by_first_phq9_within_4_weeks(people):
    patient, prescriber, _ = people
    _started(patient, prescriber, weeks_ago=10)
    assert review_list(prescriber) == []  # in care 10 weeks, no scores, nothing flagged
    service.add_assessment(patient, patient.id, "PHQ-9", [1] * 8 + [0], now=utcnow() - timedelta(weeks=3))
    (row,) = review_list(prescriber)
    assert row.reasons[0].code == "new" and row.reasons[0].text.startswith("New: first PHQ-9 (8) on")


def test_review_list_reads_names_without_a_query_per_patient(people, make_patient):
    """The list is audited (a commit) before it is read: rows loaded before that commit would be
    expired and reloaded one query per patient when the page shows their names."""
    _, prescriber, _ = people
    now = utcnow()
    for n in range(5):
        p = make_patient(name=f"New Patient {n}")
        db.session.add(CareTeamMember(patient_id=p.id, clinician_id=prescriber.id, added_at=now))
    db.session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    rows = review_list(prescriber)
    event.listen(Engine, "before_cursor_execute", count)
    try:
        names = [r.patient.name for r in rows]
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    assert len(names) == 6 and statements == []

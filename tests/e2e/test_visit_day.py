"""Issue 16's story in Chromium against the demo clinic: the prescriber opens the week grid, starts the
evaluation note of a demo patient (Riley Carter, who booked a re-evaluation with Dr. Maya Chen), codes
F33.1 from the search, starts sertraline and signs; the therapist (Marcus Green, LMHC) sees the signed
note and the medication read-only, writes a DAP note and a psychotherapy note; the prescriber cannot see
that psychotherapy note; the prescriber changes the dose and later discontinues it with a reason.
Screenshots go to test-artifacts/e2e/."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect

from app.demo.seed import DEMO_PASSWORD, email_for
from tests.e2e.conftest import ARTIFACTS, shot, sign_in, sign_out
from tests.e2e.test_journeys import _api, _clinician_id

PROCESS_NOTE = "Transference themes around the father; my own frustration in the room, to explore in supervision."


@pytest.fixture(scope="module")
def riley(live_server: str) -> dict:
    """Riley Carter (a demo member) books a psychiatric re-evaluation with Dr. Maya Chen three weeks out;
    the next therapy session with Marcus Green is already on the demo calendar."""
    status, body = _api(live_server, "/api/v1/auth/token",
                        body={"email": email_for("patient4"), "password": DEMO_PASSWORD})  # fmt: skip
    assert status == 200, body
    token = body["token"]
    maya = _clinician_id(live_server, token, "Dr. Maya Chen")
    start = date.today() + timedelta(days=21)
    _, slots = _api(live_server, f"/api/v1/clinicians/{maya}/slots?type=psychiatric_evaluation&from={start}"
                                 f"&to={start + timedelta(days=13)}", token=token)  # fmt: skip
    booked = {"clinician_id": maya, "type": "psychiatric_evaluation", "start": slots["slots"][0]["start"]}
    status, evaluation = _api(live_server, "/api/v1/appointments", token=token, body=booked)
    assert status == 201, evaluation
    _, mine = _api(live_server, "/api/v1/appointments", token=token)
    therapy = min(
        (a for a in mine if a["type"] == "therapy_session" and a["status"] == "booked"), key=lambda a: a["start"]
    )
    return {"id": body["user"]["id"], "evaluation": evaluation["id"], "therapy": therapy["id"]}


def _open_the_evaluation_from_the_week_grid(page: Page, base: str) -> None:
    page.get_by_role("link", name="My schedule").click()
    expect(page).to_have_url(re.compile(r"/schedule\?view=week$"))
    block = page.locator("li.block.status-booked a").filter(
        has_text=re.compile(r"Riley Carter, psychiatric evaluation", re.I)
    )
    for _ in range(6):
        if block.count():
            break
        page.get_by_role("link", name="Next week").click()
    shot(page, "visit-day-1-week-grid")
    block.first.click()
    expect(page).to_have_url(re.compile(r"/appointments/\d+$"))
    page.get_by_role("link", name="Start note").click()
    expect(page).to_have_url(re.compile(r"/appointments/\d+/note$"))


def test_a_clinic_day_from_evaluation_to_discontinuation(page: Page, live_server: str, riley: dict) -> None:
    base, rid = live_server, riley["id"]
    evaluation_url = f"{base}/appointments/{riley['evaluation']}/note"
    therapy_url = f"{base}/appointments/{riley['therapy']}/note"

    # The prescriber: week grid → the evaluation → its note, with the chart header above it.
    sign_in(page, base, email_for("psychiatrist"), DEMO_PASSWORD)
    _open_the_evaluation_from_the_week_grid(page, base)
    expect(page.get_by_role("region", name="About the patient")).to_contain_text("Riley Carter")
    page.locator("#section_chief_complaint").fill("Still low after 12 weeks; energy and sleep unchanged.")
    page.locator("#section_mental_status_exam").fill("Flat affect, linear thought, no suicidal ideation.")
    page.locator("#section_risk_assessment").fill("Low acute risk; no ideation or plan.")
    page.locator("#section_plan").fill("Add sertraline 50 mg; continue weekly behavioural activation.")
    # Code the diagnosis from the search, as you type.
    page.get_by_label("Find an ICD-10-CM code").fill("recurrent depression")
    pick = page.get_by_role("button", name=re.compile(r"^Use F33\.1 "))
    expect(pick).to_be_visible()
    shot(page, "visit-day-2-icd10-search")
    pick.click()
    expect(page.locator("#section_diagnosis")).to_have_value(
        re.compile(r"^F33\.1 Major depressive disorder, recurrent, moderate")
    )
    expect(page.locator("#section_chief_complaint")).to_have_value(re.compile("Still low"))  # saved with the pick

    # Start sertraline from the chart.
    page.get_by_role("link", name="chart", exact=True).click()
    page.locator("#med-name").fill("Sertraline")
    page.locator("#med-dose").fill("50 mg")
    page.locator("#med-frequency").fill("once daily")
    page.get_by_role("button", name="Start medication").click()
    expect(page.locator("#medications")).to_contain_text("Sertraline 50 mg")
    shot(page, "visit-day-3-sertraline-started")

    # Sign: the note is locked and its coded diagnosis is on the problem list.
    page.goto(evaluation_url)
    page.locator("#confirm").check()
    page.get_by_role("button", name="Sign the note").click()
    expect(page.get_by_text("Its coded diagnoses are on the problem list.")).to_be_visible()
    expect(page.get_by_role("button", name="Save draft")).to_have_count(0)
    shot(page, "visit-day-4-evaluation-signed")
    page.goto(f"{base}/patients/{rid}/chart")
    expect(page.locator("#problems")).to_contain_text("F33.1")
    shot(page, "visit-day-5-problem-list")
    sign_out(page)

    # The therapist: the signed note, the medication read-only, a DAP note and a private psychotherapy note.
    sign_in(page, base, email_for("lmhc"), DEMO_PASSWORD)
    page.goto(evaluation_url)
    expect(page.locator("#note")).to_contain_text("Signed by Dr. Maya Chen")
    expect(page.locator("#note")).to_contain_text("F33.1")
    page.goto(f"{base}/patients/{rid}/chart")
    expect(page.locator("#medications")).to_contain_text("Sertraline 50 mg")
    expect(page.get_by_role("button", name="Start medication")).to_have_count(0)
    expect(page.get_by_text("Change dose or discontinue Sertraline")).to_have_count(0)
    shot(page, "visit-day-6-therapist-read-only")
    page.goto(therapy_url)
    page.get_by_label("Therapy session: DAP").check()
    page.get_by_role("button", name="Use this template").click()
    page.locator("#section_data").fill("Two planned activities done; avoided calls to his sister.")
    page.locator("#section_assessment").fill("Engaged; avoidance strongest in the evenings.")
    page.locator("#section_plan").fill("Schedule three evening activities; next session in one week.")
    page.get_by_role("button", name="Save draft").click()
    page.locator("#confirm").check()
    page.get_by_role("button", name="Sign the note").click()
    expect(page.locator("#note")).to_contain_text("Signed by Marcus Green")
    page.get_by_role("link", name="Your private psychotherapy note of this visit").click()
    page.get_by_label("Psychotherapy note").fill(PROCESS_NOTE)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Only you can read it.")).to_be_visible()
    shot(page, "visit-day-7-psychotherapy-note")
    sign_out(page)

    # The prescriber: the DAP note yes, the psychotherapy note never.
    sign_in(page, base, email_for("psychiatrist"), DEMO_PASSWORD)
    page.goto(therapy_url)
    expect(page.locator("#note")).to_contain_text("Two planned activities done")
    expect(page.locator("body")).not_to_contain_text("Transference")
    expect(page.get_by_role("link", name="Your private psychotherapy note of this visit")).to_have_count(0)
    hidden = page.goto(f"{base}/appointments/{riley['therapy']}/psychotherapy-note")
    assert hidden is not None and hidden.status == 404
    page.goto(f"{base}/patients/{rid}/visit-notes")
    expect(page.locator("main")).not_to_contain_text("Transference")
    shot(page, "visit-day-8-prescriber-no-psychotherapy-note")

    # The prescriber changes the dose (the earlier one kept), later discontinues with a reason.
    page.goto(f"{base}/patients/{rid}/chart")
    page.get_by_text("Change dose or discontinue Sertraline").click()
    actions = page.locator("details.med-actions").filter(has_text="Sertraline")
    actions.get_by_label("New dose").fill("100 mg")
    actions.get_by_label("Reason for the change").fill("Partial response at 4 weeks, no side effects.")
    actions.get_by_role("button", name="Change dose").click()
    expect(page.locator("#medications")).to_contain_text("Sertraline 100 mg")
    page.locator("#medications").get_by_text(re.compile(r"Earlier doses")).first.click()
    expect(page.locator("#medications")).to_contain_text("50 mg")
    shot(page, "visit-day-9-dose-changed")
    page.get_by_text("Change dose or discontinue Sertraline").click()
    actions.get_by_label("Reason to discontinue").fill("Rash on the arms after the increase.")
    actions.get_by_role("button", name="Discontinue Sertraline").click()
    expect(page.get_by_text("Sertraline discontinued.")).to_be_visible()
    expect(page.locator("#medications")).to_contain_text("Rash on the arms after the increase.")
    shot(page, "visit-day-10-discontinued")


def test_problems_search_and_the_note_fit_a_phone(page: Page, live_server: str, riley: dict) -> None:
    """At 375 px the chart's problem search (without JavaScript's help: the GET form) and the evaluation
    note with its header do not scroll sideways."""
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, email_for("psychiatrist"), DEMO_PASSWORD)
    page.goto(f"{live_server}/patients/{riley['id']}/chart?icd_q=generalized+anxiety#problems")
    expect(page.locator("#icd-results")).to_contain_text("F41.1")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.locator("#problems").screenshot(path=str(ARTIFACTS / "visit-day-problems-375.png"))
    page.goto(f"{live_server}/appointments/{riley['evaluation']}/note")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "visit-day-note-375")

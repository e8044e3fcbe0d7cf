"""Each role's journey in Chromium against the demo clinic (issue 7's proof): a new patient from sign-up
to two bookings, the therapist and the prescriber sharing one care plan, the billing admin's figures,
and a PHQ-9 that shows 988 at once. Screenshots go to test-artifacts/e2e/."""

from __future__ import annotations

import json
import re
import urllib.request
from datetime import date, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from app.demo.seed import DEMO_PASSWORD, email_for
from tests.e2e.conftest import shot, sign_in, sign_out, sign_up
from tests.e2e.test_accessibility import _violations

EASTERN = re.compile(r"E[SD]T")


def _api(base: str, path: str, *, token: str | None = None, body: dict | None = None) -> tuple[int, object]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method="POST" if data else "GET")  # noqa: S310
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - our own live server
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


def _clinician_id(base: str, token: str, name: str) -> int:
    _, found = _api(base, "/api/v1/clinicians?state=NY", token=token)
    return next(c["id"] for c in found if c["name"] == name)


@pytest.fixture(scope="module")
def alex(live_server: str) -> dict:
    """The demo patient Alex Rivera (on a free trial) booked with Dr. Maya Chen (MD) and Marcus Green
    (LMHC), which puts both on one care team."""
    status, body = _api(live_server, "/api/v1/auth/token",
                        body={"email": email_for("patient"), "password": DEMO_PASSWORD})  # fmt: skip
    assert status == 200, body
    token, patient_id = body["token"], body["user"]["id"]
    start = date.today() + timedelta(days=14)  # clear of the other tests' "next week" bookings
    booked = {}
    for offset, (name, kind) in enumerate([("Dr. Maya Chen", "psychiatric_evaluation"),
                                           ("Marcus Green, LMHC", "therapy_session")]):  # fmt: skip
        cid = _clinician_id(live_server, token, name)
        _, slots = _api(live_server, f"/api/v1/clinicians/{cid}/slots?type={kind}&from={start}"
                                     f"&to={start + timedelta(days=20)}", token=token)  # fmt: skip
        day_slots = [s for s in slots["slots"] if s["start"][:10] > str(start + timedelta(days=offset * 2))]
        body = {"clinician_id": cid, "type": kind, "start": day_slots[0]["start"]}
        status, appointment = _api(live_server, "/api/v1/appointments", token=token, body=body)
        assert status == 201, appointment
        booked[kind] = appointment["id"]
    return {"id": patient_id, "token": token, "appointments": booked}


def test_patient_signs_up_gets_a_recommendation_starts_a_trial_books_twice_and_cancels_one(
    page: Page, live_server: str
) -> None:
    sign_up(
        page, live_server, "Casey Journey", "casey.journey@example.com", "a long enough passphrase", "NY", "1988-03-02"
    )
    page.get_by_label("Mobile number").fill("(212) 555-0177")
    page.get_by_role("button", name="Save and continue").click()
    page.locator("#consent").check()
    page.get_by_role("button", name="Turn on texts").click()
    shot(page, "journey-patient-onboarded")
    # The guided intake: medication and talk-therapy signs plus a moderate PHQ-9 recommend both.
    page.goto(f"{live_server}/care-finder")
    page.get_by_label("I take, or want to discuss, medication for a mental health condition").check()
    page.locator("input[name=signs]").nth(1).check()
    for n in range(1, 10):
        answer = "Not at all" if n == 9 else "More than half the days"
        page.get_by_role("group", name=re.compile(f"^{n}\\. ")).first.get_by_label(answer).check()
    page.get_by_role("button", name="See my recommendation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("a psychiatric evaluation and psychotherapy")
    shot(page, "journey-patient-recommendation")
    # Membership: the monthly plan with its 7-day trial, on the labelled demo payment page.
    page.goto(f"{live_server}/pricing")
    page.get_by_role("button", name="Start 7-day free trial").click()
    expect(page.get_by_text("This is not a real payment page.")).to_be_visible()
    page.get_by_role("button", name="Start free trial (test)").click()
    expect(page.get_by_text("Your membership has started.")).to_be_visible()
    expect(page.locator(".status")).to_contain_text("Free trial")
    shot(page, "journey-patient-trial")
    bookings = (("Jordan Lee, PMHNP", "Psychiatric evaluation"), ("Dr. Ana Torres, PsyD", "Therapy session"))
    for first, (clinician, kind) in zip((True, False), bookings, strict=True):
        page.goto(f"{live_server}/clinicians")
        page.get_by_role("link", name=clinician).first.click()
        page.get_by_label("Visit").select_option(label=f"{kind} ({60 if kind.startswith('Psych') else 50} min)")
        page.get_by_role("button", name="Update").click()
        page.get_by_role("link", name="Next week →").click()
        slots = page.locator("a.slot")
        (slots.last if kind == "Therapy session" else slots.first).click()  # different days: no overlap
        expect(page.get_by_role("heading", name="Confirm your visit")).to_be_visible()
        expect(page.locator(".facts")).to_contain_text(kind)
        # Consent to coordinated care is asked once, at the first booking.
        consent = page.get_by_label("I agree to coordinated care")
        expect(consent).to_have_count(1 if first else 0)
        if first:
            consent.check()
        page.get_by_role("button", name="Book this time").click()
        expect(page.get_by_text("You're booked.")).to_be_visible()
        expect(page.locator(".facts")).to_contain_text(EASTERN)
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("Jordan Lee, PMHNP").first).to_be_visible()
    expect(page.get_by_text("Dr. Ana Torres, PsyD").first).to_be_visible()
    expect(page.locator(".status", has_text="Free trial").first).to_be_visible()
    shot(page, "journey-patient-dashboard")
    # The two confirmations are in the outbox (demo: texts "arrive" there and are never sent).
    page.goto(f"{live_server}/settings/sms")
    expect(page.get_by_text(re.compile("your visit is booked for"))).to_have_count(2)
    expect(page.locator("main")).not_to_contain_text(re.compile("psychiatr|therapy|evaluation", re.I))
    shot(page, "journey-patient-texts")
    page.goto(f"{live_server}/appointments")
    page.locator("li.card", has_text="Dr. Ana Torres, PsyD").get_by_role("link").first.click()
    page.get_by_role("link", name="Cancel this visit").click()  # a page that asks first
    page.get_by_role("button", name="Yes, cancel this visit").click()
    expect(page.get_by_text(re.compile("The appointment was cancelled"))).to_be_visible()
    page.goto(f"{live_server}/settings/sms")
    texts = page.locator(".texts-to-you > li")
    # one cancellation text; the visit's texts still waiting say why they were not sent
    expect(texts.filter(has_text="Visit cancelled")).to_have_count(1)
    expect(texts.filter(has_text=re.compile("your visit on .* was cancelled"))).to_have_count(1)
    expect(texts.filter(has_text="Not sent because the visit was cancelled").first).to_be_visible()
    shot(page, "journey-patient-cancelled")


def test_therapist_updates_a_goal_writes_a_handoff_and_cannot_prescribe(page: Page, live_server: str, alex) -> None:
    sign_in(page, live_server, email_for("lmhc"), DEMO_PASSWORD)
    page.get_by_role("link", name=re.compile("Caseload")).first.click()
    page.get_by_role("link", name="Alex Rivera").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alex Rivera — care plan")
    page.get_by_label("New goal (the patient's words)").fill("Walk to work three days a week")
    page.get_by_role("button", name="Add goal").click()
    expect(page.get_by_text("Goal added to the care plan.")).to_be_visible()
    goal = page.locator("#goals li", has_text="Walk to work three days a week")
    goal.get_by_label(re.compile("^Target of goal")).fill("3 days a week for a month")
    goal.get_by_label(re.compile("^Status of goal")).select_option("on_hold")
    goal.get_by_role("button", name=re.compile("^Update goal")).click()
    expect(page.get_by_text("Goal updated.")).to_be_visible()
    expect(page.locator("#goals")).to_contain_text("target: 3 days a week for a month")
    expect(page.locator("#goals")).to_contain_text("(on hold)")
    page.get_by_label("New note for the team").fill("Sleep improved; @Dr. Maya Chen please review the dose.")
    page.get_by_role("button", name="Save note").click()
    expect(page.get_by_text(re.compile("please review the dose")).first).to_be_visible()
    expect(page.get_by_role("button", name="Start medication")).to_have_count(0)
    expect(page.get_by_text("Only a prescriber on the team changes medications")).to_be_visible()
    shot(page, "journey-therapist-chart")
    sign_out(page)


def test_prescriber_adds_a_medication_the_therapist_sees_it_read_only(page: Page, live_server: str, alex) -> None:
    sign_in(page, live_server, email_for("psychiatrist"), DEMO_PASSWORD)
    page.goto(f"{live_server}/patients/{alex['id']}/chart")
    page.locator("#med-name").fill("Sertraline")
    page.locator("#med-dose").fill("50 mg")
    page.locator("#med-frequency").fill("once daily")
    page.get_by_role("button", name="Start medication").click()
    expect(page.get_by_text("Sertraline").first).to_be_visible()
    shot(page, "journey-prescriber-medication")
    sign_out(page)
    sign_in(page, live_server, email_for("lmhc"), DEMO_PASSWORD)
    page.goto(f"{live_server}/patients/{alex['id']}/chart")
    expect(page.get_by_text("Sertraline").first).to_be_visible()
    expect(page.get_by_role("button", name="Start medication")).to_have_count(0)
    shot(page, "journey-therapist-sees-medication")
    sign_out(page)


def test_billing_admin_sees_the_new_trial_and_no_clinical_page(browser: Browser, live_server: str, alex) -> None:
    # bypass_csp only so axe can be injected; the app's pages never need inline script.
    admin = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York",
                                bypass_csp=True)  # fmt: skip
    page = admin.new_page()
    sign_in(page, live_server, email_for("billing"), DEMO_PASSWORD)
    page.goto(f"{live_server}/billing/admin")
    before = int(page.locator('[data-kpi="trialing"]').inner_text())
    # Meanwhile a new patient starts a trial in their own browser.
    patient = browser.new_context(viewport={"width": 375, "height": 800}, timezone_id="America/Chicago")
    other = patient.new_page()
    sign_up(other, live_server, "Dana Trial", "dana.trial@example.com", "another long passphrase", "WA")
    other.goto(f"{live_server}/pricing")
    other.get_by_role("button", name="Start 14-day free trial").click()
    other.get_by_role("button", name="Start free trial (test)").click()
    expect(other.get_by_text("Your membership has started.")).to_be_visible()
    shot(other, "journey-billing-new-trial-phone")
    patient.close()
    page.reload()
    expect(page.locator('[data-kpi="trialing"]')).to_have_text(str(before + 1))
    expect(page.get_by_role("cell", name="dana.trial@example.com")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(re.compile("PHQ|medication|diagnos", re.I))
    shot(page, "journey-billing-console")
    assert _violations(page) == [], "the billing console has serious accessibility violations"
    response = page.goto(f"{live_server}/patients/{alex['id']}/chart")
    assert response is not None and response.status == 404
    response = page.goto(f"{live_server}/appointments/{alex['appointments']['therapy_session']}")
    assert response is not None and response.status == 404  # not hers to see: not there at all
    shot(page, "journey-billing-clinical-404")
    admin.close()


def test_crisis_answer_shows_988_at_once_and_opens_urgent_tasks(page: Page, live_server: str, alex) -> None:
    sign_in(page, live_server, email_for("patient"), DEMO_PASSWORD)
    page.goto(f"{live_server}/check-in?instrument=PHQ-9")
    crisis = page.locator("#crisis-box")
    expect(crisis).to_be_hidden()
    page.get_by_role("group", name=re.compile("^9\\. ")).get_by_label("More than half the days").check()
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("988")
    shot(page, "journey-crisis-988")
    for n in range(1, 9):
        page.get_by_role("group", name=re.compile(f"^{n}\\. ")).get_by_label("Several days").check()
    page.get_by_role("button", name="Send my check-in").click()
    expect(page.get_by_role("alert")).to_contain_text("988")
    sign_out(page)
    sign_in(page, live_server, email_for("lmhc"), DEMO_PASSWORD)
    page.goto(f"{live_server}/caseload")
    expect(page.locator(".task-urgent", has_text="Alex Rivera").first).to_be_visible()
    shot(page, "journey-crisis-urgent-task")
    sign_out(page)

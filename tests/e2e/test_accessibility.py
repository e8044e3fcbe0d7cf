"""axe-core (from the npm package, injected into the page; no CDN) finds no serious or critical
accessibility violation on the main pages, on a phone-sized screen too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from app.demo.seed import DEMO_PASSWORD, email_for
from tests.e2e.conftest import shot

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC_PAGES = ["/", "/signup", "/login", "/care-finder", "/password/forgot", "/clinicians", "/pricing"]
PATIENT_PAGES = [
    "/dashboard",
    "/account",
    "/my/record-access",
    "/appointments",
    "/check-in",
    "/settings/sms",
    "/membership",
    "/messages",  # the patient's thread with the care team
]


def _violations(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'best-practice']})")
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:3]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("width", [1280, 375])
def test_no_serious_violations(browser: Browser, live_server: str, width: int) -> None:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `npm ci` (make test does)")
    # bypass_csp only so the test can inject axe; the app's own pages never need inline script.
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    found = {}
    for path in PUBLIC_PAGES:
        page.goto(live_server + path)
        found[path] = _violations(page)
    page.goto(live_server + "/login")
    page.get_by_label("E-mail").fill(email_for("patient"))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in PATIENT_PAGES:
        page.goto(live_server + path)
        found[path] = _violations(page)
    page.goto(live_server + "/clinicians")
    page.locator(".clinician-list h2 a").first.click()
    found["clinician profile and slot picker"] = _violations(page)
    page.get_by_role("link", name="Next week →").click()  # a full week ahead always has open weekdays
    page.locator("a.slot").first.click()
    found["booking confirmation"] = _violations(page)
    context.close()
    bad = {path: v for path, v in found.items() if v}
    assert not bad, json.dumps(bad, indent=1)


def _api_fill_record(browser: Browser, live_server: str, email: str, password: str) -> None:
    """Through the public API: a booked visit and two check-ins, so the dashboard shows every widget."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    context = browser.new_context()
    api = context.request
    token = api.post(f"{live_server}/api/v1/auth/token", data={"email": email, "password": password}).json()
    headers = {"Authorization": f"Bearer {token['token']}"}
    me = token["user"]["id"]
    clinician = api.get(f"{live_server}/api/v1/clinicians?state=NY", headers=headers).json()[0]
    start = datetime.now(ZoneInfo("America/New_York")).date() + timedelta(days=7)
    slots = api.get(
        f"{live_server}/api/v1/clinicians/{clinician['id']}/slots?type=initial_consultation"
        f"&from={start}&to={start + timedelta(days=6)}",
        headers=headers,
    ).json()["slots"]
    booked = api.post(
        f"{live_server}/api/v1/appointments",
        data={"clinician_id": clinician["id"], "type": "initial_consultation", "start": slots[0]["start"]},
        headers=headers,
    )
    assert booked.status == 201, booked.text()
    for answers in ([2] * 9, [1] * 9):
        made = api.post(
            f"{live_server}/api/v1/patients/{me}/assessments",
            data={"instrument": "PHQ-9", "answers": answers},
            headers=headers,
        )
        assert made.status == 201, made.text()
    context.close()


@pytest.mark.parametrize("width", [1280, 375])
def test_onboarding_steps_and_a_full_dashboard_have_no_serious_violations(
    browser: Browser, live_server: str, width: int
) -> None:
    if not AXE.exists():
        pytest.fail("node_modules/axe-core is missing: run `npm ci` (make test does)")
    context = browser.new_context(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    email, password = f"axe.onboarding.{width}@example.com", "a steady lighthouse beam"
    found = {}
    page.goto(live_server + "/signup")
    page.get_by_role("button", name="Create account").click()  # everything missing: errors by each field
    found["sign-up with errors"] = _violations(page)
    page.get_by_label("Your name").fill("Axe Onboarding")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("State you are in during visits").select_option("NY")
    page.get_by_role("button", name="Create account").click()
    found["step 2: mobile number"] = _violations(page)
    page.get_by_label("Mobile number").fill("12")
    page.get_by_role("button", name="Save and continue").click()
    found["step 2 with an error"] = _violations(page)
    page.get_by_label("Mobile number").fill("(212) 555-0111")
    page.get_by_role("button", name="Save and continue").click()
    found["step 3: text reminders"] = _violations(page)
    page.get_by_role("button", name="Turn on texts").click()
    found["step 3 with an error"] = _violations(page)
    page.get_by_role("link", name="Skip, no texts").click()
    page.goto(live_server + "/dashboard")
    found["dashboard of a new patient"] = _violations(page)
    _api_fill_record(browser, live_server, email, password)
    page.goto(live_server + "/dashboard")
    assert page.locator("svg.trend-chart").count() == 1
    found["dashboard with a visit, scores and trend"] = _violations(page)
    shot(page, f"dashboard-full-{width}")
    context.close()
    bad = {name: v for name, v in found.items() if v}
    assert not bad, json.dumps(bad, indent=1)

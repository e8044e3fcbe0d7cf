"""axe-core (from the npm package, injected into the page; no CDN) finds no serious or critical
accessibility violation on the main pages, on a phone-sized screen too."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from app.demo.seed import DEMO_PASSWORD, email_for

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PUBLIC_PAGES = ["/", "/signup", "/login", "/care-finder", "/password/forgot", "/clinicians"]
PATIENT_PAGES = ["/dashboard", "/account", "/my/record-access", "/appointments", "/check-in", "/settings/sms"]


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

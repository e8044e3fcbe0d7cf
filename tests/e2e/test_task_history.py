"""Issue 16, the safety task's history in the browser: a demo patient (Quinn Harper) answers PHQ-9 item 9
above 0 twice; their therapist (Sofia Rossi, LMFT) sees one urgent safety task on the caseload and in the
chart, its history open with both check-ins and their scores, on a phone-sized screen without sideways
scrolling and without a serious accessibility violation. Screenshots: task-history-{caseload,chart}-375."""

from __future__ import annotations

import json

from playwright.sync_api import Browser, expect

from app.demo.seed import DEMO_PASSWORD, email_for
from tests.e2e.conftest import shot, sign_in
from tests.e2e.test_accessibility import AXE, _violations


def test_the_therapist_sees_one_safety_task_with_both_check_ins_at_375(browser: Browser, live_server: str) -> None:
    api = browser.new_context().request
    signed = api.post(f"{live_server}/api/v1/auth/token",
                      data={"email": email_for("patient6"), "password": DEMO_PASSWORD}).json()  # fmt: skip
    patient_id, headers = signed["user"]["id"], {"Authorization": f"Bearer {signed['token']}"}
    for answers in ([1] * 8 + [1], [2] * 8 + [2]):
        made = api.post(f"{live_server}/api/v1/patients/{patient_id}/assessments",
                        data={"instrument": "PHQ-9", "answers": answers}, headers=headers)  # fmt: skip
        assert made.status == 201 and made.json()["item9_positive"], made.text()
    context = browser.new_context(viewport={"width": 375, "height": 900}, bypass_csp=True)
    page = context.new_page()
    sign_in(page, live_server, email_for("lmft"), DEMO_PASSWORD)
    found = {}
    for name, path in (("caseload", "/caseload"), ("chart", f"/patients/{patient_id}/chart")):
        page.goto(live_server + path)
        # The caseload lists the therapist's own tasks; the chart the whole team's (one each, never two).
        tasks = page.locator("li.task-urgent", has_text="Same-day safety follow-up")
        expect(tasks).to_have_count(1 if name == "caseload" else 2)
        task = tasks.filter(has_text="Owner: Sofia Rossi, LMFT")
        expect(task).to_have_count(1)
        expect(task).to_contain_text("answered above 0 again 1 time since it opened")
        history = task.locator("details.task-history")
        expect(history.locator("summary")).to_have_text("History (2)")
        expect(history.get_by_role("listitem")).to_have_count(2)
        expect(history.get_by_role("listitem").nth(0)).to_contain_text("(score 9), by Quinn Harper")
        expect(history.get_by_role("listitem").nth(1)).to_contain_text("again (score 18), by Quinn Harper")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), f"{name} scrolls sideways"
        if AXE.exists():
            found[name] = _violations(page)
        shot(page, f"task-history-{name}-375")
    context.close()
    api.dispose()
    assert not {k: v for k, v in found.items() if v}, json.dumps(found, indent=1)

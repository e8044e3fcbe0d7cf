"""The care-finder's crisis box where the patient is looking (issue 17): answering PHQ-9 item 9 above
"not at all" (or ticking the self-harm statement) puts the box right after that question, inside the
screen, and fills its role="alert" region after it is shown so screen readers announce it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ARTIFACTS, shot

WATCH = """() => {
  const box = document.getElementById('crisis-box');
  const live = box.querySelector('[role=alert]');
  window.__alerts = [];
  new MutationObserver(() => {
    window.__alerts.push({hidden: box.hidden, text: live.textContent.trim()});
  }).observe(live, {childList: true, subtree: true, characterData: true});
}"""

IN_VIEW = """() => {
  const r = document.getElementById('crisis-box').getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, height: window.innerHeight};
}"""


def _announced(page: Page) -> None:
    page.wait_for_function("() => window.__alerts.some(a => !a.hidden && a.text.includes('988'))")


def _in_view(page: Page) -> None:
    box = page.evaluate(IN_VIEW)
    assert 0 <= box["top"] and box["bottom"] <= box["height"], box


@pytest.mark.parametrize("width", [1280, 375])
def test_item_9_shows_the_box_next_to_the_question_in_view_and_announced(
    browser: Browser, live_server: str, width: int
) -> None:
    context = browser.new_context(viewport={"width": width, "height": 800}, timezone_id="America/New_York")
    page = context.new_page()
    page.goto(f"{live_server}/care-finder")
    crisis = page.locator("#crisis-box")
    expect(crisis).to_be_hidden()
    page.evaluate(WATCH)
    item9 = page.get_by_role("group", name=re.compile("^9\\. Thoughts that you would be better off dead"))
    item9.scroll_into_view_if_needed()
    item9.get_by_label("Several days").check()
    expect(crisis).to_be_visible()
    # right after the question just answered, not at the top of the form
    assert page.evaluate("() => document.getElementById('crisis-box').previousElementSibling.id") == "phq9_8"
    _announced(page)
    _in_view(page)
    expect(crisis.get_by_role("alert")).to_contain_text("988")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"crisis-box-item9-{width}.png"))
    item9.get_by_label("Not at all").check()
    expect(crisis).to_be_hidden()
    context.close()


def test_the_self_harm_statement_shows_the_box_beside_it(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 1280, "height": 700})
    page.goto(f"{live_server}/care-finder")
    page.evaluate(WATCH)
    statement = page.locator("input[data-crisis]")
    statement.scroll_into_view_if_needed()
    statement.check()
    crisis = page.locator("#crisis-box")
    expect(crisis).to_be_visible()
    beside = "() => document.getElementById('crisis-box').previousElementSibling.contains("
    beside += "document.querySelector('[data-crisis]'))"
    assert page.evaluate(beside)
    _announced(page)
    _in_view(page)
    shot(page, "crisis-box-self-harm")

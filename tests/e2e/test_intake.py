"""The guided intake in a real browser: crisis lines appear the moment item 9 is answered."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot


def test_crisis_lines_appear_at_once_and_the_result_recommends_both(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/")
    page.get_by_role("link", name="Which care fits me?").first.click()
    expect(page).to_have_url(re.compile(r"/care-finder$"))
    crisis = page.locator("#crisis-box")
    expect(crisis).to_be_hidden()
    page.get_by_label("I take, or want to discuss, medication for a mental health condition").check()
    item9 = page.get_by_role("group", name=re.compile("^9\\. Thoughts that you would be better off dead"))
    item9.get_by_label("More than half the days").check()
    expect(crisis).to_be_visible()
    expect(crisis).to_contain_text("988")
    shot(page, "intake-crisis-visible")
    for n in range(1, 9):
        page.get_by_role("group", name=re.compile(f"^{n}\\. ")).first.get_by_label("Several days").check()
    page.get_by_role("button", name="See my recommendation").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("a psychiatric evaluation and psychotherapy")
    expect(page.get_by_role("alert")).to_contain_text("988")
    shot(page, "intake-result")

"""The demo psychiatrist opens the week grid from the dashboard, clicks a visit's block, reaches the
appointment (which names the patient and links the chart) and starts its note; on a 375 px wide screen
the grid scrolls inside its own box and the page does not."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from app.demo.seed import DEMO_PASSWORD, email_for
from tests.e2e.conftest import shot, sign_in


def _week_with_an_unnoted_booked_block(page: Page) -> None:
    """Walk forward from this week to the first week with a booked visit that has no note yet."""
    for _ in range(6):
        if page.locator("li.block.status-booked:not(:has(.note-state))").count():
            return
        page.get_by_role("link", name="Next week").click()
    raise AssertionError("the demo psychiatrist has no booked visit in the next six weeks")


def test_prescriber_week_grid_to_appointment_to_start_note(page: Page, live_server: str) -> None:
    sign_in(page, live_server, email_for("psychiatrist"), DEMO_PASSWORD)
    page.get_by_role("link", name="My schedule").click()
    expect(page).to_have_url(re.compile(r"/schedule\?view=week$"))
    expect(page.get_by_role("heading", level=2, name=re.compile(r"^Week of "))).to_be_visible()
    expect(page.locator(".schedule-day.today")).to_have_count(1)
    _week_with_an_unnoted_booked_block(page)
    block = page.locator("li.block.status-booked:not(:has(.note-state)) a").first
    label = block.inner_text()
    assert re.fullmatch(r"\d{2}:\d{2}–\d{2}:\d{2} .+, .+, booked", label), label
    patient = label.split(" ", 1)[1].split(",", 1)[0]
    shot(page, "schedule-week-grid")

    block.click()
    expect(page).to_have_url(re.compile(r"/appointments/\d+$"))
    expect(page.get_by_role("link", name=patient, exact=True)).to_have_attribute(
        "href", re.compile(r"/patients/\d+/chart$")
    )
    expect(page.get_by_role("link", name=f"Open {patient}'s chart")).to_be_visible()
    shot(page, "schedule-appointment")
    page.get_by_role("link", name="Start note").click()
    expect(page).to_have_url(re.compile(r"/appointments/\d+/note$"))
    shot(page, "schedule-start-note")


def test_week_grid_fits_a_phone(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, email_for("psychiatrist"), DEMO_PASSWORD)
    page.goto(f"{live_server}/schedule?view=week")
    page_width = page.evaluate("document.documentElement.scrollWidth")
    box = page.locator(".schedule-scroll").evaluate("e => [e.clientWidth, e.scrollWidth]")
    assert page_width <= 375, page_width
    assert box[1] > box[0]  # the week scrolls inside its own box
    shot(page, "schedule-week-375")
    page.get_by_role("link", name="Day", exact=True).click()
    page.wait_for_load_state()  # measured before schedule.css applied, the day grid was 481 px (a race)
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "schedule-day-375")


def test_availability_grid_on_a_phone(page: Page, live_server: str) -> None:
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, live_server, email_for("psychiatrist"), DEMO_PASSWORD)
    page.goto(f"{live_server}/schedule/availability")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    page.get_by_role("button", name="Add a date override").click()
    expect(page.get_by_text("Not saved yet")).to_be_visible()
    page.locator("#o0-date").fill("2030-01-02")
    page.locator("#o0-start").fill("14:00")
    page.locator("#o0-end").fill("12:00")
    page.get_by_role("button", name="Save availability").first.click()
    expect(page.locator("#o0-end-error")).to_have_text(re.compile("ends \\(12:00\\) before it starts \\(14:00\\)"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "availability-grid-375-error")

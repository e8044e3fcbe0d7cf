"""A new patient books from the directory's "next open time" at 1280 px, then picks a day from the
phone's day strip at 375 px without the page growing wider than the screen."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import shot, sign_up

WIDTH_FITS = "document.scrollingElement.scrollWidth <= window.innerWidth"


def test_book_from_the_next_open_time_and_use_the_day_strip(browser: Browser, page: Page, live_server: str) -> None:
    sign_up(page, live_server, "Nia Nextopen", "nia.nextopen@example.com", "a heron over still water", "NY")
    page.get_by_role("link", name="Skip this step").click()
    page.goto(f"{live_server}/clinicians")
    card = page.locator(".clinician-list li", has=page.get_by_role("link", name="Priya Patel, LCSW"))
    # No membership yet: the time shown is the free initial consultation's, in the patient's Eastern time.
    expect(card.locator(".next-open")).to_contain_text("Next open time for initial consultation")
    slot = card.locator(".next-open a.button")
    expect(slot).to_have_text(re.compile(r"\b(EST|EDT)$"))
    shot(page, "booking-next-open-directory")
    when = slot.inner_text()
    slot.click()
    expect(page.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    facts = page.locator(".facts")
    expect(facts).to_contain_text("Initial consultation")
    expect(facts).to_contain_text(when.split(", ", 1)[1].rsplit(" ", 1)[0])  # the same time of day
    page.get_by_label("I agree to coordinated care").check()
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_text("You're booked.")).to_be_visible()
    shot(page, "booking-next-open-booked")

    # The same patient on a phone: a strip of days, the chosen day's times below it.
    phone = browser.new_context(viewport={"width": 375, "height": 800}, timezone_id="America/New_York",
                                storage_state=page.context.storage_state())  # fmt: skip
    small = phone.new_page()
    small.set_default_timeout(10_000)
    small.goto(f"{live_server}/clinicians")
    assert small.evaluate(WIDTH_FITS), small.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    small.locator(".clinician-list li", has=small.get_by_role("link", name="Dr. Ana Torres, PsyD")).get_by_role(
        "link", name="More times"
    ).click()
    strip = small.get_by_role("navigation", name=re.compile("Days of the week"))
    expect(strip).to_be_visible()
    expect(strip.get_by_role("link")).to_have_count(7)
    expect(small.locator(".week .day:visible")).to_have_count(1)
    chosen = small.locator(".week .day.chosen")
    expect(chosen.locator("a.slot").first).to_be_visible()
    assert small.evaluate(WIDTH_FITS), small.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    # Another day with open times, picked from the strip (the script shows it without a reload).
    day = strip.locator("a.strip-day:not(.chosen):not(.past)", has_not_text="–").first.get_attribute("data-day")
    other = strip.locator(f'a[data-day="{day}"]')
    other.click()
    expect(other).to_have_attribute("aria-current", "date")
    expect(small.locator(f'.week .day[data-day="{day}"]')).to_be_visible()
    expect(small.locator(".week .day:visible")).to_have_count(1)
    expect(small).to_have_url(re.compile(f"day={day}"))
    assert small.evaluate(WIDTH_FITS), small.evaluate("[document.scrollingElement.scrollWidth, innerWidth]")
    page_height = small.evaluate("document.scrollingElement.scrollHeight")
    assert page_height < 2000, page_height  # not a 3,500 px page of seven days
    shot(small, "booking-day-strip-375")
    small.locator(f'.week .day[data-day="{day}"] a.slot').first.click()
    expect(small.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    assert small.evaluate(WIDTH_FITS)
    phone.close()

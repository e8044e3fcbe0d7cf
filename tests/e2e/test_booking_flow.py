"""A patient in New York books, reschedules and cancels a therapy session with an LCSW in Los Angeles,
seeing Eastern time throughout."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import shot

EASTERN = re.compile(r"\b(EST|EDT)\b")


def test_sign_up_find_book_reschedule_cancel(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/signup")
    page.get_by_label("Your name").fill("Jamie Booker")
    page.get_by_label("E-mail").fill("jamie.booker@example.com")
    page.get_by_label("Password").fill("a calm blue lake at dawn")
    page.get_by_label("State you are in during visits").select_option("NY")
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("link", name="Skip this step").click()  # the optional mobile number (test_onboarding.py)
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))

    page.get_by_role("link", name="Find a clinician").click()
    expect(page.get_by_label("Licensed in")).to_have_value("NY")
    page.get_by_label("Kind of care").select_option("therapist")
    page.get_by_role("button", name="Show clinicians").click()
    shot(page, "booking-directory")
    page.get_by_role("link", name="Priya Patel, LCSW").click()
    expect(page.get_by_text("Licensed clinical social worker (LCSW)")).to_be_visible()
    expect(page.get_by_label("Show times in")).to_have_value("America/New_York")
    # Without a membership the page starts on the free consultation: ask for a therapy session.
    page.get_by_label("Visit").select_option("therapy_session")
    page.get_by_role("button", name="Update").click()
    page.get_by_role("link", name="Next week →").click()  # a full week ahead always has open weekdays
    first = page.locator("a.slot").first
    slot_time = first.inner_text()
    # Priya works 09:00-17:00 in Los Angeles: the first slot of a day is 12:00 PM Eastern.
    assert slot_time == "12:00 PM", slot_time
    shot(page, "booking-slot-picker")
    first.click()
    expect(page.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text(EASTERN)
    # A therapy session needs a membership: the confirm page leads to pricing and back here.
    page.get_by_role("link", name="See memberships and come back to this booking").click()
    page.get_by_role("button", name="Start 7-day free trial").click()
    expect(page.get_by_role("heading", name="Test payment — demo mode")).to_be_visible()
    page.get_by_role("button", name="Start free trial (test)").click()
    expect(page.get_by_text("Your membership has started.")).to_be_visible()
    expect(page.get_by_role("heading", name="Confirm your visit")).to_be_visible()
    consent = page.get_by_label("I agree to coordinated care")
    if consent.count():  # asked once, at the first booking
        consent.check()
    page.get_by_role("button", name="Book this time").click()
    expect(page.get_by_text("You're booked.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("12:00 PM")
    expect(page.locator(".facts")).to_contain_text(EASTERN)
    expect(page.get_by_role("link", name="Add to calendar (.ics)")).to_be_visible()
    shot(page, "booking-confirmation")

    page.get_by_role("link", name="Reschedule").click()
    page.get_by_role("link", name="Next week →").click()
    page.locator("a.slot", has_text="1:30 PM").first.click()
    expect(page.get_by_role("heading", name="Move your visit")).to_be_visible()
    page.get_by_role("button", name="Move it to this time").click()
    expect(page.get_by_text("Your appointment was moved.")).to_be_visible()
    expect(page.locator(".facts")).to_contain_text("1:30 PM")

    page.get_by_role("link", name="All appointments").click()
    upcoming = page.locator("ul.appointments li").first
    expect(upcoming).to_contain_text(EASTERN)
    expect(upcoming).to_contain_text("Therapy session with Priya Patel, LCSW")
    shot(page, "booking-my-appointments")
    upcoming.get_by_role("link").click()
    page.get_by_role("link", name="Cancel this visit").click()  # a page that asks first
    page.get_by_role("button", name="Yes, cancel this visit").click()
    expect(page.get_by_text("The appointment was cancelled")).to_be_visible()
    expect(page.get_by_text("No upcoming visits.")).to_be_visible()

"""Past due -> Update card -> active, in Chromium, with the demo payments: the patient's trial ends, a
charge fails (the billing admin simulates both, as Stripe would do over time), the membership page and
the pricing page offer "Update card" and say what happens next, the demo portal saves a test card, the
overdue invoice is paid through the webhook handlers and the membership is active again."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, expect

from app.demo.seed import DEMO_PASSWORD, email_for
from tests.e2e.conftest import shot, sign_in, sign_up

NAME, EMAIL = "Parker Overdue", "parker.overdue@example.com"


def _simulate(browser: Browser, base: str, actions: list[str]) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York")
    page = context.new_page()
    sign_in(page, base, email_for("billing"), DEMO_PASSWORD)
    for action in actions:
        page.goto(f"{base}/billing/admin")
        row = page.get_by_role("row").filter(has_text=EMAIL)
        row.get_by_label(f"Simulate for {NAME}").select_option(action)
        row.get_by_role("button", name="Run").click()
        expect(page.get_by_text(re.compile("^Simulated: "))).to_be_visible()
    context.close()


def test_past_due_patient_updates_the_card_and_is_active_again(browser: Browser, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_up(page, live_server, NAME, EMAIL, "a card that finally works", "NY")
    page.goto(f"{live_server}/pricing")
    page.get_by_role("button", name="Start 7-day free trial").click()
    page.get_by_role("button", name="Start free trial (test)").click()
    expect(page.get_by_text("Your membership has started.")).to_be_visible()

    _simulate(browser, live_server, ["end_trial", "fail_payment"])

    page.goto(f"{live_server}/membership")
    expect(page.get_by_role("alert").filter(has_text="Your last payment did not go through")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("Update your card and we retry the charge.")
    expect(main).to_contain_text("Until it succeeds, booking new paid visits waits.")
    expect(main).to_contain_text("Your visits already booked stay booked.")
    update = page.get_by_role("button", name="Update card")
    expect(update).to_have_count(1)
    shot(page, "membership-past-due")

    page.goto(f"{live_server}/pricing")  # no plans to start again: the card is what is missing
    expect(page.get_by_role("heading", name="Your last payment did not go through")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("^Start "))).to_have_count(0)
    page.get_by_role("button", name="Update card").click()

    expect(page).to_have_url(re.compile(r"/billing/demo/portal\?flow=payment_method_update"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Update your card — demo mode")
    expect(page.get_by_role("note").filter(has_text="not a real payment page")).to_be_visible()
    shot(page, "demo-portal-update-card")
    page.get_by_role("button", name="Save test card and pay").click()

    expect(page.get_by_text("The overdue payment went through: your membership is active again.")).to_be_visible()
    expect(page.locator(".status-active")).to_have_text("Active")
    expect(page.get_by_role("button", name="Update card")).to_have_count(0)
    shot(page, "membership-active-again")

    page.goto(f"{live_server}/pricing")
    expect(page.locator("main")).to_contain_text(re.compile(r"You are a member until \w+ \d+, \d{4}"))
    expect(page.get_by_role("link", name="Manage membership")).to_be_visible()
    expect(page.get_by_role("button", name=re.compile("free trial"))).to_have_count(0)
    context.close()

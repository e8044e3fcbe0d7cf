"""Onboarding in Chromium, with the keyboard alone and on a 375 px phone screen: the account (with an
error shown next to its field), the optional mobile number and consent to texts as their own steps,
then the intake, then the dashboard."""

from __future__ import annotations

import re

from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import shot, sign_up


def _no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"page is {width}px wide"


def _tab_to(page: Page, locator, limit: int = 40) -> None:
    """Press Tab until ``locator`` has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if locator.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"Tab never reached {locator}")


def test_keyboard_only_sign_up_on_a_phone_with_mobile_and_texts(browser: Browser, live_server: str) -> None:
    context = browser.new_context(viewport={"width": 375, "height": 800}, timezone_id="America/Chicago")
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/signup")
    expect(page.get_by_text("Step 1 of 3: Your account")).to_be_visible()
    expect(page.get_by_label("Time zone")).to_have_value("America/Chicago")  # detected from the browser
    _no_sideways_scroll(page)

    _tab_to(page, page.get_by_label("Your name"))
    page.keyboard.type("Morgan Keys")
    page.keyboard.press("Tab")
    page.keyboard.type("morgan.keys@example.com")
    page.keyboard.press("Tab")
    page.keyboard.type("too short")
    _tab_to(page, page.get_by_label("State you are in during visits"))
    page.keyboard.type("Illinois")
    expect(page.get_by_label("State you are in during visits")).to_have_value("IL")
    _tab_to(page, page.get_by_role("button", name="Create account"))
    page.keyboard.press("Enter")

    password = page.get_by_label("Password")
    expect(page.locator("#password-error")).to_contain_text("at least 12")
    expect(password).to_have_attribute("aria-invalid", "true")
    expect(password).to_have_attribute("aria-describedby", re.compile(r"\bpassword-error\b"))
    expect(page.get_by_role("alert")).to_contain_text("Password")
    expect(page.get_by_label("Your name")).to_have_value("Morgan Keys")
    expect(page.get_by_label("Time zone")).to_have_value("America/Chicago")
    shot(page, "onboarding-1-error-375")
    _no_sideways_scroll(page)
    _tab_to(page, page.get_by_role("link", name="Password"))  # the summary links to the field
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#password$"))
    _tab_to(page, password)
    page.keyboard.type("a calm river under the bridge")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Step 2 of 3: Mobile number")).to_be_visible()
    expect(page.get_by_role("link", name="Skip this step")).to_be_visible()
    shot(page, "onboarding-2-mobile-375")
    _no_sideways_scroll(page)
    _tab_to(page, page.get_by_label("Mobile number"))
    page.keyboard.type("(312) 555-0188")
    page.keyboard.press("Enter")

    expect(page.get_by_text("Step 3 of 3: Text reminders")).to_be_visible()
    expect(page.get_by_text("(312) 555-0188")).to_be_visible()
    consent = page.get_by_role("checkbox", name=re.compile("^Yes, text me"))
    _tab_to(page, page.get_by_role("button", name="Turn on texts"))
    page.keyboard.press("Enter")  # without ticking the box: the error sits next to it
    expect(page.locator("#consent-error")).to_contain_text("Tick the box")
    expect(consent).to_have_attribute("aria-describedby", "consent-error")
    shot(page, "onboarding-3-texts-error-375")
    _no_sideways_scroll(page)
    _tab_to(page, consent)
    page.keyboard.press("Space")
    expect(consent).to_be_checked()
    _tab_to(page, page.get_by_role("button", name="Turn on texts"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/care-finder$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Which care fits me?")
    expect(page.get_by_text("Text reminders are on.")).to_be_visible()
    shot(page, "onboarding-4-intake-375")
    _tab_to(page, page.get_by_role("link", name="Dashboard"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Welcome, Morgan Keys")).to_be_visible()
    expect(page.get_by_role("heading", name="Next appointment")).to_be_visible()
    expect(page.get_by_text("America/Chicago")).to_be_visible()
    shot(page, "onboarding-5-dashboard-375")
    _no_sideways_scroll(page)
    context.close()


def test_both_optional_steps_can_be_skipped(page: Page, live_server: str) -> None:
    sign_up(page, live_server, "Rowan Skip", "rowan.skip@example.com", "a lantern in the window", "NY")
    expect(page.get_by_text("Step 2 of 3: Mobile number")).to_be_visible()
    shot(page, "onboarding-2-mobile-1280")
    page.get_by_role("link", name="Skip this step").click()
    expect(page).to_have_url(re.compile(r"/care-finder$"))
    expect(page.get_by_text("Next: a few questions to see which care fits you")).to_be_visible()
    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_text("No upcoming visits.")).to_be_visible()
    page.get_by_role("link", name="Text message settings").click()
    expect(page.get_by_text("Texts are off")).to_be_visible()

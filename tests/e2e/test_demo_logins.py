"""Every login `make run` prints works in a real browser, and sign-up → dashboard → sign-out works."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from app.demo.seed import CLINICIANS, DEMO_PASSWORD, PATIENTS, STAFF, email_for
from tests.e2e.conftest import MFA_SECRETS, shot, totp_for

PATIENT_HANDLES = {p[0] for p in PATIENTS}
HANDLES = [p[0] for p in PATIENTS] + [c[0] for c in CLINICIANS] + [s[0] for s in STAFF]


@pytest.mark.parametrize("handle", HANDLES)
def test_demo_login(page: Page, live_server: str, handle: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email_for(handle))
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    if handle not in PATIENT_HANDLES:  # staff enrol in two-factor sign-in at their first login
        expect(page).to_have_url(re.compile(r"/account/mfa/setup"))
        expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
        secret = page.locator("#mfa-secret").inner_text().replace(" ", "")
        MFA_SECRETS[email_for(handle)] = secret  # later tests of this session sign in with it
        page.get_by_label("Code from the app").fill(totp_for(email_for(handle)))
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
        shot(page, f"mfa-codes-{handle}")
        page.get_by_role("link", name=re.compile("I saved them")).click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    shot(page, f"dashboard-{handle}")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    page.goto(f"{live_server}/dashboard")
    expect(page).to_have_url(re.compile(r"/login\?next="))


def test_patient_signs_up_with_detected_time_zone(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/signup")
    # The browser context runs in America/New_York: the picker must have detected it.
    expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
    page.get_by_label("Your name").fill("Robin Example")
    page.get_by_label("E-mail").fill("robin@example.com")
    page.get_by_label("Password").fill("short")
    page.get_by_label("State you are in during visits").select_option("NY")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#password-error")).to_contain_text("at least 12")
    expect(page.get_by_label("Your name")).to_have_value("Robin Example")
    shot(page, "signup-error")
    page.get_by_label("Password").fill("a long enough passphrase")
    page.get_by_role("button", name="Create account").click()
    page.get_by_role("link", name="Skip this step").click()  # the optional mobile number (test_onboarding.py)
    page.get_by_role("link", name="Dashboard").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(page.get_by_role("heading", name="Welcome, Robin Example")).to_be_visible()
    expect(page.get_by_text("America/New_York")).to_be_visible()


def test_wrong_password_is_refused_in_the_browser(page: Page, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail").fill(email_for("patient"))
    page.get_by_label("Password").fill("not the demo password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("wrong")

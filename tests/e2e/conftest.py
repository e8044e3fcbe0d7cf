"""Browser tests: the real app served on 127.0.0.1 (a fresh SQLite file, migrated and seeded with the
demo clinic) and Debian's Chromium driven by Playwright. Screenshots go to test-artifacts/."""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import flask_migrate
import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, sync_playwright
from werkzeug.serving import make_server

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

from app import create_app
from app.demo.seed import seed_demo
from app.extensions import db
from tests.conftest import TEST_SECRET

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
LIVE_APPS: dict[str, Flask] = {}  # the served app by its base URL, for tests that read ids from the demo data


def _closed_before_sent(app: Flask) -> WSGIApplication:
    """The app with every answer read and closed before Werkzeug writes it. Chromium drops requests it
    no longer needs (a favicon, a stylesheet when the page moves on); Werkzeug's development server then
    skips closing the answer's open file, and the ResourceWarning of its later collection fails whichever
    test happens to be running (CI, stop 22). Answers here are small; gunicorn serves production."""

    def wsgi(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        answer = app(environ, start_response)
        try:
            return [b"".join(answer)]
        finally:
            close = getattr(answer, "close", None)
            if close is not None:
                close()

    return wsgi


@contextlib.contextmanager
def serving(app: Flask) -> Iterator[str]:
    """Serve the app on a free port of 127.0.0.1 in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, _closed_before_sent(app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    db_file = tmp_path_factory.mktemp("e2e") / "e2e.sqlite3"
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{db_file}",
            "SECRET_KEY": TEST_SECRET,
            "SCHEDULER_ENABLED": False,
            "REDIS_URL": None,
            "SMS_BACKEND": "console",
            "BILLING_BACKEND": "dummy",
        }
    )
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        db.session.remove()
    with serving(app) as base:
        LIVE_APPS[base] = app
        yield base
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (.ci/run does this)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser, request: pytest.FixtureRequest) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="America/New_York")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-final.png"), full_page=True)
    context.close()


def shot(page: Page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


# Staff enrol in two-factor sign-in at their first login; later logins (in any test of this session)
# need the same secret, and a code is accepted once: remember both here.
MFA_SECRETS: dict[str, str] = {}
_LAST_STEP: dict[str, int] = {}


def totp_for(email: str) -> str:
    import time

    import pyotp

    totp = pyotp.TOTP(MFA_SECRETS[email])
    # The server accepts the previous, current or next step (one step of clock drift either way), each
    # once and only after the last one used. Take the oldest still open: the previous step only when the
    # window has more than 5 s left (it must still be "previous" when the server checks it). When all
    # are used up, wait for the next window rather than send a code too new. (Waiting cost about 90 s
    # of the browser suite when only the current and next steps were used.)
    while _LAST_STEP.get(email, -1) >= int(time.time()) // totp.interval + 1:
        time.sleep(totp.interval - time.time() % totp.interval + 0.2)
    now = time.time()
    oldest = int(now) // totp.interval - (1 if totp.interval - now % totp.interval > 5 else 0)
    step = max(oldest, _LAST_STEP.get(email, -1) + 1)
    _LAST_STEP[email] = step
    return totp.generate_otp(step)


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    """Sign in through the login form, enrolling in (or answering) two-factor sign-in for staff."""
    import re

    from playwright.sync_api import expect

    page.goto(f"{base}/login")
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    if "/account/mfa/setup" in page.url:
        MFA_SECRETS[email] = page.locator("#mfa-secret").inner_text().replace(" ", "")
        page.get_by_label("Code from the app").fill(totp_for(email))
        page.get_by_role("button", name="Turn on two-factor sign-in").click()
        expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
        page.get_by_role("link", name=re.compile("I saved them")).click()
    elif "/login/verify" in page.url:
        page.get_by_label("Code").fill(totp_for(email))
        page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def sign_up(
    page: Page, base: str, name: str, email: str, password: str, state: str, birth_date: str | None = None
) -> None:
    """Step 1 of onboarding: the sign-up form, filled in and sent (the date of birth is optional there,
    needed before a psychiatric evaluation)."""
    page.goto(f"{base}/signup")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("E-mail").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_label("State you are in during visits").select_option(state)
    if birth_date:
        page.get_by_label("Date of birth").fill(birth_date)
    page.get_by_role("button", name="Create account").click()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()

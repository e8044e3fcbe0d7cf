"""Staff onboarding and offboarding in Chromium (issue 17): an admin invites a therapist, who opens the
e-mailed link, chooses a password, sets up two-factor sign-in, signs in again with a code and is in the
directory; an admin disables a clinician with a booked visit, moves it to a colleague on the
confirmation page, and the patient's dashboard says so.

The app is served from its own database (seeded with the demo clinic plus the people below), so
disabling a clinician here changes nothing for the other browser tests."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import flask_migrate
import pytest
from playwright.sync_api import Page, expect

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup, StaffCreate
from app.booking import openings
from app.booking import service as booking
from app.db import utcnow
from app.demo.seed import seed_demo
from app.extensions import db
from tests.conftest import TEST_SECRET
from tests.e2e.conftest import MFA_SECRETS, serving, shot, sign_in, totp_for

PASSWORD = "staff onboarding e2e 2026"
NY = "America/New_York"
EVERY_DAY = {"weekly": [{"weekday": d, "start": "07:00", "end": "21:00"} for d in range(7)], "min_notice_minutes": 0}


@dataclass
class Clinic:
    base: str
    mail: list[str]
    visit_id: int


class _Mailbox(logging.Handler):
    def __init__(self, box: list[str]) -> None:
        super().__init__(logging.INFO)
        self.box = box

    def emit(self, record: logging.LogRecord) -> None:
        self.box.append(record.getMessage())


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clinic]:
    db_file = tmp_path_factory.mktemp("staff") / "staff.sqlite3"
    app = create_app({"DATABASE_URL": f"sqlite:///{db_file}", "SECRET_KEY": TEST_SECRET, "SCHEDULER_ENABLED": False,
                      "REDIS_URL": None, "SMS_BACKEND": "console", "BILLING_BACKEND": "dummy"})  # fmt: skip
    with app.app_context():
        flask_migrate.upgrade()
        seed_demo()
        accounts.create_staff(StaffCreate(email="ops.admin@example.com", password=PASSWORD, name="Olive Ops",
                                          role="admin"), actor=None)  # fmt: skip
        leaving, colleague = (
            accounts.create_clinician(
                ClinicianCreate(email=email, password=PASSWORD, name=name, credential="LCSW", licensed_states=["VT"],
                                modalities=["CBT"], timezone=NY),
                actor=None,
            )
            for email, name in (("leah@example.com", "Leah Leaving, LCSW"), ("abe@example.com", "Abe Able, LCSW"))
        )  # fmt: skip
        for clinician in (leaving, colleague):
            booking.update_availability(clinician, EVERY_DAY, actor=None)
        patient = accounts.register_patient(PatientSignup(email="vera@example.com", password=PASSWORD,
                                            name="Vera Vermont", state="VT", timezone=NY, phone="+18025550142",
                                            sms_opt_in=True), source="test")  # fmt: skip
        day = (utcnow() + timedelta(days=2)).date()
        start = openings.open_slots(leaving, "initial_consultation", day, day, NY)[6][0]
        visit_id = booking.book(patient, leaving.id, "initial_consultation", start).id
        db.session.remove()
    mail: list[str] = []
    handler = _Mailbox(mail)
    logger = logging.getLogger("app.mail")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with serving(app) as base:
            yield Clinic(base, mail, visit_id)
    finally:
        logger.removeHandler(handler)
        with app.app_context():
            db.engine.dispose()


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/login$"))


def test_admin_invites_a_therapist_who_signs_in_with_two_factor(page: Page, clinic: Clinic) -> None:
    base = clinic.base
    sign_in(page, base, "ops.admin@example.com", PASSWORD)
    page.get_by_role("link", name="Invite staff").click()
    page.get_by_label("Full name").fill("Robin Lake")
    page.get_by_label("E-mail address").fill("robin.lake@example.com")
    page.get_by_label("Clinician", exact=True).check()
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_role("alert")).to_contain_text("Credential")  # no credential, no state: plain words
    expect(page.locator("#licensed_states-error")).to_contain_text("two-letter code, for example NY")
    shot(page, "staff-invite-1-errors")
    page.get_by_label("Credential").select_option("LMFT")
    page.get_by_label("Licensed states").fill("NY, nj")
    page.get_by_label("Cognitive behavioral therapy (CBT)").check()
    page.get_by_label("Languages").fill("English, Spanish")
    page.get_by_label("Bio").fill("Couples and family therapy.")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.get_by_text("Invitation sent to robin.lake@example.com")).to_be_visible()
    expect(page.get_by_role("cell", name=re.compile("Pending: the link works until"))).to_be_visible()
    shot(page, "staff-invite-2-pending")
    # The mail names PUBLIC_BASE_URL; this server listens on its own port.
    (path,) = [m for text in clinic.mail for m in re.findall(r"/invitations/[\w-]+", text)]
    link = base + path
    _sign_out(page)

    page.goto(link)
    expect(page.get_by_role("heading", name="Your staff account")).to_be_visible()
    expect(page.get_by_text("invited to Harbor Mind as a clinician")).to_be_visible()
    page.get_by_label("Choose a password").fill("password1234")
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#password-error")).to_contain_text("too common")
    page.get_by_label("Choose a password").fill("robin chooses a long passphrase")
    shot(page, "staff-invite-3-invitee")
    page.get_by_role("button", name="Create my account").click()
    expect(page).to_have_url(re.compile(r"/account/mfa/setup"))
    shot(page, "staff-invite-4-two-factor")
    MFA_SECRETS["robin.lake@example.com"] = page.locator("#mfa-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from the app").fill(totp_for("robin.lake@example.com"))
    page.get_by_role("button", name="Turn on two-factor sign-in").click()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    page.get_by_role("link", name=re.compile("I saved them")).click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    _sign_out(page)

    page.goto(link)  # the link worked once
    expect(page.get_by_role("alert")).to_contain_text("already used")
    sign_in(page, base, "robin.lake@example.com", "robin chooses a long passphrase")  # password, then a code
    page.goto(f"{base}/clinicians?state=NJ&language=Spanish")
    expect(page.get_by_role("heading", name=re.compile("Robin Lake"))).to_be_visible()
    shot(page, "staff-invite-5-directory")
    _sign_out(page)

    sign_in(page, base, "ops.admin@example.com", PASSWORD)
    page.goto(f"{base}/admin/invitations")
    expect(page.get_by_role("cell", name=re.compile("Used .*: the account exists"))).to_be_visible()


def test_disabling_a_clinician_moves_the_visit_and_the_patient_sees_it(page: Page, clinic: Clinic) -> None:
    base = clinic.base
    sign_in(page, base, "ops.admin@example.com", PASSWORD)
    page.goto(f"{base}/admin/users")
    page.get_by_role("link", name="Disable Leah Leaving, LCSW").click()
    expect(page.get_by_role("heading", name="Disable Leah Leaving, LCSW")).to_be_visible()
    expect(page.get_by_text("Future visits (1)")).to_be_visible()
    choice = page.get_by_label(re.compile("Initial consultation with Vera Vermont"))
    expect(choice).to_have_value(re.compile(r"^\d+$"))  # the free colleague is suggested
    expect(choice.locator("option")).to_have_text(["Move to Abe Able, LCSW", "Cancel the visit"])
    shot(page, "staff-offboard-1-confirm")
    page.get_by_role("button", name=re.compile("Disable Leah Leaving, LCSW and move or cancel 1 visit")).click()
    expect(page.get_by_text("Leah Leaving, LCSW is disabled. Visits moved to a colleague: 1")).to_be_visible()
    expect(
        page.get_by_role("row", name=re.compile("Leah Leaving")).get_by_role("cell", name="disabled")
    ).to_be_visible()
    shot(page, "staff-offboard-2-done")
    _sign_out(page)

    page.goto(f"{base}/login")  # the disabled clinician cannot sign in
    page.get_by_label("E-mail").fill("leah@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("E-mail or password is wrong")

    sign_in(page, base, "vera@example.com", PASSWORD)
    notice = page.get_by_role("region", name="Changes to your visits")
    expect(notice).to_contain_text("Leah Leaving, LCSW is no longer with Harbor Mind")
    expect(notice).to_contain_text("is now with Abe Able, LCSW, at the same time")
    expect(page.get_by_role("region", name="Next appointment")).to_contain_text("with Abe Able, LCSW")
    shot(page, "staff-offboard-3-patient-dashboard")
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    shot(page, "staff-offboard-4-patient-dashboard-375")

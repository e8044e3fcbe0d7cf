"""Onboarding: the account asks only what is needed; a mobile number and consent to texts are separate,
skippable steps (consent keeps its time, source and wording); then the intake."""

from __future__ import annotations

import re

from markupsafe import escape

from app.accounts.service import SMS_CONSENT_TEXT, find_by_email
from app.audit.event import AuditEvent
from app.extensions import db
from tests.integration.conftest import csrf_token_from


def _sign_up(client, **overrides):
    token = csrf_token_from(client.get("/signup").get_data(as_text=True))
    form = {
        "csrf_token": token,
        "name": "Nia Onboard",
        "email": "nia@example.com",
        "password": "a quiet harbor at noon",
        "state": "WA",
        "timezone": "America/Los_Angeles",
    } | overrides
    return client.post("/signup", data=form)


def test_sign_up_asks_only_what_is_needed_and_shows_step_1_of_3(client):
    html = client.get("/signup").get_data(as_text=True)
    assert "Step 1 of 3: Your account" in html
    assert 'aria-current="step"' in html
    form = html.split('<form method="post"', 1)[1].split("</form>", 1)[0]
    names = set(re.findall(r'name="([a-z_]+)"', form)) - {"csrf_token"}
    # The date of birth is the one optional field (issue 16: needed before a psychiatric evaluation only).
    assert names == {"name", "email", "password", "state", "timezone", "date_of_birth"}
    dob = form.split('id="date_of_birth"', 1)[1].split(">", 1)[0]
    assert " required" not in dob
    assert "data-detect-timezone" in html


def test_sign_up_then_mobile_then_consent_then_intake(client):
    response = _sign_up(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/welcome/mobile")
    user = find_by_email("nia@example.com")
    assert user.timezone == "America/Los_Angeles" and user.patient.state == "WA"
    assert user.patient.phone is None and not user.patient.sms_opt_in

    page = client.get("/welcome/mobile").get_data(as_text=True)
    assert "Step 2 of 3: Mobile number" in page and "Skip this step" in page
    saved = client.post("/welcome/mobile", data={"csrf_token": csrf_token_from(page), "phone": "(206) 555-0142"})
    assert saved.headers["Location"].endswith("/welcome/texts")
    db.session.refresh(user.patient)
    assert user.patient.phone == "+12065550142" and not user.patient.sms_opt_in  # a number alone is no consent

    page = client.get("/welcome/texts").get_data(as_text=True)
    assert "Step 3 of 3: Text reminders" in page and "(206) 555-0142" in page and str(escape(SMS_CONSENT_TEXT)) in page
    agreed = client.post("/welcome/texts", data={"csrf_token": csrf_token_from(page), "consent": "yes"})
    assert agreed.headers["Location"].endswith("/care-finder")
    db.session.refresh(user.patient)
    profile = user.patient
    assert profile.sms_opt_in and profile.sms_consent_source == "web_onboarding"
    assert profile.sms_consent_text == SMS_CONSENT_TEXT and profile.sms_consent_at is not None
    intake = client.get("/care-finder").get_data(as_text=True)
    assert "Next: a few questions to see which care fits you" in intake
    actions = set(db.session.scalars(db.select(AuditEvent.action).where(AuditEvent.patient_id == user.id)))
    assert {"account.create", "account.phone", "sms.opt_in"} <= actions


def test_both_optional_steps_can_be_skipped(client):
    _sign_up(client)
    skipped = client.get("/welcome/done")
    assert skipped.status_code == 302 and skipped.headers["Location"].endswith("/care-finder")
    profile = find_by_email("nia@example.com").patient
    assert profile.phone is None and not profile.sms_opt_in and profile.sms_consent_at is None
    # With no number there is nothing to consent to: the texts step asks for the number first.
    assert client.get("/welcome/texts").headers["Location"].endswith("/welcome/mobile")


def test_consent_step_skipped_keeps_the_number_without_texts(client):
    _sign_up(client)
    page = client.get("/welcome/mobile").get_data(as_text=True)
    client.post("/welcome/mobile", data={"csrf_token": csrf_token_from(page), "phone": "206 555 0142"})
    page = client.get("/welcome/texts").get_data(as_text=True)
    assert "Skip, no texts" in page
    refused = client.post("/welcome/texts", data={"csrf_token": csrf_token_from(page)})  # box not ticked
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert re.search(r'id="consent"[^>]*aria-describedby="consent-error"[^>]*aria-invalid="true"', html)
    assert 'id="consent-error">Tick the box' in html
    profile = find_by_email("nia@example.com").patient
    assert profile.phone == "+12065550142" and not profile.sms_opt_in and profile.sms_consent_at is None


def test_errors_sit_next_to_their_fields_and_input_is_kept(client, make_patient):
    taken = make_patient()
    response = _sign_up(client, email=taken.email, state="ZZ", password="short", name="Kim")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="state"[^>]*aria-describedby="state-hint state-error"[^>]*aria-invalid="true"', html)
    assert 'id="state-error">Choose a US state from the list.' in html
    assert 'id="password-error">' in html and "at least 12" in html
    assert 'href="#state"' in html and 'href="#password"' in html  # the summary links to each field
    assert 'value="Kim"' in html and "short" not in html.split('id="password"')[1].split(">")[0]


def test_a_bad_mobile_number_is_explained_next_to_the_field(client):
    _sign_up(client)
    page = client.get("/welcome/mobile").get_data(as_text=True)
    response = client.post("/welcome/mobile", data={"csrf_token": csrf_token_from(page), "phone": "12"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert re.search(r'id="phone"[^>]*aria-invalid="true"[^>]*aria-describedby="phone-hint phone-error"', html)
    assert 'id="phone-error">Enter a US mobile number' in html and 'value="12"' in html


def test_a_consented_number_is_not_replaced_without_new_consent(client, make_patient, browser_login):
    patient = make_patient(phone="+12125550142", sms_opt_in=True)
    browser_login(patient)
    page = client.get("/welcome/mobile").get_data(as_text=True)
    assert "Texts are on for" in page and "text message settings" in page
    response = client.post("/welcome/mobile", data={"csrf_token": csrf_token_from(page), "phone": "(206) 555-0100"})
    assert response.status_code == 422
    db.session.refresh(patient.patient)
    assert patient.patient.phone == "+12125550142"


def test_onboarding_steps_are_for_patients_only(client, make_clinician, browser_login):
    browser_login(make_clinician())
    for path in ("/welcome/mobile", "/welcome/texts", "/welcome/done"):
        assert client.get(path).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/dashboard").get_data(as_text=True))})
    assert client.get("/welcome/mobile").status_code in (302, 401)

"""The patient's date of birth (issue 16): optional at sign-up (page and API), bounded (from 1900, not in
the future, a real date), editable by the patient on their account page, and asked for before the first
psychiatric evaluation (the page says so in plain words with a link; the API answers 422 with
``fields.date_of_birth``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.accounts.service import find_by_email
from app.booking import openings
from app.booking import service as booking
from app.db import utcnow
from app.extensions import db
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
SIGNUP = {"password": "a quiet harbor at noon", "name": "Dana Born", "state": "NY", "timezone": "America/New_York"}
TOMORROW = (utcnow() + timedelta(days=2)).date().isoformat()


def test_the_api_sign_up_takes_an_optional_date_of_birth(client):
    without = client.post("/api/v1/patients", json={**SIGNUP, "email": "nodob@example.com"})
    assert without.status_code == 201, without.get_json()
    assert without.get_json()["patient"]["date_of_birth"] is None
    given = client.post("/api/v1/patients", json={**SIGNUP, "email": "dob@example.com", "date_of_birth": "1984-02-29"})
    assert given.status_code == 201, given.get_json()
    assert given.get_json()["patient"]["date_of_birth"] == "1984-02-29"
    assert find_by_email("dob@example.com").patient.date_of_birth == date(1984, 2, 29)


# A number is not a date, though pydantic's lax mode would read 631152000 as seconds since 1970 (1990-01-01).
@pytest.mark.parametrize("value", [TOMORROW, "1899-12-31", "last spring", "1990-02-30", "31/12/1990", 631152000, 6.3e8])
def test_the_api_refuses_a_date_of_birth_out_of_bounds_or_not_a_date(client, value):
    response = client.post("/api/v1/patients", json={**SIGNUP, "email": "bad@example.com", "date_of_birth": value})
    assert response.status_code == 422, response.get_json()
    assert "date_of_birth" in response.get_json()["fields"]
    assert find_by_email("bad@example.com") is None


def _page_sign_up(client, **overrides):
    token = csrf_token_from(client.get("/signup").get_data(as_text=True))
    return client.post("/signup", data={"csrf_token": token, "email": "page@example.com", **SIGNUP} | overrides)


@pytest.mark.parametrize(
    ("value", "words"),
    [
        (TOMORROW, "A date of birth cannot be in the future."),
        ("1899-12-31", "Enter a date of birth in 1900 or later."),
        ("someday", "Enter your date of birth as year-month-day, for example 1985-04-23."),
    ],
)
def test_the_sign_up_page_says_what_is_wrong_with_a_date_of_birth_in_plain_words(client, value, words):
    response = _page_sign_up(client, date_of_birth=value)
    assert response.status_code == 422
    assert words in response.get_data(as_text=True)
    assert find_by_email("page@example.com") is None


def test_the_sign_up_page_takes_a_date_of_birth_or_none(client):
    assert _page_sign_up(client, date_of_birth="1975-10-01").status_code == 302
    assert find_by_email("page@example.com").patient.date_of_birth == date(1975, 10, 1)
    assert _page_sign_up(client.application.test_client(), email="page2@example.com").status_code == 302
    assert find_by_email("page2@example.com").patient.date_of_birth is None


def test_the_patient_adds_and_corrects_it_on_the_account_page(client, make_patient, browser_login):
    patient = make_patient(date_of_birth=None)
    browser_login(patient)
    account = client.get("/account").get_data(as_text=True)
    assert "Not given yet" in account and "/account/date-of-birth" in account
    token = csrf_token_from(client.get("/account/date-of-birth").get_data(as_text=True))
    bad = client.post("/account/date-of-birth", data={"csrf_token": token, "date_of_birth": TOMORROW})
    assert bad.status_code == 422 and "cannot be in the future" in bad.get_data(as_text=True)
    good = client.post("/account/date-of-birth", data={"csrf_token": token, "date_of_birth": "1988-12-05"})
    assert good.status_code == 302
    assert db.session.get(type(patient), patient.id).patient.date_of_birth == date(1988, 12, 5)
    assert "1988-12-05" in client.get("/account").get_data(as_text=True)


def test_another_role_has_no_date_of_birth_page(client, make_clinician, browser_login):
    browser_login(make_clinician("MD", licensed_states=["NY"]))
    assert client.get("/account/date-of-birth").status_code == 403


@pytest.fixture
def evaluation(make_patient, make_clinician):
    """A patient without a date of birth and an open psychiatric-evaluation slot with a prescriber."""
    patient = make_patient(date_of_birth=None)
    prescriber = make_clinician("MD", licensed_states=["NY"])
    booking.update_availability(prescriber, EVERY_DAY, actor=prescriber)
    day = (utcnow() + timedelta(days=3)).date()
    start = openings.open_slots(prescriber, "psychiatric_evaluation", day, day, "America/New_York")[0][0]
    return patient, prescriber, start


def test_the_api_asks_for_the_date_of_birth_before_an_evaluation(client, evaluation, auth_headers):
    patient, prescriber, start = evaluation
    body = {"clinician_id": prescriber.id, "type": "psychiatric_evaluation", "start": start.isoformat()}
    refused = client.post("/api/v1/appointments", json=body, headers=auth_headers(patient))
    assert refused.status_code == 422, refused.get_json()
    assert refused.get_json()["error"] == "invalid"
    assert "date_of_birth" in refused.get_json()["fields"]
    # With the date given, the same evaluation books.
    db.session.get(type(patient), patient.id).patient.date_of_birth = date(1990, 1, 1)
    db.session.commit()
    booked = client.post("/api/v1/appointments", json=body, headers=auth_headers(patient))
    assert booked.status_code == 201, booked.get_json()


def test_the_confirm_page_asks_for_it_in_plain_words_with_a_link(client, evaluation, browser_login):
    patient, prescriber, start = evaluation
    browser_login(patient)
    query = {"clinician": prescriber.id, "type": "psychiatric_evaluation", "start": start.isoformat()}
    page = client.get("/book/confirm", query_string=query)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "We need your date of birth first." in html
    assert 'href="/account/date-of-birth?next=' in html
    assert "Book this time" not in html
    # Posting anyway (an old tab) books nothing and leads to the form, which leads back.
    token = csrf_token_from(client.get("/account/date-of-birth").get_data(as_text=True))
    posted = client.post("/book/confirm", data={"csrf_token": token, **query, "care_consent": "yes"})
    assert posted.status_code == 302 and "/account/date-of-birth?next=" in posted.headers["Location"]
    assert booking.list_for(patient) == []
    saved = client.post(
        "/account/date-of-birth",
        data={"csrf_token": token, "date_of_birth": "1990-01-01", "next": "/book/confirm?type=psychiatric_evaluation"},
    )
    assert saved.headers["Location"] == "/book/confirm?type=psychiatric_evaluation"
    offsite = client.post(
        "/account/date-of-birth", data={"csrf_token": token, "date_of_birth": "1990-01-01", "next": "//evil.test/"}
    )
    assert offsite.headers["Location"] == "/account"
    assert "Book this time" in client.get("/book/confirm", query_string=query).get_data(as_text=True)

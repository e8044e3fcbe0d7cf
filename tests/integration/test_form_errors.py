"""Form errors in plain words (issue 17): every form, sent with bad input, answers with sentences a
person can act on, each tied to its field (the message has an id that the field's aria-describedby
names), and the summary at the top lists them in the order of the fields below. No pydantic text
("Field required", "String should have at least 12 characters", "name: ...") on any page."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from pydantic import BaseModel, Field, ValidationError

from app.pagekit.forms import plain_errors
from app.validation import Password, PhoneNumber, StateCode, TimeZoneName
from tests.integration.conftest import csrf_token_from

RAW = (
    "Field required",
    "String should",
    "Input should",
    "Value error",
    "value is not a valid",
    "validation error",
    "Assertion failed",
    "should have at least",
    "must be one of",
    "unknown US state code",
    "IANA name",
    "not a valid phone number",
)
VOID = {"input", "br", "img", "meta", "link", "hr", "source", "area", "col", "wbr"}


class Page(HTMLParser):
    """What the checks need of a page: the text of each element with an id, the controls (and
    fieldsets) that name an error with aria-describedby, in document order, and the summary's links."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.text_of: dict[str, str] = {}
        self.described: list[tuple[str, list[str]]] = []  # (id, ids it is described by)
        self.summary_links: list[str] = []
        self.error_ids: list[str] = []
        self._open: list[tuple[str, str | None, bool]] = []  # (tag, id, inside an alert)
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        in_alert = any(alert for _, _, alert in self._open) or a.get("role") == "alert"
        if "aria-describedby" in a and tag in ("input", "select", "textarea", "fieldset"):
            self.described.append((a.get("id", ""), a["aria-describedby"].split()))
        if tag == "a" and in_alert and a.get("href", "").startswith("#"):
            self.summary_links.append(a["href"][1:])
        if tag == "p" and "error" in a.get("class", "").split() and a.get("id"):
            self.error_ids.append(a["id"])
        if tag not in VOID:
            self._open.append((tag, a.get("id"), in_alert))
            if a.get("id"):
                self.text_of.setdefault(a["id"], "")

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for _, element_id, _ in self._open:
            if element_id:
                self.text_of[element_id] += data

    def errors(self) -> dict[str, str]:
        """``{field id: its error text}`` for every field whose aria-describedby names a non-empty error."""
        found = {}
        for field_id, ids in self.described:
            for ref in ids:
                text = " ".join(self.text_of.get(ref, "").split())
                if ref.endswith("error") and text:
                    found[field_id] = text
        return found


def check(html: str, expected: list[str]) -> dict[str, str]:
    """The page's errors are plain and tied to their fields (in ``expected``'s order: the form's)."""
    for raw in RAW:
        assert raw.lower() not in html.lower(), raw
    page = Page(html)
    errors = page.errors()
    assert list(errors) == expected, errors
    for message in errors.values():
        assert message[0].isupper() and message.endswith("."), message
        assert ": " not in message.split(".")[0][:20], message  # no "name: ..." prefixes
    # every visible error message is tied to a field
    shown = [i for i in page.error_ids if page.text_of.get(i, "").strip()]
    referenced = {ref for _, ids in page.described for ref in ids}
    assert [i for i in shown if i not in referenced] == []
    if page.summary_links:  # the summary reads in the form's order
        assert [f for f in page.summary_links if f in errors] == expected
    return errors


def post(client, url: str, data: dict[str, str]):
    token = csrf_token_from(client.get(url).get_data(as_text=True))
    return client.post(url, data={**data, "csrf_token": token})


# --- the one mapping --------------------------------------------------------------------------------


class Signupish(BaseModel):
    name: str = Field(min_length=1, max_length=5)
    password: Password
    state: StateCode
    timezone: TimeZoneName
    phone: PhoneNumber
    count: int = Field(ge=1, le=9)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({}, {"name": "Fill in this field."}),
        ({"name": "far too long"}, {"name": "Use at most 5 characters."}),
        ({"password": "short"}, {"password": "Use at least 12 characters."}),
        ({"password": "password1234"}, {"password": "This password is too common or too easy to guess."}),
        ({"state": "ZZ"}, {"state": "Choose a US state from the list."}),
        ({"timezone": "Mars/Base"}, {"timezone": "Choose your time zone from the list."}),
        ({"phone": "12"}, {"phone": "Enter a US mobile number, for example (212) 555-0142."}),
        ({"count": "x"}, {"count": "Enter a whole number."}),
        ({"count": 0}, {"count": "Enter 1 or more."}),
        ({"count": 10}, {"count": "Enter 9 or less."}),
    ],
)
def test_each_pydantic_error_becomes_a_plain_sentence(data, expected):
    with pytest.raises(ValidationError) as caught:
        Signupish.model_validate(data)
    errors = plain_errors(caught.value)
    (field, message), *_ = expected.items()
    assert errors[field].startswith(message.removesuffix("."))
    for text in errors.values():
        assert not any(raw.lower() in text.lower() for raw in RAW), text


def test_errors_follow_the_forms_order_not_the_models():
    with pytest.raises(ValidationError) as caught:
        Signupish.model_validate({})
    order = ("count", "phone", "timezone", "state", "password", "name")
    assert list(plain_errors(caught.value, order)) == list(order)
    assert plain_errors(caught.value, missing={"name": "Enter your name."})["name"] == "Enter your name."


# --- the pages ----------------------------------------------------------------------------------------


def test_sign_up_with_nothing_filled_in(client):
    response = post(client, "/signup", {"name": "", "email": "", "password": "", "state": "", "timezone": ""})
    assert response.status_code == 422
    errors = check(response.get_data(as_text=True), ["name", "email", "password", "state", "timezone"])
    assert errors["name"] == "Enter your name."
    assert errors["state"] == "Choose the state you are in during visits."


def test_sign_up_with_bad_values(client):
    data = {"name": "Ann", "email": "not-an-address", "password": "short", "state": "ZZ",
            "timezone": "Mars/Base", "date_of_birth": "last spring"}  # fmt: skip
    response = post(client, "/signup", data)
    assert response.status_code == 422
    errors = check(response.get_data(as_text=True), ["email", "password", "state", "timezone", "date_of_birth"])
    assert errors["email"] == "Enter an e-mail address like name@example.com."
    assert errors["password"] == "Use at least 12 characters."
    assert errors["date_of_birth"].startswith("Enter your date of birth as year-month-day")


def test_patient_forms(client, make_patient, browser_login):
    patient = make_patient(phone=None)
    browser_login(patient)
    response = post(client, "/welcome/mobile", {"phone": "12"})
    assert response.status_code == 422
    check(response.get_data(as_text=True), ["phone"])
    response = post(client, "/account/date-of-birth", {"date_of_birth": "2999-01-01"})
    assert response.status_code == 422
    assert check(response.get_data(as_text=True), ["date_of_birth"]) == {
        "date_of_birth": "A date of birth cannot be in the future."
    }
    response = post(client, "/settings/sms", {"phone": "12", "action": "opt_in"})
    assert response.status_code == 422
    check(response.get_data(as_text=True), ["phone", "consent"])
    response = post(client, "/check-in", {"q0": "1"})
    assert response.status_code == 422
    check(response.get_data(as_text=True), [f"q{i}" for i in range(1, 9)])
    response = post(client, "/care-finder", {"phq9_0": "1"})
    assert response.status_code == 422
    check(response.get_data(as_text=True), [f"phq9_{i}" for i in range(1, 9)])


def test_clinician_forms(client, team, browser_login, make_patient):
    prescriber, patient = team["prescriber"], team["patient"]
    browser_login(prescriber)
    chart = f"/patients/{patient.id}/chart"
    token = csrf_token_from(client.get(chart).get_data(as_text=True))
    response = client.post(chart + "/tasks", data={"title": "", "due": "soon", "csrf_token": token})
    assert response.status_code == 422
    check(response.get_data(as_text=True), ["task-title", "task-owner", "task-due"])
    response = client.post(
        chart + "/goals", data={"text": " ", "target": "3 walks", "base_version": "0", "csrf_token": token}
    )
    assert response.status_code == 422
    check(response.get_data(as_text=True), ["goal-text"])
    assert 'value="3 walks"' in response.get_data(as_text=True)
    response = client.post(chart + "/medications", data={"name": "", "dose": "", "csrf_token": token})
    assert response.status_code == 422
    assert "Enter the medication" in response.get_data(as_text=True)
    response = client.post(
        f"/patients/{patient.id}/minutes", data={"date": "x", "minutes": "0", "activity": "??", "csrf_token": token}
    )
    assert response.status_code == 302
    check(client.get(response.headers["Location"]).get_data(as_text=True), ["min-date", "min-minutes", "min-activity"])
    response = post(client, "/emergency-access", {"email": "", "reason": ""})
    assert response.status_code == 422
    check(response.get_data(as_text=True), ["email", "reason"])
    response = post(
        client, "/schedule/availability", {"editor": "grid", "action": "save", "w0-0-start": "", "w0-0-end": "09:00"}
    )
    assert response.status_code == 422
    assert check(response.get_data(as_text=True), ["w0-0-start"])


def test_admin_audit_search(client, make_staff, browser_login):
    browser_login(make_staff("admin"))
    response = client.get("/admin/audit?actor=someone&since=yesterday")
    check(response.get_data(as_text=True), ["actor", "since"])

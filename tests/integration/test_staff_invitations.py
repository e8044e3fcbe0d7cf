"""Staff onboarding (issue 17): ``POST /api/v1/invitations`` and the admin's pages send a single-use,
expiring link by e-mail; the invitee chooses a password, sets up two-factor sign-in and has a working
account (a clinician is in the directory). Used, withdrawn, expired and unknown links get clear pages."""

from __future__ import annotations

import hashlib
import logging
import re
from datetime import timedelta

import pytest

from app.accounts import invitations
from app.accounts.invitation import Invitation, InvitationStatus
from app.accounts.schemas import InvitationCreate
from app.accounts.user import User
from app.db import utcnow
from app.extensions import db
from tests.integration.conftest import csrf_token_from, totp_code

PASSPHRASE = "a calm harbor at dawn"
THERAPIST = {
    "email": "new.therapist@example.com",
    "name": "Robin Lake",
    "role": "clinician",
    "clinician": {"credential": "LMFT", "licensed_states": ["NY", "NJ"], "modalities": ["CBT", "family_couples"],
                  "languages": ["English", "Spanish"], "bio": "Couples and families.", "timezone": "America/New_York"},
}  # fmt: skip
TTL = timedelta(hours=72)


def _links(caplog) -> list[str]:
    return re.findall(r"/invitations/([\w-]+)", caplog.text)


def _invite(client, headers, body, caplog):
    with caplog.at_level(logging.INFO, logger="app.mail"):
        response = client.post("/api/v1/invitations", json=body, headers=headers)
    return response


def _invite_directly(admin, caplog, now=None, **overrides) -> str:
    data = InvitationCreate.model_validate({**THERAPIST, **overrides})
    with caplog.at_level(logging.INFO, logger="app.mail"):
        invitations.invite(data, actor=admin, ttl=TTL, link_base="http://x", now=now)
    return _links(caplog)[-1]


def test_admin_invites_by_api_and_the_link_goes_by_mail(client, make_staff, auth_headers, caplog):
    admin = make_staff("admin")
    before = utcnow()
    response = _invite(client, auth_headers(admin), THERAPIST, caplog)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert set(body) == {"id", "expires_at"}
    from datetime import datetime

    expires = datetime.fromisoformat(body["expires_at"])
    assert before + TTL - timedelta(seconds=5) <= expires <= utcnow() + TTL
    (raw,) = _links(caplog)
    assert "new.therapist@example.com" in caplog.text and "72 hours" in caplog.text
    row = db.session.get(Invitation, body["id"])
    assert row.token_hash == hashlib.sha256(raw.encode()).hexdigest()  # only the hash is kept
    assert raw not in (row.token_hash, str(row.clinician))


@pytest.mark.parametrize("role", ["patient", "clinician", "billing_admin"])
def test_only_admins_may_invite(client, make_patient, make_clinician, make_staff, auth_headers, caplog, role):
    makers = {"patient": make_patient, "clinician": make_clinician, "billing_admin": lambda: make_staff(role)}
    caller = makers[role]()
    response = _invite(client, auth_headers(caller), THERAPIST, caplog)
    assert response.status_code == 403
    assert _links(caplog) == [] and db.session.scalar(db.select(db.func.count()).select_from(Invitation)) == 0


def test_signed_out_callers_get_401(client, caplog):
    assert _invite(client, {}, THERAPIST, caplog).status_code == 401


def test_an_address_with_an_account_is_409_email_taken(client, make_staff, make_clinician, auth_headers, caplog):
    admin, existing = make_staff("admin"), make_clinician()
    response = _invite(client, auth_headers(admin), {**THERAPIST, "email": existing.email.upper()}, caplog)
    assert response.status_code == 409 and response.get_json()["error"] == "email_taken"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**THERAPIST, "clinician": None}, "clinician"),
        ({**THERAPIST, "role": "billing_admin"}, "clinician"),
        ({**THERAPIST, "email": "not an address"}, "email"),
        ({**THERAPIST, "role": "patient"}, "role"),
        ({**THERAPIST, "clinician": {**THERAPIST["clinician"], "licensed_states": []}}, "clinician.licensed_states"),
        ({**THERAPIST, "clinician": {**THERAPIST["clinician"], "credential": "RN"}}, "clinician.credential"),
        (
            {**THERAPIST, "clinician": {**THERAPIST["clinician"], "licensed_states": ["New York"]}},
            "clinician.licensed_states.0",
        ),
        ({**THERAPIST, "name": ""}, "name"),
    ],
)
def test_bad_input_is_422_naming_the_field(client, make_staff, auth_headers, caplog, body, field):
    response = _invite(client, auth_headers(make_staff("admin")), body, caplog)
    assert response.status_code == 422
    fields = response.get_json()["fields"]
    assert response.get_json()["error"] == "invalid" and field in fields
    assert not any(w in fields[field] for w in ("Field required", "String should", "Input should", "List should"))
    assert fields[field].endswith(".")  # a sentence in plain words, e.g. "Enter at least one US state as ..."


def test_billing_admins_and_admins_need_no_clinical_profile(client, make_staff, auth_headers, caplog):
    headers = auth_headers(make_staff("admin"))
    for n, role in enumerate(("billing_admin", "admin")):
        response = _invite(client, headers, {"email": f"staff{n}@example.com", "name": "Sam Reed", "role": role},
                           caplog)  # fmt: skip
        assert response.status_code == 201


def _accept(client, raw, password=PASSPHRASE):
    page = client.get(f"/invitations/{raw}")
    assert page.status_code == 200, page.get_data(as_text=True)
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(f"/invitations/{raw}", data={"password": password, "csrf_token": token})


def test_the_invitee_sets_a_password_then_two_factor_and_is_in_the_directory(client, make_staff, caplog):
    raw = _invite_directly(make_staff("admin"), caplog)
    page = client.get(f"/invitations/{raw}").get_data(as_text=True)
    assert "Robin Lake" in page and "new.therapist@example.com" in page and "clinician" in page
    weak = client.post(f"/invitations/{raw}", data={"password": "password1234", "csrf_token": csrf_token_from(page)})
    assert weak.status_code == 422
    assert "too common" in weak.get_data(as_text=True) and "String should" not in weak.get_data(as_text=True)
    short = client.post(f"/invitations/{raw}", data={"password": "short", "csrf_token": csrf_token_from(page)})
    assert short.status_code == 422 and "at least 12 characters" in short.get_data(as_text=True)
    assert db.session.scalar(db.select(User).where(User.email == "new.therapist@example.com")) is None

    done = client.post(f"/invitations/{raw}", data={"password": PASSPHRASE, "csrf_token": csrf_token_from(page)})
    assert done.status_code == 302 and "/account/mfa/setup" in done.headers["Location"]
    user = db.session.scalar(db.select(User).where(User.email == "new.therapist@example.com"))
    assert user.role == "clinician" and user.is_enabled and not user.mfa_enabled
    assert user.clinician.clinical_role == "therapist" and list(user.clinician.licensed_states) == ["NJ", "NY"]
    assert sorted(user.clinician.modalities) == ["CBT", "family_couples"] and user.timezone == "America/New_York"
    # Staff cannot go anywhere before two-factor is set up.
    assert "/account/mfa/setup" in client.get("/dashboard").headers["Location"]
    setup = client.get("/account/mfa/setup").get_data(as_text=True)
    enrolled = client.post("/account/mfa/setup", data={"code": totp_code(user), "csrf_token": csrf_token_from(setup)})
    assert enrolled.status_code == 200 and "recovery codes" in enrolled.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 200
    # The directory lists every enabled clinician (open times appear once availability is set).
    assert "Robin Lake" in client.get("/clinicians").get_data(as_text=True)
    listed = client.get("/api/v1/clinicians?state=NJ&language=Spanish").get_json()
    assert [c["name"] for c in listed] == ["Robin Lake"]


def test_the_link_works_once(client, app, make_staff, caplog):
    raw = _invite_directly(make_staff("admin"), caplog)
    assert _accept(client, raw).status_code == 302
    other = app.test_client()
    again = other.get(f"/invitations/{raw}")
    assert again.status_code == 410 and "already used" in again.get_data(as_text=True)
    posted = other.post(f"/invitations/{raw}", data={"password": "another long passphrase"})
    assert posted.status_code in (400, 410)  # no CSRF token from a page that offered no form
    with pytest.raises(invitations.InvitationUnusable) as used:
        invitations.accept(raw, "another long passphrase")
    assert used.value.reason == InvitationStatus.USED
    assert db.session.scalar(db.select(db.func.count()).select_from(User).where(User.email == THERAPIST["email"])) == 1


def test_the_link_expires_after_72_hours_to_the_minute(make_staff, caplog):
    admin = make_staff("admin")
    sent = utcnow() - timedelta(days=1)
    raw = _invite_directly(admin, caplog, now=sent)
    assert invitations.find(raw, now=sent + TTL - timedelta(minutes=1)).email == THERAPIST["email"]
    with pytest.raises(invitations.InvitationUnusable) as late:
        invitations.find(raw, now=sent + TTL + timedelta(minutes=1))
    assert late.value.reason == InvitationStatus.EXPIRED
    with pytest.raises(invitations.InvitationUnusable):
        invitations.accept(raw, PASSPHRASE, now=sent + TTL + timedelta(minutes=1))
    assert invitations.accept(raw, PASSPHRASE, now=sent + TTL - timedelta(minutes=1)).email == THERAPIST["email"]


def test_the_pages_tell_an_expired_link_from_a_live_one(client, make_staff, caplog):
    admin = make_staff("admin")
    live = _invite_directly(admin, caplog, now=utcnow() - TTL + timedelta(minutes=1))
    assert client.get(f"/invitations/{live}").status_code == 200
    dead = _invite_directly(admin, caplog, now=utcnow() - TTL - timedelta(minutes=1), email="late@example.com")
    page = client.get(f"/invitations/{dead}")
    assert page.status_code == 410 and "has expired" in page.get_data(as_text=True)


def test_the_ttl_is_a_setting(client, app, make_staff, auth_headers, caplog):
    app.config["INVITATION_TTL_HOURS"] = 24
    try:
        body = _invite(client, auth_headers(make_staff("admin")), THERAPIST, caplog).get_json()
    finally:
        app.config["INVITATION_TTL_HOURS"] = 72
    from datetime import datetime

    assert datetime.fromisoformat(body["expires_at"]) <= utcnow() + timedelta(hours=24)
    assert "24 hours" in caplog.text


@pytest.mark.parametrize("token", ["nope", "x" * 300, "%00", "a/b"])
def test_unknown_links_get_a_clear_page(client, token):
    response = client.get(f"/invitations/{token}")
    assert response.status_code == 404
    assert "not valid" in response.get_data(as_text=True) or "not found" in response.get_data(as_text=True).lower()


def test_a_new_invitation_replaces_the_pending_one(make_staff, caplog):
    admin = make_staff("admin")
    first = _invite_directly(admin, caplog)
    second = _invite_directly(admin, caplog)
    with pytest.raises(invitations.InvitationUnusable):
        invitations.find(first)
    assert invitations.find(second).email == THERAPIST["email"]


def test_admin_pages_invite_list_and_withdraw(client, make_staff, browser_login, caplog):
    admin = make_staff("admin")
    browser_login(admin)
    form = client.get("/admin/invitations/new")
    assert form.status_code == 200
    token = csrf_token_from(form.get_data(as_text=True))
    bad = client.post("/admin/invitations/new", data={"csrf_token": token, "name": "Kim Fox", "email": "kim@",
                                                       "role": "clinician", "licensed_states": "New York"})  # fmt: skip
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "Enter an e-mail address" in text and "two-letter code" in text and "Choose the clinician" in text
    assert "Field required" not in text and "String should" not in text and "clinician.credential" not in text
    with caplog.at_level(logging.INFO, logger="app.mail"):
        sent = client.post("/admin/invitations/new", data={
            "csrf_token": token, "name": "Kim Fox", "email": "kim@example.com", "role": "clinician",
            "credential": "PMHNP", "licensed_states": "ny, nj", "modalities": ["medication_management"],
            "languages": "English", "bio": "", "timezone": "America/Chicago"})  # fmt: skip
        assert sent.status_code == 302
        assert client.post("/admin/invitations/new", data={"csrf_token": token, "name": "Lee Park",
                           "email": "lee@example.com", "role": "billing_admin"}).status_code == 302  # fmt: skip
    kim, lee = _links(caplog)
    listing = client.get("/admin/invitations").get_data(as_text=True)
    assert listing.count("Pending: the link works until") == 2 and "Psychiatric nurse practitioner" in listing
    row = db.session.scalar(db.select(Invitation).where(Invitation.email == "lee@example.com"))
    withdrawn = client.post(f"/admin/invitations/{row.id}/revoke", data={"csrf_token": token})
    assert withdrawn.status_code == 302
    page = client.get(f"/invitations/{lee}")
    assert page.status_code == 410 and "withdrawn" in page.get_data(as_text=True)
    assert "Withdrawn" in client.get("/admin/invitations").get_data(as_text=True)
    assert client.post(f"/admin/invitations/{row.id}/revoke", data={"csrf_token": token}).status_code == 302
    assert "Nothing to withdraw" in client.get("/admin/invitations").get_data(as_text=True)
    assert invitations.find(kim).role == "clinician"


@pytest.mark.parametrize("path", ["/admin/invitations", "/admin/invitations/new"])
def test_the_admin_pages_are_for_admins(client, make_staff, browser_login, path):
    browser_login(make_staff("billing_admin"))
    assert client.get(path).status_code == 403

"""Two-factor sign-in: required for staff after the first login, optional for patients, codes work
once, recovery codes, a new session id after MFA, admin reset (audited), and the token API."""

from __future__ import annotations

import re

import pyotp

from app.audit.event import AuditEvent
from app.auth.login_session import LoginSession
from app.auth.mfa import MfaRecoveryCode, MfaSecret
from app.extensions import db
from tests.conftest import PASSWORD
from tests.integration.conftest import csrf_token_from, live_sessions, sent_to_login, totp_code


def _password_step(client, user):
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    return client.post("/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})


def _again_with_the_password_only(client, user):
    """Signed in already (and enrolled): sign out everywhere, then the password step only."""
    client.post(
        "/account/sign-out-everywhere",
        data={"csrf_token": csrf_token_from(client.get("/account").get_data(as_text=True))},
    )
    return _password_step(client, user)


def test_staff_must_enrol_before_anything_else(client, make_clinician):
    clinician = make_clinician("MD")
    first = _password_step(client, clinician)
    assert "/account/mfa/setup" in first.headers["Location"]
    blocked = client.get("/dashboard")
    assert blocked.status_code == 302 and "/account/mfa/setup" in blocked.headers["Location"]
    assert client.get("/api/v1/me").status_code == 401  # the cookie is not enough for the API either
    page = client.get("/account/mfa/setup").get_data(as_text=True)
    assert 'src="data:image/svg+xml' in page
    secret = re.search(r'id="mfa-secret">([A-Z2-7 ]+)<', page).group(1).replace(" ", "")
    assert secret == db.session.get(MfaSecret, clinician.id).secret
    wrong = client.post("/account/mfa/setup", data={"code": "000000", "csrf_token": csrf_token_from(page)})
    assert wrong.status_code == 422
    ok = client.post("/account/mfa/setup", data={"code": pyotp.TOTP(secret).now(), "csrf_token": csrf_token_from(page)})
    codes = re.findall(r"<code>([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})</code>", ok.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/dashboard").status_code == 200
    assert db.session.scalar(db.select(db.func.count()).select_from(MfaRecoveryCode)) == 10


def test_session_id_changes_after_the_second_factor(client, make_staff, browser_login):
    admin = make_staff("admin")
    browser_login(admin)  # enrols
    _again_with_the_password_only(client, admin)
    pending = db.session.scalars(db.select(LoginSession).where(LoginSession.ended_at.is_(None))).one()
    verify = client.get("/login/verify").get_data(as_text=True)
    done = client.post("/login/verify", data={"code": totp_code(admin), "csrf_token": csrf_token_from(verify)})
    assert done.status_code == 302
    db.session.expire_all()
    live = db.session.scalars(db.select(LoginSession).where(LoginSession.ended_at.is_(None))).one()
    assert live.id != pending.id and live.mfa_verified_at is not None
    assert db.session.get(LoginSession, pending.id).ended_at is not None


def test_a_code_works_only_once(client, make_staff, browser_login):
    billing = make_staff("billing_admin")
    browser_login(billing)
    used = db.session.get(MfaSecret, billing.id)
    replay = pyotp.TOTP(used.secret).generate_otp(used.last_step)
    _again_with_the_password_only(client, billing)
    verify = client.get("/login/verify").get_data(as_text=True)
    refused = client.post("/login/verify", data={"code": replay, "csrf_token": csrf_token_from(verify)})
    assert refused.status_code == 401 and "each works once" in refused.get_data(as_text=True)


def test_recovery_code_works_once(client, make_staff):
    admin = make_staff("admin")
    _password_step(client, admin)
    page = client.get("/account/mfa/setup").get_data(as_text=True)
    shown = client.post("/account/mfa/setup", data={"code": totp_code(admin), "csrf_token": csrf_token_from(page)})
    code = re.findall(r"<code>([A-Z2-9-]{14})</code>", shown.get_data(as_text=True))[0]
    for expected in (302, 401):
        client.post(
            "/account/sign-out-everywhere",
            data={"csrf_token": csrf_token_from(client.get("/account").get_data(as_text=True))},
        )
        _password_step(client, admin)
        verify = client.get("/login/verify").get_data(as_text=True)
        response = client.post("/login/verify", data={"code": code.lower(), "csrf_token": csrf_token_from(verify)})
        assert response.status_code == expected


def test_patients_do_not_need_mfa_unless_they_opt_in(client, make_patient, browser_login):
    patient = make_patient()
    browser_login(patient)
    assert client.get("/dashboard").status_code == 200
    page = client.get("/account/mfa/setup").get_data(as_text=True)
    client.post("/account/mfa/setup", data={"code": totp_code(patient), "csrf_token": csrf_token_from(page)})
    client.post(
        "/account/sign-out-everywhere",
        data={"csrf_token": csrf_token_from(client.get("/account").get_data(as_text=True))},
    )
    assert "/login/verify" in _password_step(client, patient).headers["Location"]


def test_token_api_requires_the_code_for_mfa_accounts(app, make_clinician, browser_login):
    clinician = make_clinician("LCSW")
    creds = {"email": clinician.email, "password": PASSWORD}
    api = app.test_client()  # an API client: no browser cookie
    assert api.post("/api/v1/auth/token", json=creds).get_json()["error"] == "mfa_enrollment_required"
    browser_login(clinician)
    assert api.post("/api/v1/auth/token", json=creds).get_json()["error"] == "mfa_required"
    wrong = api.post("/api/v1/auth/token", json={**creds, "otp": "123456"})
    assert (wrong.status_code, wrong.get_json()["error"]) == (401, "mfa_required")  # the contract's answer
    code = totp_code(clinician)
    ok = api.post("/api/v1/auth/token", json={**creds, "otp": code})
    assert ok.status_code == 200 and ok.get_json()["user"]["role"] == "clinician"
    reused = api.post("/api/v1/auth/token", json={**creds, "otp": code})
    assert (reused.status_code, reused.get_json()["error"]) == (401, "mfa_required")


def test_admin_reset_is_audited_and_forces_enrolment_again(app, client, make_staff, make_clinician, browser_login):
    clinician = make_clinician("PsyD")
    other = app.test_client()
    token = csrf_token_from(other.get("/login").get_data(as_text=True))
    other.post("/login", data={"email": clinician.email, "password": PASSWORD, "csrf_token": token})
    page = other.get("/account/mfa/setup").get_data(as_text=True)
    other.post("/account/mfa/setup", data={"code": totp_code(clinician), "csrf_token": csrf_token_from(page)})
    assert other.get("/dashboard").status_code == 200

    admin = make_staff("admin")
    browser_login(admin)
    listing = client.get("/admin/users").get_data(as_text=True)
    assert clinician.email in listing
    response = client.post(f"/admin/users/{clinician.id}/mfa/reset", data={"csrf_token": csrf_token_from(listing)})
    assert response.status_code == 302
    assert sent_to_login(other.get("/dashboard")) and live_sessions(clinician) == 0  # the clinician's sessions ended
    db.session.expire_all()
    assert db.session.get(MfaSecret, clinician.id) is None and not clinician.mfa_enabled
    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "auth.mfa_reset")).one()
    assert event.actor_id == admin.id and event.object_id == str(clinician.id)
    assert "/account/mfa/setup" in _password_step(app.test_client(), clinician).headers["Location"]


def test_only_admins_reach_the_reset(client, make_clinician, browser_login):
    clinician = make_clinician()
    browser_login(clinician)
    assert client.get("/admin/users").status_code == 403


def test_admin_disables_an_account_and_its_sessions_stop(
    app, client, make_staff, make_clinician, browser_login, auth_headers
):
    # A billing admin: a clinician is disabled through offboarding instead (test_offboarding), which
    # moves or cancels their visits first.
    clinician = make_staff("billing_admin")
    headers = auth_headers(clinician)
    device = app.test_client()
    token = csrf_token_from(device.get("/login").get_data(as_text=True))
    device.post("/login", data={"email": clinician.email, "password": PASSWORD, "csrf_token": token})
    admin = make_staff("admin")
    browser_login(admin)
    page = client.get("/admin/users").get_data(as_text=True)
    response = client.post(
        f"/admin/users/{clinician.id}/enabled", data={"enabled": "0", "csrf_token": csrf_token_from(page)}
    )
    assert response.status_code == 302
    assert device.get("/account/mfa/setup").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=headers).status_code == 401
    assert (
        db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "account.disable")).one().actor_id
        == admin.id
    )
    own = client.post(f"/admin/users/{admin.id}/enabled", data={"enabled": "0", "csrf_token": csrf_token_from(page)})
    assert own.status_code == 302 and client.get("/dashboard").status_code == 200


def test_the_access_check_itself_refuses_a_session_owing_the_second_factor(app, make_staff):
    """Behind the loader (which hides a half-signed-in user everywhere but the two-factor pages and
    sign-out), ``access.check`` refuses such a user on its own: a second gate, not the only one."""
    import pytest
    from flask_login import login_user

    from app import access
    from app.errors import MfaRequired
    from app.reference.roles import Role

    user = make_staff("admin")
    user.login_session_id = "a-session-owing-its-second-factor"  # no cookie is written in this context
    with app.test_request_context("/"):
        login_user(user)
        user.mfa_pending = True
        for rule in (access.ANY_USER, access.roles(Role.ADMIN)):
            with pytest.raises(MfaRequired):
                access.check(rule)
        access.check(access.MFA_STEP)  # the two-factor pages stay open to it
        # Where the browser goes next: the code page once enrolled, setting up two-factor before that.
        for enrolled, page in ((False, "auth.mfa_setup"), (True, "auth.mfa_verify")):
            user.mfa_enabled = enrolled
            with pytest.raises(MfaRequired) as owed:
                access.check(access.ANY_USER)
            assert owed.value.page_endpoint == page
        user.mfa_pending = False
        access.check(access.ANY_USER)
        access.check(access.roles(Role.ADMIN))


def test_an_enrolled_user_half_signed_in_is_sent_to_the_code_page_not_to_set_up_again(client, make_staff,
                                                                                     browser_login):  # fmt: skip
    admin = make_staff("admin")
    browser_login(admin)  # enrols
    _again_with_the_password_only(client, admin)
    blocked = client.get("/dashboard")
    assert blocked.status_code == 302 and "/login/verify" in blocked.headers["Location"]
    assert client.get("/api/v1/me").status_code == 401

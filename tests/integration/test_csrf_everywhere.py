"""CSRF on every state-changing route of the URL map, walked from ``app.url_map``.

- Every page route with POST/PUT/PATCH/DELETE refuses a form without the token, and one with another
  session's token, for every actor (anonymous included): 400 with the "form expired" page, nothing changed.
- Every API write called with the session cookie (as our own pages' scripts would) and no token: 400
  ``csrf_failed`` for a signed-in browser, 401 for an anonymous one; nothing changed. The same with an
  ``Authorization`` header that authenticates nothing (``Bearer junk``, another scheme): still 400. Only a
  request whose user a valid bearer token names is exempt (a foreign site cannot make a browser send
  one), and then the token, not the cookie, is who the caller is.
- The webhooks (Twilio, Stripe) are exempt from CSRF because the provider signs them: without a valid
  signature they are refused and change nothing.
"""

from __future__ import annotations

from typing import Any

from tests.integration.actors import (
    ACTORS,
    ANONYMOUS,
    PATIENT_A,
    PRESCRIBER_ON,
    THERAPIST_ON,
    Fingerprint,
    World,
    build_world,
    rolled_back,
    sign_in_everyone,
    test_connection,
)
from tests.integration.test_access_roles_matrix import ROUTES, _args, fill, url_map_routes

UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
JUNK_AUTHORIZATION = ("Bearer junk", "Basic dXNlcjpwYXNz", "Bearer ")
WEBHOOKS = {"/sms/twilio/inbound", "/sms/twilio/status", "/billing/stripe/webhook"}
CSRF_PAGE = "Your form expired or was sent from elsewhere"

# Forms that would be accepted with a token, so a refusal is the token's doing and nothing else's.
FORMS: dict[str, Any] = {
    "/login": lambda w: {"email": w.a.email, "password": "correct horse battery staple"},
    "/signup": lambda w: {
        "email": "csrf-new@example.com",
        "password": "correct horse battery staple",
        "name": "New Person",
        "state": "NY",
        "timezone": "America/New_York",
    },
    "/settings/sms": lambda w: {"action": "opt_out"},
    "/check-in": lambda w: {"instrument": "GAD-7", **{f"q{i}": "1" for i in range(7)}},
    "/emergency-access": lambda w: {"email": w.a.email, "reason": "Crisis call overnight, team unreachable"},
    "/admin/users/<int:user_id>/enabled": lambda w: {"enabled": "0"},
    "/billing/checkout": lambda w: {"plan": "monthly"},
    "/schedule/calendar-feed": lambda w: {"action": "new"},
    "/password/forgot": lambda w: {"email": w.a.email},
    "/care-finder": lambda w: {"signs": "sleep", **{f"phq9_{i}": "1" for i in range(9)}},
}


def _body(world: World, method: str, rule: str) -> dict[str, Any]:
    route = ROUTES.get(f"{method} {rule}")
    if route is not None and route.body is not None:
        body = route.body(world)
        if "reschedule" in rule:
            body = {"start": world.open_slot["a_therapist"]}
        return body
    maker = FORMS.get(rule)
    return maker(world) if maker else {}


def _ids(world: World) -> dict[str, Any]:
    return _args(world, "a_therapist") | {
        "user_id": world.users[THERAPIST_ON].id,
        "membership_id": world.extra["membership_a"],
        "event_id": "evt_1",
        "token": "x" * 40,
    }


def test_every_state_changing_page_needs_the_token(app, make_patient, make_clinician, make_staff):
    world = build_world(make_patient, make_clinician, make_staff)
    sign_in_everyone(app, world)
    connection = test_connection()
    fingerprint = Fingerprint(connection)
    before = fingerprint.take()
    other_token = world.csrf[PATIENT_A]  # a real token, of another session
    failures, walked = [], 0
    for _key, method, rule in url_map_routes(app):
        if method not in UNSAFE or rule.startswith("/api/") or rule in WEBHOOKS:
            continue
        path = fill(rule, _ids(world))
        body = _body(world, method, rule)
        with rolled_back(connection):
            for actor in ACTORS:
                tokens = [None] if actor == PATIENT_A else [None, other_token]
                for token in tokens:
                    data = body if token is None else {**body, "csrf_token": token}
                    response = world.pages[actor].open(path, method=method, data=data)
                    walked += 1
                    if response.status_code != 400 or CSRF_PAGE not in response.get_data(as_text=True):
                        failures.append((actor, method, path, "token" if token else "none", response.status_code))
            changed = Fingerprint.diff(before, fingerprint.take())
            if changed:
                failures.append(("someone", method, path, f"changed {sorted(changed)}"))
    assert walked > 200
    assert failures == [], "\n".join(map(str, failures))
    # Still signed in: the refused sign-out-everywhere ended nothing.
    assert world.pages[THERAPIST_ON].get("/account").status_code == 200


def test_cookie_authenticated_api_writes_need_the_token(app, make_patient, make_clinician, make_staff):
    world = build_world(make_patient, make_clinician, make_staff)
    sign_in_everyone(app, world)
    connection = test_connection()
    fingerprint = Fingerprint(connection)
    before = fingerprint.take()
    failures, walked = [], 0
    for _key, method, rule in url_map_routes(app):
        if method not in UNSAFE or not rule.startswith("/api/"):
            continue
        path = fill(rule, _ids(world))
        body = _body(world, method, rule)
        with rolled_back(connection):
            for actor in ACTORS:
                response = world.pages[actor].open(path, method=method, json=body)
                walked += 1
                if actor == ANONYMOUS:
                    # Not signed in: the cookie carries no authority to forge (public routes such as sign-up
                    # and token issue answer as they would to anyone).
                    continue
                if response.status_code != 400 or (response.get_json() or {}).get("error") != "csrf_failed":
                    failures.append((actor, method, path, response.status_code))
            for actor in ACTORS:  # an Authorization header that authenticates nothing exempts nothing
                if actor == ANONYMOUS:
                    continue
                for header in JUNK_AUTHORIZATION:
                    response = world.pages[actor].open(
                        path, method=method, json=body, headers={"Authorization": header}
                    )
                    if response.status_code != 400 or (response.get_json() or {}).get("error") != "csrf_failed":
                        failures.append((actor, method, path, header, response.status_code))
            for actor in ACTORS:  # the header with another session's token is no better
                if actor in (ANONYMOUS, PATIENT_A):
                    continue
                response = world.pages[actor].open(
                    path, method=method, json=body, headers={"X-CSRFToken": world.csrf[PATIENT_A]}
                )
                if response.status_code != 400:
                    failures.append((actor, method, path, "foreign token", response.status_code))
            changed = Fingerprint.diff(before, fingerprint.take())
            if changed and not _public_signup(rule):
                failures.append(("someone", method, path, f"changed {sorted(changed)}"))
    assert walked > 100
    assert failures == [], "\n".join(map(str, failures))


def test_a_valid_bearer_token_is_the_caller_whatever_cookie_comes_along(
    app, make_patient, make_clinician, make_staff, auth_headers
):
    world = build_world(make_patient, make_clinician, make_staff)
    sign_in_everyone(app, world)
    browser = world.pages[THERAPIST_ON]  # a clinician's signed-in browser...
    token = auth_headers(world.a)  # ...presenting patient A's valid token
    me = browser.get("/api/v1/me", headers=token).get_json()
    assert me["id"] == world.a.id
    assert browser.get("/api/v1/me").get_json()["id"] == world.users[THERAPIST_ON].id  # the cookie alone
    # A write with the valid token needs no CSRF token and is A's: only the patient may take a clinician
    # off their care team, which the clinician's own cookie (CSRF token and all) may not.
    prescriber = world.users[PRESCRIBER_ON].id
    path = f"/api/v1/patients/{world.a.id}/care-team/{prescriber}"
    as_cookie = browser.delete(path, headers={"X-CSRFToken": world.csrf[THERAPIST_ON]})
    assert as_cookie.status_code in (403, 404)
    assert browser.delete(path, headers=token).status_code == 204
    team = browser.get(f"/api/v1/patients/{world.a.id}/care-team", headers=token).get_json()
    assert prescriber not in {m["clinician_id"] for m in team}
    # A revoked or expired token is junk: the cookie session is back, and with it CSRF.
    refused = browser.delete(
        f"/api/v1/patients/{world.a.id}/care-team/{world.users[THERAPIST_ON].id}",
        headers={"Authorization": "Bearer " + "x" * 43},
    )
    assert refused.status_code == 400 and refused.get_json()["error"] == "csrf_failed"


def _public_signup(rule: str) -> bool:
    """Anonymous calls of public API writes (sign-up, token issue) may change state: they need no session."""
    return rule in ("/api/v1/patients", "/api/v1/auth/token")


def test_webhooks_are_exempt_but_refuse_unsigned_calls(app, client, make_patient):
    make_patient()
    connection = test_connection()
    fingerprint = Fingerprint(connection)
    before = fingerprint.take()
    forms = {
        "/sms/twilio/inbound": {"From": "+12125550142", "Body": "STOP"},
        "/sms/twilio/status": {"MessageSid": "SM1", "MessageStatus": "delivered"},
    }
    walked = 0
    for _key, _method, rule in url_map_routes(app):
        if rule not in WEBHOOKS:
            continue
        walked += 1
        if rule in forms:
            response = client.post(rule, data=forms[rule], headers={"X-Twilio-Signature": "forged"})
            assert response.status_code == 403, (rule, response.status_code)
        else:
            response = client.post(
                rule,
                data=b'{"id": "evt_1", "type": "customer.subscription.updated"}',
                headers={"Stripe-Signature": "t=1,v1=forged"},
                content_type="application/json",
            )
            assert response.status_code == 400, (rule, response.status_code)
        assert CSRF_PAGE not in response.get_data(as_text=True)  # refused by the signature, not by CSRF
    assert walked == len(WEBHOOKS)
    assert Fingerprint.diff(before, fingerprint.take()) == {}

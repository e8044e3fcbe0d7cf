"""No state change over GET: every GET route of the URL map, called by every actor (and by a patient who
has just signed up and has no rows anywhere yet), with real ids, leaves every table as it was.

The audit trail is the one table a read may write (reads of a patient's record are audited by design),
and a session's last-seen time moves with every request; ``actors.NOT_STATE`` leaves both out. The few
GETs that may change something are listed in ``ALLOWED`` with the reason.
"""

from __future__ import annotations

from datetime import timedelta

from app.auth import service as auth_service
from tests.integration.actors import (
    ACTORS,
    PATIENT_A,
    PATIENT_B,
    PRESCRIBER_ON,
    THERAPIST_ON,
    Fingerprint,
    build_world,
    rolled_back,
    sign_in,
    sign_in_everyone,
    test_connection,
)
from tests.integration.test_access_roles_matrix import _args, fill, url_map_routes

NEWCOMER = "patient who just signed up"

# (route, actor) -> tables the GET may change, and why.
ALLOWED: dict[tuple[str, str], set[str]] = {
    # Two-factor enrolment (optional for patients; staff here are enrolled already): the first visit of the
    # setup page makes the pending secret its QR code shows. A second visit reuses it (tested below), and it
    # does nothing before the POST with a valid code.
    **{("GET /account/mfa/setup", actor): {"mfa_secrets"} for actor in (PATIENT_A, PATIENT_B, NEWCOMER)},
    # Opening a message thread is reading it: a recipient (the patient, a team member; never anyone else)
    # leaves a read receipt per message not read before, as the audit trail records the read. Idempotent
    # (tested below); nothing else changes.
    **{
        (route, actor): {"message_reads"}
        for route in ("GET /api/v1/patients/<int:patient_id>/messages", "GET /patients/<int:patient_id>/messages")
        for actor in (PATIENT_A, THERAPIST_ON, PRESCRIBER_ON)
    },
}


def test_every_get_leaves_the_database_unchanged(app, make_patient, make_clinician, make_staff):
    world = build_world(make_patient, make_clinician, make_staff)
    sign_in_everyone(app, world)
    newcomer = make_patient(name="Nia Newcomer")
    world.pages[NEWCOMER] = sign_in(app, newcomer)
    world.users[NEWCOMER] = newcomer
    world.api[NEWCOMER] = {"Authorization": "Bearer " + auth_service.issue_token(newcomer, timedelta(hours=1))}
    actors = (*ACTORS, NEWCOMER)
    connection = test_connection()
    fingerprint = Fingerprint(connection)
    args = _args(world, "a_therapist") | {"user_id": world.a.id, "token": "x" * 40}
    args |= {"clinician_id": world.users[THERAPIST_ON].id}
    before = fingerprint.take()
    failures, walked = [], 0
    for key, method, rule in url_map_routes(app):
        if method != "GET" or rule.startswith("/static/"):
            continue
        path = fill(rule, args)
        # All actors in one savepoint; only when something changed, one savepoint each to say who.
        with rolled_back(connection):
            for actor in actors:
                response = _get(app, world, actor, path)
                walked += 1
                if response.status_code >= 500:
                    failures.append((actor, path, f"server error {response.status_code}"))
            changed = Fingerprint.diff(before, fingerprint.take())
        if not changed:
            continue
        for actor in actors:
            with rolled_back(connection):
                _get(app, world, actor, path)
                changed = set(Fingerprint.diff(before, fingerprint.take()))
            if changed - ALLOWED.get((key, actor), set()):
                failures.append((actor, path, f"changed {sorted(changed)}"))
    assert walked > 500
    assert failures == [], "\n".join(map(str, failures))


def _get(app, world, actor, path):
    if path.startswith("/api/"):
        return app.test_client().get(path, headers=world.api[actor])
    return world.pages[actor].get(path)


def test_a_second_visit_of_the_mfa_setup_page_changes_nothing(app, make_patient):
    """The one allowed GET write above is idempotent."""
    browser = sign_in(app, make_patient())
    connection = test_connection()
    fingerprint = Fingerprint(connection)
    assert browser.get("/account/mfa/setup").status_code == 200
    before = fingerprint.take()
    assert browser.get("/account/mfa/setup").status_code == 200
    assert Fingerprint.diff(before, fingerprint.take()) == {}


def test_a_second_read_of_a_message_thread_changes_nothing(app, client, team):
    """The read receipts a thread's GET leaves are written once: reading again adds none."""
    patient, therapist = team["patient"], team["h"]["therapist"]
    client.post(f"/api/v1/patients/{patient.id}/messages", headers=team["h"]["patient"], json={"body": "Hello"})
    assert client.get(f"/api/v1/patients/{patient.id}/messages", headers=therapist).status_code == 200
    connection = test_connection()
    fingerprint = Fingerprint(connection)
    before = fingerprint.take()
    assert client.get(f"/api/v1/patients/{patient.id}/messages", headers=therapist).status_code == 200
    assert Fingerprint.diff(before, fingerprint.take()) == {}

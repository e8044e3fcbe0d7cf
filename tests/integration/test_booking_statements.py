"""Statements per request on booking's hot paths, pinned: booking a visit (POST /api/v1/appointments)
and a clinician's open slots (GET /api/v1/clinicians/<id>/slots), each a real request through the app,
counted with a ``before_cursor_execute`` listener on both databases.

The counts include what the test harness adds: every commit of the request is a SAVEPOINT and its
RELEASE here (the test runs inside an outer transaction), where production sends BEGIN and COMMIT.
A change that adds a round trip to these paths fails here; one that removes some lowers the pin."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import db

WEEKDAYS_9_TO_17 = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)]

# dialect -> statements per request
BOOK = {"sqlite": 12, "postgresql": 12}  # was 14
BOOK_WITH_CONSENT = {"sqlite": 15, "postgresql": 15}  # care_consent: true, the first consent (was 21, two transactions)
SLOTS_COLD = {"sqlite": 6, "postgresql": 6}  # the clinician's schedule is read (the cache is empty)
SLOTS_WARM = {"sqlite": 4, "postgresql": 4}  # the same question again: the schedule stamp only


@contextmanager
def statements() -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(Engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(Engine, "before_cursor_execute", count)


@pytest.fixture
def booking(client, make_patient, make_clinician, auth_headers):
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/Los_Angeles")
    response = client.put(f"/api/v1/clinicians/{therapist.id}/availability", headers=auth_headers(therapist),
                          json={"weekly": WEEKDAYS_9_TO_17, "min_notice_minutes": 0})  # fmt: skip
    assert response.status_code == 200, response.get_json()
    patient = make_patient(state="NY", timezone="America/New_York", phone="+12125550142", sms_opt_in=True)
    return therapist.id, auth_headers(patient)  # the id, not the row: reading it later would be counted


def _slots(client, therapist_id, headers):
    day = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    return client.get(f"/api/v1/clinicians/{therapist_id}/slots", headers=headers,
                      query_string={"type": "therapy_session", "from": day, "to": day})  # fmt: skip


def test_statements_per_slots_request(client, booking):
    therapist, headers = booking
    with statements() as cold:
        response = _slots(client, therapist, headers)
    assert response.status_code == 200 and response.get_json()["slots"]
    with statements() as warm:
        assert _slots(client, therapist, headers).status_code == 200
    dialect = db.engine.dialect.name
    assert (len(cold), len(warm)) == (SLOTS_COLD[dialect], SLOTS_WARM[dialect]), "\n".join([*cold, "--", *warm])


@pytest.mark.parametrize("consent", [False, True])
def test_statements_per_booking_request(client, booking, consent):
    therapist, headers = booking
    start = _slots(client, therapist, headers).get_json()["slots"][0]["start"]
    body = {"clinician_id": therapist, "type": "therapy_session", "start": start}
    with statements() as seen:
        response = client.post(
            "/api/v1/appointments", headers=headers, json=body | {"care_consent": True} if consent else body
        )
    assert response.status_code == 201, response.get_json()
    expected = (BOOK_WITH_CONSENT if consent else BOOK)[db.engine.dialect.name]
    assert len(seen) == expected, "\n".join(seen)


def test_a_clinician_lookup_reads_the_profile_with_the_user_and_never_their_licence_rows(
    client, booking, make_staff, auth_headers
):
    """``get_clinician`` (the availability editor, the confirm page): the profile comes in the user's
    own statement; licences, modalities and languages, which these paths never read, are not loaded."""
    therapist, _ = booking
    headers = auth_headers(make_staff("admin"))
    with statements() as seen:
        response = client.get(f"/api/v1/clinicians/{therapist}/availability", headers=headers)
    assert response.status_code == 200, response.get_json()
    profile_reads = [s for s in seen if "clinician_profiles" in s]
    assert len(profile_reads) == 1 and "users" in profile_reads[0], "\n".join(seen)
    rows = ("clinician_licenses", "clinician_modalities", "clinician_languages")
    assert not [s for s in seen if any(table in s for table in rows)], "\n".join(seen)

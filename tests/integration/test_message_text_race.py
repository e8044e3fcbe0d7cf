"""Issue 17's "one waiting text is enough", under concurrency: team members answering the same patient at
the same instant queue one "You have a new message" text, not one each. With the old read-then-insert,
PostgreSQL let simultaneous replies each see no waiting text and queue one apiece (the patient's phone
buzzed once per reply). Threads released together by a barrier, each with its own session, on a database
of its own (on SQLite a file, where BEGIN IMMEDIATE makes the writers take turns); then the same over HTTP
against gunicorn with four workers."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
import requests
from flask import Flask
from sqlalchemy import select

from app import create_app
from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup
from app.auth import service as auth_service
from app.care_team.member import CareTeamMember
from app.extensions import db
from app.messaging.message import Message
from app.sms.outbox_message import OutboxMessage, OutboxStatus
from tests.conftest import PASSWORD, private_database
from tests.integration.conftest import real_commits
from tests.integration.racing import TIMEOUT, app_settings, at_once, served

REPLIES = 12


def _seed() -> dict:
    """A patient who takes texts, with two prescribers and two therapists on the team; their API tokens."""
    patient = accounts.register_patient(
        PatientSignup(email="texted@example.com", password=PASSWORD, name="Tess Texted", state="NY",
                      timezone="UTC", phone="+12125550177", sms_opt_in=True),
        source="test",
    )  # fmt: skip
    tokens = []
    for n, credential in enumerate(("MD", "PMHNP", "LCSW", "PhD")):
        clinician = accounts.create_clinician(
            ClinicianCreate(email=f"c{n}@example.com", password=PASSWORD, name=f"Dr C{n}", credential=credential,
                            licensed_states=["NY"], timezone="UTC"),
            actor=None,
        )  # fmt: skip
        db.session.add(CareTeamMember(patient_id=patient.id, clinician_id=clinician.id))
        tokens.append(auth_service.issue_token(clinician, timedelta(hours=1)))
    db.session.commit()
    seeded = {"patient_id": patient.id, "tokens": tokens}
    db.session.commit()  # end this thread's transaction: on SQLite it would hold the write lock against the race
    return seeded


def _reply(app: Flask, seeded: dict, n: int):
    def job() -> object:
        answer = app.test_client().post(
            f"/api/v1/patients/{seeded['patient_id']}/messages",
            json={"body": f"Reply {n}: see you Thursday."},
            headers={"Authorization": f"Bearer {seeded['tokens'][n % len(seeded['tokens'])]}"},
        )
        assert answer.status_code == 201, (answer.status_code, answer.get_data(as_text=True))
        return answer

    return job


@pytest.fixture
def database(tmp_path) -> Iterator[str]:
    with private_database(str(tmp_path)) as url:
        yield url


def _assert_one_waiting_text(patient_id: int) -> None:
    assert len(list(db.session.scalars(select(Message.id).where(Message.patient_id == patient_id)))) == REPLIES
    texts = list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.patient_id == patient_id,
                                        OutboxMessage.kind == "message_nudge")
        )
    )  # fmt: skip
    assert [t.status for t in texts] == [OutboxStatus.QUEUED], [(t.status, t.dedupe_key) for t in texts]


def test_simultaneous_replies_queue_one_text_for_the_patient(database):
    app = create_app(app_settings(database))
    with real_commits(app, migrate=True):
        seeded = _seed()
        assert at_once(app, [_reply(app, seeded, n) for n in range(REPLIES)]) == []
        _assert_one_waiting_text(seeded["patient_id"])


def test_simultaneous_replies_to_the_served_app_queue_one_text(database, tmp_path):
    """The same promise as production runs it: gunicorn with four worker processes, replies over HTTP."""
    app = create_app(app_settings(database))
    with real_commits(app, migrate=True):
        seeded = _seed()
    log = tmp_path / "server.log"
    barrier = threading.Barrier(REPLIES)
    with served(database, log, "message-race") as base:

        def reply(n: int) -> int:
            token = seeded["tokens"][n % len(seeded["tokens"])]
            with requests.Session() as http:  # connect first, so the barrier releases requests, not handshakes
                http.get(f"{base}/healthz", timeout=TIMEOUT)
                barrier.wait()
                return http.post(f"{base}/api/v1/patients/{seeded['patient_id']}/messages",
                                 json={"body": f"Reply {n}: see you Thursday."},
                                 headers={"Authorization": f"Bearer {token}"}, timeout=TIMEOUT).status_code  # fmt: skip

        with ThreadPoolExecutor(REPLIES) as pool:
            statuses = list(pool.map(reply, range(REPLIES)))
    assert statuses == [201] * REPLIES, statuses
    assert "Traceback" not in log.read_text()
    with real_commits(app):
        _assert_one_waiting_text(seeded["patient_id"])

"""The audit trail: logins and denials from day one; append-only on PostgreSQL; never secrets."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from app.audit.event import AuditEvent
from app.audit.service import record
from app.extensions import db
from tests.conftest import PASSWORD


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == action)))


def test_successful_and_failed_logins_are_audited_without_the_password(client, make_patient):
    patient = make_patient()
    client.post(
        "/api/v1/auth/token",
        json={"email": patient.email, "password": "guess guess guess"},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    client.post("/api/v1/auth/token", json={"email": patient.email, "password": PASSWORD})
    logins = _events("auth.login")
    denied = [e for e in logins if e.outcome == "denied"]
    assert len(denied) == 1 and denied[0].ip == "192.0.2.7" and denied[0].subject == patient.email
    assert denied[0].actor_id is None  # a failed login proves nothing about who tried
    tokens = _events("auth.token")
    assert len(tokens) == 1 and tokens[0].actor_id == patient.id and tokens[0].outcome == "ok"
    dumped = " ".join(str(vars(e)) for e in logins + tokens)
    assert PASSWORD not in dumped and "guess guess" not in dumped


def test_account_creation_is_audited_against_the_patient(make_patient):
    patient = make_patient()
    (event,) = _events("account.create")
    assert event.patient_id == patient.id and event.object_id == str(patient.id)


def test_audit_rows_cannot_be_changed_on_postgres(is_postgres):
    if not is_postgres:
        pytest.skip("the append-only trigger is PostgreSQL's; SQLite is the development database")
    record("test.event", actor=None)
    db.session.commit()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("UPDATE audit_events SET outcome = 'forged'"))
    db.session.rollback()
    with pytest.raises(DBAPIError, match="append-only"):
        db.session.execute(text("DELETE FROM audit_events"))
    db.session.rollback()

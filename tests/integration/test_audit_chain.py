"""The audit trail's hash chain: sealing, verification, and the first broken link reported."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from app.audit.chain import seal, verify
from app.audit.event import AuditEvent
from app.audit.service import record
from app.extensions import db


def _write(n: int) -> None:
    for i in range(n):
        record("test.event", actor=None, object_type="thing", object_id=i)
    db.session.commit()


def test_seal_then_verify_is_intact(app):
    _write(5)
    assert seal() == 5
    _write(2)
    assert seal() == 2 and seal() == 0
    result = verify()
    assert (result.checked, result.unsealed, result.broken_at) == (7, 0, None)
    seqs = [e.chain_seq for e in db.session.scalars(db.select(AuditEvent).order_by(AuditEvent.chain_seq))]
    assert seqs == list(range(1, 8))


def test_unsealed_rows_are_counted_not_failed(app):
    _write(3)
    seal()
    _write(2)
    result = verify()
    assert result.broken_at is None and result.checked == 3 and result.unsealed == 2


def _tamper(sql: str, is_postgres: bool) -> None:
    if is_postgres:  # a superuser bypassing the append-only trigger: exactly what the chain is for
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    db.session.execute(text(sql))
    if is_postgres:
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    db.session.commit()
    db.session.expire_all()


def test_changed_content_is_found_at_its_row(app, is_postgres):
    _write(6)
    seal()
    _tamper("UPDATE audit_events SET outcome = 'forged' WHERE chain_seq = 4", is_postgres)
    result = verify()
    assert result.broken_at == 4 and "changed" in result.reason and result.checked == 3


def test_deleted_row_is_found(app, is_postgres):
    _write(6)
    seal()
    _tamper("DELETE FROM audit_events WHERE chain_seq = 2", is_postgres)
    result = verify()
    assert result.broken_at == 2 and "removed" in result.reason


def test_cli_reports_intact_and_broken(app, is_postgres):
    _write(3)
    runner = app.test_cli_runner()
    assert "sealed 3" in runner.invoke(args=["audit", "seal"]).output
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and "3 rows verified" in ok.output
    _tamper("UPDATE audit_events SET actor_id = 99 WHERE chain_seq = 1", is_postgres)
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1 and "BROKEN at chain_seq 1" in broken.output


def test_postgres_trigger_allows_sealing_but_not_resealing(app, is_postgres):
    if not is_postgres:
        pytest.skip("the append-only trigger is PostgreSQL's")
    _write(1)
    seal()
    with pytest.raises(Exception, match="append-only"):
        db.session.execute(text("UPDATE audit_events SET row_hash = 'x', prev_hash = 'y'"))
    db.session.rollback()

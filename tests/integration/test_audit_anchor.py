"""The keyed chain and its signed checkpoints: a forger who can write the database can neither cut
rows off the end nor rewrite a row and re-hash the chain without `audit verify` saying so."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import flask_migrate
import pytest
from sqlalchemy import select, text

from app import create_app
from app.audit.chain import GENESIS, canonical, seal, verify
from app.audit.event import AuditEvent
from app.audit.service import record
from app.extensions import db
from tests.conftest import TEST_AUDIT_KEY, TEST_SECRET, private_database
from tests.integration.conftest import REAL_SESSION


def _write(n: int) -> None:
    for i in range(n):
        record("test.event", actor=None, object_type="thing", object_id=i)
    db.session.commit()


@pytest.fixture
def checkpoints(app, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "audit-checkpoints.jsonl"
    path.touch()
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_FILE", str(path))
    return path


def _as_superuser(sql: str, params: dict | None, is_postgres: bool) -> None:
    """What a forger with full write access does (on PostgreSQL: switch the append-only trigger off)."""
    if is_postgres:
        db.session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    db.session.execute(text(sql), params or {})
    if is_postgres:
        db.session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def _verify_cli(app, path: Path):
    return app.test_cli_runner().invoke(args=["audit", "verify", "--since-checkpoint", str(path)])


def test_each_seal_appends_a_signed_checkpoint_and_an_intact_chain_holds_them(app, checkpoints):
    _write(5)
    seal()
    _write(3)
    seal()
    assert seal() == 0  # nothing new: no checkpoint
    lines = [json.loads(line) for line in checkpoints.read_text().splitlines()]
    assert [p["seq"] for p in lines] == [5, 8] and all(len(p["sig"]) == 64 for p in lines)
    result = _verify_cli(app, checkpoints)
    assert result.exit_code == 0, result.output
    assert "8 rows verified" in result.output and "2 checkpoints hold" in result.output


def test_deleting_the_newest_sealed_rows_is_found(app, checkpoints, is_postgres):
    _write(20)
    seal()
    _as_superuser("DELETE FROM audit_events WHERE chain_seq > 12", None, is_postgres)
    db.session.commit()
    db.session.expire_all()
    result = _verify_cli(app, checkpoints)
    assert result.exit_code == 1, result.output
    assert "BROKEN at chain_seq 13" in result.output and "removed from the end" in result.output


def test_a_row_rewritten_and_the_chain_rehashed_with_plain_sha256_is_found(app, checkpoints, is_postgres):
    _write(6)
    seal()
    # The forger changes row 3 and recomputes every hash from there with the unkeyed SHA-256.
    _as_superuser("UPDATE audit_events SET outcome = 'forged' WHERE chain_seq = 3", None, is_postgres)
    db.session.expire_all()
    prev = GENESIS
    for event in db.session.scalars(select(AuditEvent).order_by(AuditEvent.chain_seq)):
        new_hash = hashlib.sha256(prev.encode() + canonical(event)).hexdigest()
        if event.chain_seq >= 3:
            _as_superuser("UPDATE audit_events SET prev_hash = :p, row_hash = :h WHERE id = :id",
                          {"p": prev, "h": new_hash, "id": event.id}, is_postgres)  # fmt: skip
        prev = new_hash
    db.session.commit()
    db.session.expire_all()
    found = verify()
    assert found.broken_at is not None and found.broken_at <= 3, found
    result = _verify_cli(app, checkpoints)
    assert result.exit_code == 1 and "BROKEN at chain_seq" in result.output, result.output
    plain = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert plain.exit_code == 1, plain.output


def test_the_key_is_not_in_the_database(app, monkeypatch):
    _write(2)
    seal()
    assert verify().broken_at is None
    monkeypatch.setitem(app.config, "AUDIT_KEY", "another-key-" + "x" * 40)
    assert verify().broken_at == 1


def test_an_edited_checkpoint_file_is_refused(app, checkpoints):
    _write(4)
    seal()
    point = json.loads(checkpoints.read_text())
    point["seq"] = 2  # pretend the chain was shorter
    checkpoints.write_text(json.dumps(point) + "\n")
    result = _verify_cli(app, checkpoints)
    assert result.exit_code == 1 and "signature does not verify" in result.output


def test_two_signed_checkpoints_that_disagree_are_reported(app, checkpoints):
    from app.audit.chain import Checkpoint, audit_key

    _write(3)
    seal()
    with checkpoints.open("a") as out:  # a second, validly signed head for the same row: a re-sealed chain
        out.write(Checkpoint.make(3, "f" * 64, audit_key()).to_json() + "\n")
    result = _verify_cli(app, checkpoints)
    assert result.exit_code == 1 and "disagree" in result.output, result.output


def test_checkpoint_command_anchors_the_current_head(app, checkpoints):
    runner = app.test_cli_runner()
    assert "nothing sealed" in runner.invoke(args=["audit", "checkpoint"]).output
    _write(3)
    seal()
    checkpoints.write_text("")
    assert "chain_seq 3" in runner.invoke(args=["audit", "checkpoint"]).output
    assert json.loads(checkpoints.read_text())["seq"] == 3


def test_migration_rechains_rows_sealed_with_plain_sha256(tmp_path: Path):
    """Upgrading a trail sealed the old way (unkeyed SHA-256) leaves a chain that verifies under the key."""
    with private_database(str(tmp_path)) as url:
        other = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": TEST_SECRET,
                            "AUDIT_KEY": TEST_AUDIT_KEY, "SCHEDULER_ENABLED": False})  # fmt: skip
        test_session, db.session = db.session, REAL_SESSION  # this database is not the test's transaction
        try:
            with other.app_context():
                flask_migrate.upgrade(revision="0013_throttle")
                _write(5)
                prev = GENESIS
                for seq, event in enumerate(db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)), 1):
                    event.chain_seq, event.prev_hash = seq, prev
                    event.row_hash = prev = hashlib.sha256(prev.encode() + canonical(event)).hexdigest()
                db.session.commit()
                assert verify().broken_at == 1  # the old chain does not verify under the key
                db.session.remove()
                flask_migrate.upgrade(revision="heads")
                result = verify()
                assert (result.checked, result.broken_at) == (5, None), result
                db.session.remove()
                db.engine.dispose()
        finally:
            db.session = test_session

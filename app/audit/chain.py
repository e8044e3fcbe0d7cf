"""The hash chain over the audit trail.

Rows are written without a hash inside the transactions they describe (no global lock on every
request). A single sealer — the scheduler job, serialised by an advisory lock on PostgreSQL and by
BEGIN IMMEDIATE on SQLite — then gives each committed, unsealed row the next sequence number and
``row_hash = sha256(prev_hash + canonical row)``. Sealing in commit-visible order rather than id
order means a transaction that commits late is simply sealed later; nothing is skipped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import func, select, text

from app.audit.event import AuditEvent
from app.extensions import db

GENESIS = "0" * 64
_ADVISORY_KEY = 7_202_611  # any constant unique to this lock


def canonical(event: AuditEvent) -> bytes:
    fields = {
        "id": event.id,
        "occurred_at": event.occurred_at.isoformat(),
        "actor_id": event.actor_id,
        "actor_role": event.actor_role,
        "patient_id": event.patient_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "outcome": event.outcome,
        "ip": event.ip,
        "subject": event.subject,
        "chain_seq": event.chain_seq,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def row_hash(prev_hash: str, event: AuditEvent) -> str:
    return hashlib.sha256(prev_hash.encode() + canonical(event)).hexdigest()


def seal(batch: int = 1000) -> int:
    """Chain every committed, unsealed row; returns how many were sealed."""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    else:
        db.session.connection(execution_options={"sqlite_begin": "IMMEDIATE"})
    last = db.session.execute(
        select(AuditEvent.chain_seq, AuditEvent.row_hash).where(AuditEvent.chain_seq.is_not(None))
        .order_by(AuditEvent.chain_seq.desc()).limit(1)
    ).first()  # fmt: skip
    seq, prev = (last[0], last[1]) if last else (0, GENESIS)
    pending = db.session.scalars(
        select(AuditEvent).where(AuditEvent.row_hash.is_(None)).order_by(AuditEvent.id).limit(batch)
    ).all()
    for event in pending:
        seq += 1
        event.chain_seq, event.prev_hash = seq, prev
        event.row_hash = prev = row_hash(prev, event)
    db.session.commit()
    return len(pending)


@dataclass(frozen=True)
class Verification:
    checked: int
    unsealed: int
    broken_at: int | None  # chain_seq of the first row whose link or content does not verify
    reason: str | None


def verify(page: int = 5000) -> Verification:
    """Walk the chain in order and report the first broken link."""
    prev, expected_seq, checked, last_seq = GENESIS, 1, 0, 0
    while True:
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.chain_seq > last_seq).order_by(AuditEvent.chain_seq).limit(page)
        ).all()
        if not rows:
            break
        for event in rows:
            if event.chain_seq != expected_seq:
                return _broken(checked, expected_seq, f"sequence jumps to {event.chain_seq} (rows removed?)")
            if event.prev_hash != prev:
                return _broken(checked, event.chain_seq, "does not link to the row before it")
            if event.row_hash != row_hash(prev, event):
                return _broken(checked, event.chain_seq, "content changed after sealing")
            prev, expected_seq, checked, last_seq = event.row_hash, expected_seq + 1, checked + 1, event.chain_seq
        db.session.expunge_all()
    unsealed = db.session.scalar(select(func.count()).where(AuditEvent.row_hash.is_(None))) or 0
    return Verification(checked=checked, unsealed=unsealed, broken_at=None, reason=None)


def _broken(checked: int, seq: int, reason: str) -> Verification:
    unsealed = db.session.scalar(select(func.count()).where(AuditEvent.row_hash.is_(None))) or 0
    return Verification(checked=checked, unsealed=unsealed, broken_at=seq, reason=reason)

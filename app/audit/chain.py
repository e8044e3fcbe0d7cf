"""The keyed hash chain over the audit trail, and the signed checkpoints that anchor its head.

Rows are written without a hash inside the transactions they describe (no global lock on every
request). A single sealer — the scheduler job, serialised by an advisory lock on PostgreSQL and by
BEGIN IMMEDIATE on SQLite — then gives each committed, unsealed row the next sequence number and
``row_hash = HMAC-SHA256(AUDIT_KEY, prev_hash + canonical row)``. Sealing in commit-visible order
rather than id order means a transaction that commits late is simply sealed later; nothing is skipped.

The key lives in the settings, never in the database: whoever can write the database (a stolen
application password, a restored dump) cannot re-hash a forged chain. A chain alone cannot show that
its newest rows were cut off, so every seal also writes a signed checkpoint — the latest sequence
number and hash — to the log and, when ``AUDIT_CHECKPOINT_FILE`` is set, as one JSON line appended
to a file the operator keeps outside the database. ``verify(checkpoints=...)`` then finds a chain
that ends before a checkpoint (truncation) or disagrees with one (a rewrite).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from flask import current_app
from sqlalchemy import func, select, text

from app.audit.event import AuditEvent
from app.extensions import db

GENESIS = "0" * 64
_ADVISORY_KEY = 7_202_611  # any constant unique to this lock

log = logging.getLogger(__name__)


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


def audit_key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode()


def row_hash(prev_hash: str, event: AuditEvent, key: bytes | None = None) -> str:
    return hmac.new(key or audit_key(), prev_hash.encode() + canonical(event), hashlib.sha256).hexdigest()


# --- checkpoints -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head as a seal left it: ``seq`` and ``hash`` of the newest sealed row, signed."""

    seq: int
    hash: str
    at: str
    sig: str

    @staticmethod
    def _payload(seq: int, row_hash_: str, at: str) -> bytes:
        return f"audit-checkpoint|{seq}|{row_hash_}|{at}".encode()

    @classmethod
    def make(cls, seq: int, row_hash_: str, key: bytes, at: datetime | None = None) -> Checkpoint:
        stamp = (at or datetime.now(UTC)).isoformat(timespec="seconds")
        sig = hmac.new(key, cls._payload(seq, row_hash_, stamp), hashlib.sha256).hexdigest()
        return cls(seq, row_hash_, stamp, sig)

    def signed_by(self, key: bytes) -> bool:
        good = hmac.new(key, self._payload(self.seq, self.hash, self.at), hashlib.sha256).hexdigest()
        return hmac.compare_digest(good, self.sig)

    def to_json(self) -> str:
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at, "sig": self.sig}, sort_keys=True)


class CheckpointError(ValueError):
    """A checkpoint file line that is not a checkpoint signed with this deployment's key."""


def read_checkpoints(lines: Iterable[str], key: bytes) -> Iterator[Checkpoint]:
    """The checkpoints of a JSON-lines file; a malformed or wrongly signed line is an error, not skipped."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            point = Checkpoint(int(raw["seq"]), str(raw["hash"]), str(raw["at"]), str(raw["sig"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise CheckpointError(f"line {number} is not a checkpoint") from exc
        if not point.signed_by(key):
            raise CheckpointError(f"line {number}: the signature does not verify (edited, or another AUDIT_KEY)")
        yield point


def write_checkpoint(seq: int, row_hash_: str) -> Checkpoint:
    """Log the head and append it to ``AUDIT_CHECKPOINT_FILE`` (flushed to disk) when that is set."""
    point = Checkpoint.make(seq, row_hash_, audit_key())
    line = point.to_json()
    log.info("audit checkpoint %s", line)
    path = current_app.config.get("AUDIT_CHECKPOINT_FILE")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(line + "\n")
            out.flush()
            os.fsync(out.fileno())
    return point


# --- sealing ---------------------------------------------------------------------------------------


def head() -> tuple[int, str]:
    """The newest sealed row's sequence and hash; (0, GENESIS) before the first seal."""
    last = db.session.execute(
        select(AuditEvent.chain_seq, AuditEvent.row_hash).where(AuditEvent.chain_seq.is_not(None))
        .order_by(AuditEvent.chain_seq.desc()).limit(1)
    ).first()  # fmt: skip
    return (last[0], last[1]) if last else (0, GENESIS)


def seal(batch: int = 1000) -> int:
    """Chain every committed, unsealed row; returns how many were sealed. A checkpoint follows each
    seal that sealed something, after the commit (a checkpoint never names a row that rolled back)."""
    key = audit_key()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_KEY})
    # SQLite: the transaction's BEGIN IMMEDIATE (app.sqlite) already makes sealers take turns.
    seq, prev = head()
    pending = db.session.scalars(
        select(AuditEvent).where(AuditEvent.row_hash.is_(None)).order_by(AuditEvent.id).limit(batch)
    ).all()
    for event in pending:
        seq += 1
        event.chain_seq, event.prev_hash = seq, prev
        event.row_hash = prev = row_hash(prev, event, key)
    db.session.commit()
    if pending:
        write_checkpoint(seq, prev)
    return len(pending)


# --- verification ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    checked: int
    unsealed: int
    broken_at: int | None  # chain_seq of the first row whose link or content does not verify
    reason: str | None
    checkpoints: int = 0  # checkpoints the chain was held against
    latest_checkpoint: Checkpoint | None = None


def verify(page: int = 5000, checkpoints: Iterable[Checkpoint] | None = None) -> Verification:
    """Walk the chain in order and report the first broken link. With ``checkpoints`` the chain must
    also hold every one: the row at each checkpoint's sequence carries its hash, and the chain reaches
    at least the newest checkpoint (rows cut off the end are found)."""
    key = audit_key()
    expected: dict[int, Checkpoint] = {}
    for point in checkpoints or ():
        seen = expected.setdefault(point.seq, point)
        if seen.hash != point.hash:  # both signed with the key: the chain was sealed twice from here
            return _broken(0, point.seq, f"the checkpoints of {seen.at} and {point.at} disagree about this row")
    newest = expected[max(expected)] if expected else None
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
            if not hmac.compare_digest(event.row_hash or "", row_hash(prev, event, key)):
                return _broken(checked, event.chain_seq, "content changed after sealing")
            point = expected.get(event.chain_seq)
            if point is not None and point.hash != event.row_hash:
                return _broken(checked, event.chain_seq, f"differs from the checkpoint of {point.at}")
            prev, expected_seq, checked, last_seq = event.row_hash, expected_seq + 1, checked + 1, event.chain_seq
        db.session.expunge_all()
    if newest is not None and newest.seq > last_seq:
        return _broken(checked, last_seq + 1, f"the chain ends at chain_seq {last_seq} but the checkpoint of "
                       f"{newest.at} saw chain_seq {newest.seq} (rows removed from the end)")  # fmt: skip
    return Verification(checked=checked, unsealed=_unsealed(), broken_at=None, reason=None,
                        checkpoints=len(expected), latest_checkpoint=newest)  # fmt: skip


def _unsealed() -> int:
    return db.session.scalar(select(func.count()).where(AuditEvent.row_hash.is_(None))) or 0


def _broken(checked: int, seq: int, reason: str) -> Verification:
    return Verification(checked=checked, unsealed=_unsealed(), broken_at=seq, reason=reason)

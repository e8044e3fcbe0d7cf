"""audit: re-chain the trail with HMAC-SHA256 under AUDIT_KEY, and refuse TRUNCATE on PostgreSQL

The chain was plain SHA-256, which anyone who can write the database can recompute after a forgery.
Every sealed row is re-hashed, in chain order, as HMAC-SHA256(AUDIT_KEY, prev_hash + canonical row)
— the key comes from the settings of the process running the migration and is never stored. On
PostgreSQL the append-only trigger is switched off for the re-chain only (the migration runs as the
tables' owner) and a statement trigger now refuses TRUNCATE, which a row trigger never sees.

Revision ID: 0014_audit
Revises: 0013_throttle
Create Date: 2026-12-05 19:00:00

"""

import hashlib
import hmac
import json

import sqlalchemy as sa
from alembic import op
from flask import current_app

import app.db

revision = "0014_audit"
down_revision = "0013_throttle"
branch_labels = None
depends_on = None

REFUSE_TRUNCATE = """
CREATE OR REPLACE FUNCTION audit_events_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only (TRUNCATE refused)' USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""
TRUNCATE_TRIGGER = """
CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
FOR EACH STATEMENT EXECUTE FUNCTION audit_events_refuse_truncate()
"""

GENESIS = "0" * 64
_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer()),
    sa.column("occurred_at", app.db.UTCDateTime()),
    sa.column("actor_id", sa.Integer()),
    sa.column("actor_role", sa.String()),
    sa.column("patient_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("object_type", sa.String()),
    sa.column("object_id", sa.String()),
    sa.column("outcome", sa.String()),
    sa.column("ip", sa.String()),
    sa.column("subject", sa.String()),
    sa.column("chain_seq", sa.Integer()),
    sa.column("prev_hash", sa.String()),
    sa.column("row_hash", sa.String()),
)
_CANONICAL = ("id", "actor_id", "actor_role", "patient_id", "action", "object_type", "object_id", "outcome", "ip",
              "subject", "chain_seq")  # fmt: skip


def _canonical(row) -> bytes:
    # Frozen copy of app.audit.chain.canonical as of this revision.
    fields = {name: getattr(row, name) for name in _CANONICAL}
    fields["occurred_at"] = row.occurred_at.isoformat()
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def _rechain(digest) -> None:
    """Recompute prev_hash/row_hash of every sealed row in chain order with ``digest(prev, row)``."""
    bind = op.get_bind()
    postgres = bind.dialect.name == "postgresql"
    if postgres:
        op.execute("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only")
    prev, last_seq = GENESIS, 0
    while True:
        rows = bind.execute(
            sa.select(_events).where(_events.c.chain_seq > last_seq).order_by(_events.c.chain_seq).limit(5000)
        ).all()
        if not rows:
            break
        updates = []
        for row in rows:
            new_hash = digest(prev, row)
            updates.append({"b_id": row.id, "prev_hash": prev, "row_hash": new_hash})
            prev, last_seq = new_hash, row.chain_seq
        bind.execute(
            _events.update().where(_events.c.id == sa.bindparam("b_id"))
            .values(prev_hash=sa.bindparam("prev_hash"), row_hash=sa.bindparam("row_hash")),
            updates,
        )  # fmt: skip
    if postgres:
        op.execute("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only")


def upgrade() -> None:
    key = current_app.config["AUDIT_KEY"].encode()
    _rechain(lambda prev, row: hmac.new(key, prev.encode() + _canonical(row), hashlib.sha256).hexdigest())
    if op.get_bind().dialect.name == "postgresql":
        op.execute(REFUSE_TRUNCATE)
        op.execute(TRUNCATE_TRIGGER)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS audit_events_refuse_truncate()")
    _rechain(lambda prev, row: hashlib.sha256(prev.encode() + _canonical(row)).hexdigest())

"""throttle counters: failed sign-in, two-factor and sign-up attempts per account and per address,
shared by every worker when there is no Redis

Revision ID: 0013_throttle
Revises: 0012
Create Date: 2026-12-05 16:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0013_throttle"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "throttle_counters",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_throttle_counters")),
    )
    op.create_index(op.f("ix_throttle_counters_expires_at"), "throttle_counters", ["expires_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_throttle_counters_expires_at"), table_name="throttle_counters")
    op.drop_table("throttle_counters")

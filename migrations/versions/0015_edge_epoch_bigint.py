"""Unix times from Stripe in 64-bit columns: a 32-bit ``created`` (and the demo's period ends) stops at
2038-01-19T03:14:07Z, after which every event and subscription would overflow the column

Revision ID: 0015_edge
Revises: 0014_audit
Create Date: 2026-12-05 19:30:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0015_edge"
down_revision = "0014_audit"
branch_labels = None
depends_on = None

COLUMNS = {
    "stripe_events": ("created",),
    "memberships": ("subscription_created",),
    "demo_billing_subscriptions": ("created", "trial_end", "current_period_end", "canceled_at"),
}


def _alter(to: sa.types.TypeEngine, from_: sa.types.TypeEngine) -> None:
    for table, columns in COLUMNS.items():
        with op.batch_alter_table(table) as batch:
            for column in columns:
                batch.alter_column(column, type_=to, existing_type=from_)


def upgrade() -> None:
    _alter(sa.BigInteger(), sa.Integer())


def downgrade() -> None:
    _alter(sa.Integer(), sa.BigInteger())

"""patient date of birth: optional at sign-up, asked for before the first psychiatric evaluation, shown
(with the age) in the chart header

Revision ID: 0017_birth_date
Revises: 0016_notes
Create Date: 2026-12-06 03:10:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0017_birth_date"
down_revision = "0016_notes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("patient_profiles", sa.Column("date_of_birth", sa.Date(), nullable=True))


def downgrade() -> None:
    # SQLite drops a column by copying the table; batch mode does that and is a plain ALTER on PostgreSQL.
    with op.batch_alter_table("patient_profiles") as batch:
        batch.drop_column("date_of_birth")

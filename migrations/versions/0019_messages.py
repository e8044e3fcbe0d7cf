"""secure messaging: one thread per patient with the care team (messages) and a read receipt per
message and recipient (message_reads)

Revision ID: 0019_messages
Revises: 0018_task_history
Create Date: 2026-12-06 05:10:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0019_messages"
down_revision = "0018_task_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("sender_id", sa.Integer(), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("crisis", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("length(body) BETWEEN 1 AND 4000", name=op.f("ck_messages_body_length")),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_messages_patient_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"], ["users.id"], name=op.f("fk_messages_sender_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_messages")),
    )
    op.create_index("ix_messages_patient_id_created_at", "messages", ["patient_id", "created_at"], unique=False)
    op.create_table(
        "message_reads",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("reader_id", sa.Integer(), nullable=False),
        sa.Column("read_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"], ["messages.id"], name=op.f("fk_message_reads_message_id_messages"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["reader_id"], ["users.id"], name=op.f("fk_message_reads_reader_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("message_id", "reader_id", name=op.f("pk_message_reads")),
    )
    op.create_index(op.f("ix_message_reads_reader_id"), "message_reads", ["reader_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_message_reads_reader_id"), table_name="message_reads")
    op.drop_table("message_reads")
    op.drop_index("ix_messages_patient_id_created_at", table_name="messages")
    op.drop_table("messages")

"""staff invitations (single-use, expiring links; only the token's hash stored) and the visit changes a
clinician's departure makes (reassigned or cancelled, shown on the patient's dashboard)

Revision ID: 0020_invitations
Revises: 0019_messages
Create Date: 2026-12-06 05:20:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0020_invitations"
down_revision = "0019_messages"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("clinician", sa.JSON(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("invited_by", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(), nullable=False),
        sa.Column("expires_at", app.db.UTCDateTime(), nullable=False),
        sa.Column("used_at", app.db.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", app.db.UTCDateTime(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("role IN ('clinician', 'billing_admin', 'admin')", name=op.f("ck_invitations_role_staff")),
        sa.ForeignKeyConstraint(["invited_by"], ["users.id"], name=op.f("fk_invitations_invited_by_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_invitations_user_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitations")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_invitations_token_hash")),
    )  # fmt: skip
    op.create_index(op.f("ix_invitations_email"), "invitations", ["email"], unique=False)
    op.create_table(
        "visit_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("from_clinician_id", sa.Integer(), nullable=True),
        sa.Column("to_clinician_id", sa.Integer(), nullable=True),
        sa.Column("created_at", app.db.UTCDateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('reassigned', 'cancelled')", name=op.f("ck_visit_changes_kind_known")),
        sa.ForeignKeyConstraint(["appointment_id"], ["appointments.id"],
                                name=op.f("fk_visit_changes_appointment_id_appointments"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["patient_id"], ["users.id"], name=op.f("fk_visit_changes_patient_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["from_clinician_id"], ["users.id"],
                                name=op.f("fk_visit_changes_from_clinician_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["to_clinician_id"], ["users.id"],
                                name=op.f("fk_visit_changes_to_clinician_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_changes")),
    )  # fmt: skip
    op.create_index(op.f("ix_visit_changes_appointment_id"), "visit_changes", ["appointment_id"], unique=False)
    op.create_index(op.f("ix_visit_changes_patient_id"), "visit_changes", ["patient_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_visit_changes_patient_id"), table_name="visit_changes")
    op.drop_index(op.f("ix_visit_changes_appointment_id"), table_name="visit_changes")
    op.drop_table("visit_changes")
    op.drop_index(op.f("ix_invitations_email"), table_name="invitations")
    op.drop_table("invitations")

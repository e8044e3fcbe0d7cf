"""visit notes (draft, signed and locked, addenda, withheld under the harm exception) and psychotherapy
notes in a table of their own

A signed note is locked in the database too: a trigger refuses any change to its text, template,
visit, patient, status or signing time (withholding it from the patient stays possible), and addenda
are append-only. On SQLite and PostgreSQL alike.

Revision ID: 0016_notes
Revises: 0015_edge
Create Date: 2026-12-06 02:00:00

"""

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0016_notes"
down_revision = "0015_edge"
branch_labels = None
depends_on = None

LOCKED = ("status", "template", "sections", "appointment_id", "patient_id", "signed_at")

PG_FUNCTIONS = f"""
CREATE OR REPLACE FUNCTION visit_notes_signed_locked() RETURNS trigger AS $$
BEGIN
    IF OLD.status = 'signed' AND ({" OR ".join(f"NEW.{c}::text IS DISTINCT FROM OLD.{c}::text" for c in LOCKED)}) THEN
        RAISE EXCEPTION 'a signed visit note is locked' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE OR REPLACE FUNCTION visit_note_addenda_append_only() RETURNS trigger AS $$
BEGIN
    IF NEW.text IS DISTINCT FROM OLD.text OR NEW.note_id IS DISTINCT FROM OLD.note_id
       OR NEW.signed_at IS DISTINCT FROM OLD.signed_at THEN
        RAISE EXCEPTION 'addenda are append-only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGERS = """
CREATE TRIGGER visit_notes_signed_locked BEFORE UPDATE ON visit_notes
FOR EACH ROW EXECUTE FUNCTION visit_notes_signed_locked();
CREATE TRIGGER visit_note_addenda_append_only BEFORE UPDATE ON visit_note_addenda
FOR EACH ROW EXECUTE FUNCTION visit_note_addenda_append_only()
"""
SQLITE_TRIGGERS = (
    "CREATE TRIGGER visit_notes_signed_locked BEFORE UPDATE ON visit_notes FOR EACH ROW "
    f"WHEN OLD.status = 'signed' AND ({' OR '.join(f'NEW.{c} IS NOT OLD.{c}' for c in LOCKED)}) "
    "BEGIN SELECT RAISE(ABORT, 'a signed visit note is locked'); END",
    "CREATE TRIGGER visit_note_addenda_append_only BEFORE UPDATE ON visit_note_addenda FOR EACH ROW "
    "WHEN NEW.text IS NOT OLD.text OR NEW.note_id IS NOT OLD.note_id OR NEW.signed_at IS NOT OLD.signed_at "
    "BEGIN SELECT RAISE(ABORT, 'addenda are append-only'); END",
)


def upgrade() -> None:
    op.create_table(
        "visit_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=40), nullable=False),
        sa.Column("sections", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("signed_by", sa.Integer(), nullable=True),
        sa.Column("withheld_at", app.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("withheld_by", sa.Integer(), nullable=True),
        sa.Column("withheld_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('draft', 'signed')", name=op.f("ck_visit_notes_status_known")),
        sa.CheckConstraint("status = 'draft' OR signed_at IS NOT NULL", name=op.f("ck_visit_notes_signed_has_time")),
        sa.CheckConstraint(
            "withheld_at IS NULL OR status = 'signed'", name=op.f("ck_visit_notes_withheld_only_signed")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_visit_notes_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_visit_notes_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_visit_notes_patient_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["signed_by"], ["users.id"], name=op.f("fk_visit_notes_signed_by_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["withheld_by"], ["users.id"], name=op.f("fk_visit_notes_withheld_by_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_notes")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_visit_notes_appointment_id")),
    )
    with op.batch_alter_table("visit_notes") as batch:
        batch.create_index("ix_visit_notes_author_id_status", ["author_id", "status"], unique=False)
        batch.create_index("ix_visit_notes_patient_id_created_at", ["patient_id", "created_at"], unique=False)

    op.create_table(
        "visit_note_addenda",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("note_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("signed_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_visit_note_addenda_author_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["note_id"],
            ["visit_notes.id"],
            name=op.f("fk_visit_note_addenda_note_id_visit_notes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_note_addenda")),
    )
    with op.batch_alter_table("visit_note_addenda") as batch:
        batch.create_index(batch.f("ix_visit_note_addenda_note_id"), ["note_id"], unique=False)

    op.create_table(
        "psychotherapy_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("patient_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_psychotherapy_notes_appointment_id_appointments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_psychotherapy_notes_author_id_users"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["users.id"], name=op.f("fk_psychotherapy_notes_patient_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_psychotherapy_notes")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_psychotherapy_notes_appointment_id")),
    )
    with op.batch_alter_table("psychotherapy_notes") as batch:
        batch.create_index(batch.f("ix_psychotherapy_notes_author_id"), ["author_id"], unique=False)
        batch.create_index(batch.f("ix_psychotherapy_notes_patient_id"), ["patient_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTIONS)
        op.execute(PG_TRIGGERS)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    is_pg = op.get_bind().dialect.name == "postgresql"
    for table, trigger in (("visit_notes", "visit_notes_signed_locked"),
                           ("visit_note_addenda", "visit_note_addenda_append_only")):  # fmt: skip
        op.execute(f"DROP TRIGGER IF EXISTS {trigger}" + (f" ON {table}" if is_pg else ""))
    if is_pg:
        op.execute("DROP FUNCTION IF EXISTS visit_notes_signed_locked()")
        op.execute("DROP FUNCTION IF EXISTS visit_note_addenda_append_only()")
    with op.batch_alter_table("psychotherapy_notes") as batch:
        batch.drop_index(batch.f("ix_psychotherapy_notes_patient_id"))
        batch.drop_index(batch.f("ix_psychotherapy_notes_author_id"))
    op.drop_table("psychotherapy_notes")
    with op.batch_alter_table("visit_note_addenda") as batch:
        batch.drop_index(batch.f("ix_visit_note_addenda_note_id"))
    op.drop_table("visit_note_addenda")
    with op.batch_alter_table("visit_notes") as batch:
        batch.drop_index("ix_visit_notes_patient_id_created_at")
        batch.drop_index("ix_visit_notes_author_id_status")
    op.drop_table("visit_notes")

"""schedule stamps: a random value per clinician that triggers change with every appointment or
availability change, so open-slot caches know when their data is stale

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 12:00:00

"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

TABLES = ("appointments", "clinician_availability")

# PostgreSQL: statement-level triggers with transition tables, so a bulk statement (or COPY of a
# million rows) writes one stamp per clinician it touched, not one per row. Clinicians are stamped
# in id order, so two bulk statements cannot deadlock on each other's stamps. One function per event,
# because each event has its own transition tables (inserts no old rows, deletes no new ones).
PG_EVENTS = {
    "insert": ("REFERENCING NEW TABLE AS new_rows", "SELECT DISTINCT clinician_id FROM new_rows"),
    "update": (
        "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
        "SELECT clinician_id FROM new_rows UNION SELECT clinician_id FROM old_rows",
    ),
    "delete": ("REFERENCING OLD TABLE AS old_rows", "SELECT DISTINCT clinician_id FROM old_rows"),
}
PG_FUNCTION = """
CREATE FUNCTION stamp_schedules_{event}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO schedule_stamps (clinician_id, stamp)
    SELECT clinician_id, floor(random() * 9.0e18)::bigint
    FROM ({touched}) AS touched
    ORDER BY clinician_id
    ON CONFLICT (clinician_id) DO UPDATE SET stamp = EXCLUDED.stamp;
    RETURN NULL;
END $$
"""


def upgrade():
    op.create_table(
        "schedule_stamps",
        sa.Column("clinician_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("stamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("clinician_id", name=op.f("pk_schedule_stamps")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for event, (transition, touched) in PG_EVENTS.items():
            op.execute(PG_FUNCTION.format(event=event, touched=touched))
            for table in TABLES:
                op.execute(
                    f"CREATE TRIGGER stamp_{table}_{event} AFTER {event.upper()} ON {table} "
                    f"{transition} FOR EACH STATEMENT EXECUTE FUNCTION stamp_schedules_{event}()"
                )
    else:
        # SQLite has row-level triggers only; random() is a 64-bit integer there.
        for table in TABLES:
            for event, rows in (("insert", ("NEW",)), ("update", ("OLD", "NEW")), ("delete", ("OLD",))):
                stamps = " ".join(
                    f"INSERT INTO schedule_stamps (clinician_id, stamp) VALUES ({row}.clinician_id, random()) "
                    "ON CONFLICT (clinician_id) DO UPDATE SET stamp = excluded.stamp;"
                    for row in rows
                )
                op.execute(
                    f"CREATE TRIGGER stamp_{table}_{event} AFTER {event.upper()} ON {table} "
                    f"FOR EACH ROW BEGIN {stamps} END"
                )


def downgrade():
    is_pg = op.get_bind().dialect.name == "postgresql"
    for table in TABLES:
        for event in PG_EVENTS:
            op.execute(f"DROP TRIGGER stamp_{table}_{event}" + (f" ON {table}" if is_pg else ""))
    if is_pg:
        for event in PG_EVENTS:
            op.execute(f"DROP FUNCTION stamp_schedules_{event}()")
    op.drop_table("schedule_stamps")

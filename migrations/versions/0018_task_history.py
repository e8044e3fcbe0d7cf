"""task history: one row per event of a care task (opened, a repeat positive PHQ-9 item 9 with that
check-in and its score, done; who), and the database's rule that a patient has at most one open
same-day safety task per owner (a partial unique index, on SQLite and PostgreSQL alike)

Existing rows are carried over:
* a task whose title is the safety task's (urgent) becomes ``kind = 'safety'``;
* the repeats its title listed (" · again 2026-12-05 14:03 UTC, …", minutes in UTC) become
  ``repeat_positive_screen`` rows, each matched to the positive PHQ-9 the patient answered in that minute
  (its id, score and who entered it; the time alone when none matches), and the title is the plain
  safety title again. Repeats the title had already dropped to stay within 300 characters are not known;
* every task gets its ``opened`` row at its creation time (a safety task with the check-in that opened it,
  found by the same instant; who opened other tasks was not recorded, so the row names no one);
* a task marked done gets its ``done`` row from the audit trail (``task.complete``: who and when);
* should a patient have two open safety tasks for one owner (the race this index closes), the oldest
  keeps the kind and the others stay open as plain urgent tasks, so nothing a clinician must see is
  closed by a migration.

Downgrade writes the repeats back into the titles (newest kept within 300 characters) and drops the rest.

Revision ID: 0018_task_history
Revises: 0017_birth_date
Create Date: 2026-12-06 05:10:00

"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

import app.db

revision = "0018_task_history"
down_revision = "0017_birth_date"
branch_labels = None
depends_on = None

TITLE = "Same-day safety follow-up: PHQ-9 item 9 was answered above 0"
AGAIN = " · again "
OPEN_SAFETY_WHERE = "kind = 'safety' AND status = 'open'"
INDEX = "uq_care_tasks_open_safety"

tasks = sa.table(
    "care_tasks",
    sa.column("id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("owner_id", sa.Integer),
    sa.column("title", sa.String),
    sa.column("urgent", sa.Boolean),
    sa.column("status", sa.String),
    sa.column("kind", sa.String),
    sa.column("created_at", app.db.UTCDateTime(timezone=True)),
)
events = sa.table(
    "care_task_events",
    sa.column("task_id", sa.Integer),
    sa.column("kind", sa.String),
    sa.column("at", app.db.UTCDateTime(timezone=True)),
    sa.column("actor_id", sa.Integer),
    sa.column("assessment_id", sa.Integer),
    sa.column("score", sa.SmallInteger),
)
assessments = sa.table(
    "assessments",
    sa.column("id", sa.Integer),
    sa.column("patient_id", sa.Integer),
    sa.column("instrument", sa.String),
    sa.column("score", sa.SmallInteger),
    sa.column("item9", sa.SmallInteger),
    sa.column("entered_by", sa.Integer),
    sa.column("created_at", app.db.UTCDateTime(timezone=True)),
)
audit = sa.table(
    "audit_events",
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("actor_id", sa.Integer),
    sa.column("occurred_at", app.db.UTCDateTime(timezone=True)),
)


def upgrade() -> None:
    op.add_column("care_tasks", sa.Column("kind", sa.String(length=20), nullable=True))
    op.create_table(
        "care_task_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("at", app.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("score", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["task_id"], ["care_tasks.id"], name=op.f("fk_care_task_events_task_id_care_tasks"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_care_task_events_actor_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["assessments.id"],
            name=op.f("fk_care_task_events_assessment_id_assessments"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_task_events")),
    )
    op.create_index(op.f("ix_care_task_events_task_id"), "care_task_events", ["task_id"], unique=False)
    _carry_over(op.get_bind())
    op.create_index(
        INDEX,
        "care_tasks",
        ["patient_id", "owner_id"],
        unique=True,
        sqlite_where=sa.text(OPEN_SAFETY_WHERE),
        postgresql_where=sa.text(OPEN_SAFETY_WHERE),
    )


def _stamps(title: str) -> list[datetime]:
    """The repeat times a safety title listed ("2026-12-05 14:03 UTC, …"), oldest first; unreadable ones skipped."""
    _, _, again = title.partition(AGAIN)
    found = []
    for part in again.split(", "):
        try:
            found.append(datetime.strptime(part.strip(), "%Y-%m-%d %H:%M UTC").replace(tzinfo=UTC))
        except ValueError:
            continue
    return found


def _carry_over(conn: sa.Connection) -> None:
    is_safety = sa.and_(
        tasks.c.urgent.is_(True), sa.or_(tasks.c.title == TITLE, tasks.c.title.startswith(TITLE + AGAIN))
    )
    conn.execute(tasks.update().where(is_safety).values(kind="safety"))
    rows = conn.execute(
        sa.select(tasks.c.id, tasks.c.patient_id, tasks.c.owner_id, tasks.c.title, tasks.c.status, tasks.c.kind,
                  tasks.c.created_at).order_by(tasks.c.id)
    ).all()  # fmt: skip
    completed = {
        int(r.object_id): r
        for r in conn.execute(
            sa.select(audit.c.object_id, audit.c.actor_id, audit.c.occurred_at)
            .where(audit.c.action == "task.complete", audit.c.object_type == "task")
            .order_by(audit.c.occurred_at)
        )
        if r.object_id and r.object_id.isdigit()
    }
    new_events: list[dict] = []
    kept_open: set[tuple[int, int]] = set()
    for t in rows:
        opened = {"task_id": t.id, "kind": "opened", "at": t.created_at, "actor_id": None, "assessment_id": None,
                  "score": None}  # fmt: skip
        if t.kind == "safety":
            screens = _positive_screens(conn, t.patient_id, t.created_at)
            first = next((s for s in screens if s.created_at == t.created_at), None)
            if first is not None:
                opened |= {"actor_id": first.entered_by, "assessment_id": first.id, "score": first.score}
            new_events.append(opened)
            used = {first.id} if first is not None else set()
            for stamp in _stamps(t.title):
                match = next(
                    (s for s in screens if s.id not in used and stamp <= s.created_at < stamp + timedelta(minutes=1)),
                    None,
                )
                row = {"task_id": t.id, "kind": "repeat_positive_screen", "at": stamp, "actor_id": None,
                       "assessment_id": None, "score": None}  # fmt: skip
                if match is not None:
                    used.add(match.id)
                    row |= {"at": match.created_at, "actor_id": match.entered_by, "assessment_id": match.id,
                            "score": match.score}  # fmt: skip
                new_events.append(row)
            values: dict = {"title": TITLE}
            if t.status == "open":
                if (t.patient_id, t.owner_id) in kept_open:
                    values["kind"] = None  # a second open one from the race: stays open, as a plain urgent task
                kept_open.add((t.patient_id, t.owner_id))
            conn.execute(tasks.update().where(tasks.c.id == t.id).values(**values))
        else:
            new_events.append(opened)
        done = completed.get(t.id)
        if t.status == "done" and done is not None:
            new_events.append({"task_id": t.id, "kind": "done", "at": done.occurred_at, "actor_id": done.actor_id,
                               "assessment_id": None, "score": None})  # fmt: skip
    if new_events:
        conn.execute(events.insert(), new_events)


def _positive_screens(conn: sa.Connection, patient_id: int, since: datetime) -> list:
    return list(
        conn.execute(
            sa.select(assessments.c.id, assessments.c.score, assessments.c.entered_by, assessments.c.created_at)
            .where(
                assessments.c.patient_id == patient_id,
                assessments.c.instrument == "PHQ-9",
                assessments.c.item9 > 0,
                assessments.c.created_at >= since,
            )
            .order_by(assessments.c.created_at, assessments.c.id)
        )
    )


def downgrade() -> None:
    conn = op.get_bind()
    repeats: dict[int, list[datetime]] = {}
    for r in conn.execute(
        sa.select(events.c.task_id, events.c.at)
        .where(events.c.kind == "repeat_positive_screen")
        .order_by(events.c.at)
    ):
        repeats.setdefault(r.task_id, []).append(r.at)
    for task_id, times in repeats.items():
        stamps = [f"{at:%Y-%m-%d %H:%M} UTC" for at in times]
        while stamps and len(TITLE + AGAIN + ", ".join(stamps)) > 300:
            stamps = stamps[1:]
        conn.execute(tasks.update().where(tasks.c.id == task_id).values(title=TITLE + AGAIN + ", ".join(stamps)))
    op.drop_index(INDEX, table_name="care_tasks")
    op.drop_index(op.f("ix_care_task_events_task_id"), table_name="care_task_events")
    op.drop_table("care_task_events")
    # SQLite drops a column by copying the table; batch mode does that and is a plain ALTER on PostgreSQL.
    with op.batch_alter_table("care_tasks") as batch:
        batch.drop_column("kind")

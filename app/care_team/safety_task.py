"""The same-day safety task: one per patient and owner while it is open, held by the database.

A PHQ-9 with item 9 above 0 gives every clinician on the patient's care team an urgent task due within
four hours. While that owner's task is open, a new positive answer adds a row to the task's history
(``repeat_positive_screen``, with the check-in and its score, and an audit row ``task.safety_repeat``)
instead of a second task.

The rule is the partial unique index ``uq_care_tasks_open_safety`` (``care_team/task.py``), not a read
before a write: each owner's task is written with ``INSERT … ON CONFLICT (patient_id, owner_id) WHERE
<open safety> DO NOTHING`` (the same statement on SQLite and PostgreSQL). When the insert is skipped the
open task is read ``FOR UPDATE`` and the screen added to it; on PostgreSQL a concurrent check-in's insert
waits for the first one's commit, then finds its task. Should the open task be closed meanwhile (the lock
re-reads it as done), the loop inserts a new one. Owners are taken in id order so two check-ins never
wait on each other crosswise. Runs inside the caller's transaction (``service.add_assessment``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite

from app.accounts.user import User
from app.audit import service as audit
from app.care_team.assessment import Assessment
from app.care_team.measures import Instrument
from app.care_team.member import CareTeamMember
from app.care_team.task import OPEN_SAFETY_WHERE, Task, TaskEvent, TaskEventKind, TaskKind, TaskStatus
from app.errors import Conflict
from app.extensions import db

TITLE = f"Same-day safety follow-up: {Instrument.PHQ9} item 9 was answered above 0"
DUE_WITHIN = timedelta(hours=4)
_ATTEMPTS = 5  # each retry needs the open task to be closed between two statements: twice is already rare


@dataclass(frozen=True)
class Trigger:
    """What calls for the same-day safety follow-up: a positive PHQ-9 item 9 (the check-in and its score
    go into the history) or a patient's message in crisis words (no score; the title says why when it
    opens the task). Either one while the owner's safety task is open adds to its history."""

    patient_id: int
    title: str
    repeat: TaskEventKind
    assessment_id: int | None = None
    score: int | None = None

    @classmethod
    def positive_screen(cls, screen: Assessment) -> Trigger:
        return cls(screen.patient_id, TITLE, TaskEventKind.REPEAT_POSITIVE_SCREEN, screen.id, screen.score)

    @classmethod
    def crisis_message(cls, patient_id: int, title: str) -> Trigger:
        return cls(patient_id, title, TaskEventKind.CRISIS_MESSAGE)


def open_or_add(user: User, screen: Assessment, now: datetime) -> list[Task]:
    """The safety task of every team member for this positive ``screen``: opened, or added to. Returns
    the tasks that were added to (each has a new ``repeat_positive_screen`` row)."""
    return open_or_add_for(user, Trigger.positive_screen(screen), now)


def open_or_add_for(user: User, trigger: Trigger, now: datetime) -> list[Task]:
    """The safety task of every team member for ``trigger``: opened, or added to (returned)."""
    repeated: list[Task] = []
    owners = db.session.scalars(
        select(CareTeamMember.clinician_id)
        .where(CareTeamMember.patient_id == trigger.patient_id)
        .order_by(CareTeamMember.clinician_id)
    ).all()
    for owner_id in owners:
        task = _open_or_add_one(user, trigger, owner_id, now)
        if task is not None:
            repeated.append(task)
    return repeated


def _open_or_add_one(user: User, screen: Trigger, owner_id: int, now: datetime) -> Task | None:
    for _ in range(_ATTEMPTS):
        task_id = _insert(screen.patient_id, owner_id, now, screen.title)
        if task_id is not None:
            db.session.add(_event(task_id, TaskEventKind.OPENED, user, screen, now))
            return None
        task: Task | None = db.session.scalar(
            select(Task)
            .where(
                Task.patient_id == screen.patient_id,
                Task.owner_id == owner_id,
                Task.kind == TaskKind.SAFETY,
                Task.status == TaskStatus.OPEN,
            )
            .with_for_update()
            .execution_options(populate_existing=True)
        )
        if task is not None:
            db.session.add(_event(task.id, screen.repeat, user, screen, now))
            audit.record(
                "task.safety_repeat", actor=user, patient_id=screen.patient_id, object_type="task", object_id=task.id
            )
            return task
    raise Conflict("The care team's safety task changed while this was saved; please send it again.")


def _insert(patient_id: int, owner_id: int, now: datetime, title: str) -> int | None:
    """``INSERT … ON CONFLICT DO NOTHING RETURNING id`` for the open safety task (both dialects): its id,
    or None when this owner's open safety task exists already."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(Task)
        .values(
            patient_id=patient_id,
            owner_id=owner_id,
            title=title,
            urgent=True,
            status=TaskStatus.OPEN.value,
            kind=TaskKind.SAFETY.value,
            due_at=now + DUE_WITHIN,
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=["patient_id", "owner_id"], index_where=text(OPEN_SAFETY_WHERE))
        .returning(Task.id)
    )
    task_id: int | None = db.session.scalar(statement)
    return task_id


def _event(task_id: int, kind: TaskEventKind, user: User, screen: Trigger, now: datetime) -> TaskEvent:
    return TaskEvent(
        task_id=task_id,
        kind=kind.value,
        at=now,
        actor_id=user.id,
        assessment_id=screen.assessment_id,
        score=screen.score,
    )

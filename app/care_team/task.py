"""A care-team task and its history (``care_tasks`` and ``care_task_events``: the event rows belong to
their task, so both tables live here and the mypy baseline for ``db.Model`` does not grow).

The same-day safety task (``kind == "safety"``) is one per patient and owner while it is open: the
database holds it with a partial unique index (``uq_care_tasks_open_safety``, on SQLite and
PostgreSQL alike), and ``care_team.safety_task`` inserts or adds to the open one's history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, ForeignKey, Index, SmallInteger, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db

if TYPE_CHECKING:
    from app.accounts.user import User


class TaskStatus(StrEnum):
    """A care-team task's status (the column stores these strings)."""

    OPEN = "open"
    DONE = "done"


class TaskKind(StrEnum):
    """What opened a task, when the database must know it (the column is null for any other task)."""

    SAFETY = "safety"  # the same-day follow-up after a PHQ-9 with item 9 above 0


class TaskEventKind(StrEnum):
    """One row of a task's history (the column stores these strings)."""

    OPENED = "opened"
    REPEAT_POSITIVE_SCREEN = "repeat_positive_screen"  # another PHQ-9 with item 9 above 0 while it was open
    CRISIS_MESSAGE = "crisis_message"  # the patient wrote a message in crisis words while it was open
    DONE = "done"


# The predicate of the partial unique index, written once for the model, the migration and ON CONFLICT.
OPEN_SAFETY_WHERE = f"kind = '{TaskKind.SAFETY}' AND status = '{TaskStatus.OPEN}'"


class Task(db.Model):
    __tablename__ = "care_tasks"
    __table_args__ = (
        Index(
            "uq_care_tasks_open_safety",
            "patient_id",
            "owner_id",
            unique=True,
            sqlite_where=text(OPEN_SAFETY_WHERE),
            postgresql_where=text(OPEN_SAFETY_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(20), default=TaskStatus.OPEN.value)
    kind: Mapped[str | None] = mapped_column(String(20))
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set by automatic follow-ups so a job that runs twice opens a task once.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    # In the order they were recorded (the "opened" row first: of simultaneous check-ins, the one whose
    # insert won may have been answered a moment after another that became a repeat). Not loaded unless
    # asked for (``selectinload(Task.events)`` where a list shows it).
    events: Mapped[list[TaskEvent]] = relationship(
        order_by="TaskEvent.id", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_safety(self) -> bool:
        return self.kind == TaskKind.SAFETY

    def count_of(self, kind: TaskEventKind) -> int:
        """How many rows of ``kind`` its history has (``events`` must be loaded: the lists that show it do)."""
        return sum(1 for event in self.events if event.kind == kind)


class TaskEvent(db.Model):
    """One event in a task's history: opened, a repeat positive screen (with that check-in and its
    score), done; ``actor_id`` is who did it (the patient for a screen they answered; null when no
    longer known, e.g. rows carried over from titles by migration 0018)."""

    __tablename__ = "care_task_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("care_tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    assessment_id: Mapped[int | None] = mapped_column(ForeignKey("assessments.id", ondelete="SET NULL"))
    score: Mapped[int | None] = mapped_column(SmallInteger)
    actor: Mapped[User | None] = relationship(lazy="raise")  # loaded with the events where a list shows them


def opened(actor_id: int | None, at: datetime) -> TaskEvent:
    """The first row of a new task's history: ``Task(..., events=[opened(user.id, now)])``."""
    return TaskEvent(kind=TaskEventKind.OPENED.value, at=at, actor_id=actor_id)

"""Handoff notes that mention a teammate, and the tasks that come of them.

* A note mentions a teammate by writing ``@`` and their name (the full name, or the first name when
  only one teammate has it; case does not matter) or by choosing them in the note form's "notify"
  list. Every mentioned teammate other than the author gets an open task pointing at the note.
  Choosing someone in "notify" adds "@Name" to the end of the note, so the note itself shows who
  was told.
* Notes render with the mentions highlighted (``<mark class="mention">``) and everything else
  escaped; mentions are resolved against the patient's current team.
* A task is closed by its owner or by any clinician on that patient's team; anyone else is told it
  does not exist (404).
* A teammate creates a task by hand for a teammate (``create_task``): the owner is on the patient's
  care team, never a stranger or another patient (422).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.accounts.user import User
from app.audit import service as audit
from app.care_team import access
from app.care_team.member import CareTeamMember
from app.care_team.note import HandoffNote
from app.care_team.task import Task, TaskEvent, TaskEventKind, TaskStatus, opened
from app.db import utcnow
from app.errors import Conflict, Invalid
from app.extensions import db
from app.validation import parse_db_id

_WORD_END = re.compile(r"(?![\w-])")

# A task list shows each task's history with who did what: one more query for all the listed tasks.
WITH_HISTORY = selectinload(Task.events).joinedload(TaskEvent.actor)


@dataclass(frozen=True)
class Mention:
    start: int  # index of the "@"
    end: int
    user_id: int


_HONORIFIC = re.compile(r"^(dr|mr|mrs|ms|mx|prof)\.?\s+", re.I)


def _name_forms(name: str) -> list[str]:
    """ "Dr. Maya Chen, MD" -> ["dr. maya chen, md", "dr. maya chen", "maya chen"] (lower case)."""
    full = " ".join(name.split()).casefold()
    base = full.split(",")[0].strip()
    core = _HONORIFIC.sub("", base).strip()
    return [form for form in dict.fromkeys((full, base, core)) if form]


def _aliases(members: Sequence[tuple[int, str]]) -> list[tuple[str, int]]:
    """(lower-case alias, user id), longest first: the full name, the name without credentials or
    title, and the first name when no other teammate has it."""
    aliases: list[tuple[str, int]] = []
    firsts: dict[str, set[int]] = {}
    for uid, name in members:
        forms = _name_forms(name)
        aliases += [(form, uid) for form in forms]
        if forms:
            firsts.setdefault(forms[-1].split()[0], set()).add(uid)
    aliases += [(first, next(iter(ids))) for first, ids in firsts.items() if len(ids) == 1 and len(first) > 1]
    return sorted(set(aliases), key=lambda a: (-len(a[0]), a[0]))


def find_mentions(body: str, members: Sequence[tuple[int, str]]) -> list[Mention]:
    """Every ``@Name`` in ``body`` that names one of ``members`` ((user id, name) pairs)."""
    aliases = _aliases(members)
    folded = body.casefold()
    found: list[Mention] = []
    for at in (m.start() for m in re.finditer("@", body)):
        if at > 0 and (body[at - 1].isalnum() or body[at - 1] in "._-"):
            continue  # an e-mail address, not a mention
        for alias, uid in aliases:
            end = at + 1 + len(alias)
            if folded.startswith(alias, at + 1) and _WORD_END.match(folded, end):
                found.append(Mention(at, end, uid))
                break
    return found


def render_note(body: str, members: Sequence[tuple[int, str]]) -> Markup:
    """The note as HTML: escaped text, mentions in ``<mark class="mention">``, line breaks kept."""
    out, pos = [], 0
    for m in find_mentions(body, members):
        out.append(escape(body[pos : m.start]))
        out.append(Markup('<mark class="mention">{}</mark>').format(body[m.start : m.end]))
        pos = m.end
    out.append(escape(body[pos:]))
    return Markup("<br>").join(Markup("").join(out).split("\n"))


def ids(values: Iterable[str]) -> list[int]:
    """Form values to user ids, ignoring anything that is not one (a whole number a column can hold)."""
    return [n for n in map(parse_db_id, values) if n is not None]


def told_text(told: Sequence[User]) -> str:
    return f" {', '.join(m.name for m in told)} will see it in their tasks." if told else ""


def team_members(patient_id: int) -> list[User]:
    """The patient's care team by name, each with their clinician profile (one query; the profile's
    licences, languages and modalities stay unloaded)."""
    return list(
        db.session.scalars(
            select(User)
            .join(CareTeamMember, CareTeamMember.clinician_id == User.id)
            .where(CareTeamMember.patient_id == patient_id)
            .options(joinedload(User.clinician).lazyload("*"))
            .order_by(User.name)
        )
    )


def add_note(
    user: User, patient_id: int, body: str, notify: Iterable[int] = (), now: datetime | None = None
) -> tuple[HandoffNote, list[User]]:
    """Save a handoff note; each teammate it mentions (``@Name`` or ``notify``), other than the
    author, gets an open task. Returns the note and who was told. ``notify`` ids that are not on
    the team are ignored."""
    now = now or utcnow()
    access.team_only(user, patient_id)
    members = team_members(patient_id)
    by_id = {m.id: m for m in members}
    pairs = [(m.id, m.name) for m in members]
    mentioned = {m.user_id for m in find_mentions(body, pairs)}
    extra = [uid for uid in dict.fromkeys(notify) if uid in by_id and uid not in mentioned]
    if extra:
        body = body.rstrip() + "\n" + " ".join("@" + by_id[uid].name for uid in extra)
        mentioned |= set(extra)
    note = HandoffNote(patient_id=patient_id, author_id=user.id, body=body, created_at=now)
    db.session.add(note)
    db.session.flush()
    told = [by_id[uid] for uid in sorted(mentioned, key=lambda i: by_id[i].name) if uid != user.id]
    excerpt = " ".join(body.split())
    excerpt = excerpt if len(excerpt) <= 120 else excerpt[:119] + "…"
    for member in told:
        db.session.add(
            Task(
                patient_id=patient_id,
                owner_id=member.id,
                title=f"{user.name} mentioned you in a handoff note: {excerpt}"[:300],
                created_at=now,
                events=[opened(user.id, now)],
            )
        )
    audit.record("note.create", actor=user, patient_id=patient_id, object_type="note", object_id=note.id)
    db.session.commit()
    return note, told


def create_task(
    user: User,
    patient_id: int,
    title: str,
    owner_id: int,
    due: date | None = None,
    urgent: bool = False,
    now: datetime | None = None,
) -> Task:
    """A team member opens a task about the patient for a teammate (themselves included). The owner
    is on the patient's care team (422 otherwise); ``due`` is a day, due at its end in the creator's
    time zone."""
    now = now or utcnow()
    access.team_only(user, patient_id)  # 403 for the patient, 404 for strangers
    if not access.on_team(owner_id, patient_id):
        raise Invalid({"owner_id": "must be a clinician on this patient's care team"})
    due_at = None
    if due is not None:
        due_at = datetime.combine(due, time(23, 59), ZoneInfo(user.timezone or "UTC"))
    task = Task(
        patient_id=patient_id,
        owner_id=owner_id,
        title=title,
        urgent=urgent,
        due_at=due_at,
        created_at=now,
        events=[opened(user.id, now)],
    )
    db.session.add(task)
    db.session.flush()
    audit.record("task.create", actor=user, patient_id=patient_id, object_type="task", object_id=task.id)
    db.session.commit()
    return task


def complete_task(user: User, task_id: int, now: datetime | None = None) -> Task:
    """Mark a task done: its owner or a clinician on the patient's team; 404 for anyone else. The row is
    locked first, so a positive check-in adding to a safety task waits and then sees it done (and opens
    a new one), and two clicks on "Mark done" record one ``done``."""
    now = now or utcnow()
    task = access.task_for(user, task_id)
    db.session.refresh(task, with_for_update=True)
    if task.status != TaskStatus.OPEN:
        raise Conflict("This task is already done.")
    task.status = TaskStatus.DONE
    db.session.add(TaskEvent(task_id=task.id, kind=TaskEventKind.DONE.value, at=now, actor_id=user.id))
    audit.record("task.complete", actor=user, patient_id=task.patient_id, object_type="task", object_id=task.id)
    db.session.commit()
    return task


def my_open_tasks(user: User) -> list[tuple[Task, User, User]]:
    """The user's open tasks, urgent first then by due date (no due date last), with patient and owner."""
    patient, owner = aliased(User), aliased(User)
    rows = db.session.execute(
        select(Task, patient, owner)
        .join(patient, patient.id == Task.patient_id)
        .join(owner, owner.id == Task.owner_id)
        .where(Task.owner_id == user.id, Task.status == TaskStatus.OPEN)
        .order_by(Task.urgent.desc(), Task.due_at.is_(None), Task.due_at, Task.created_at)
        .options(WITH_HISTORY)
    ).all()
    return [(task, patient, owner) for task, patient, owner in rows]


def patient_open_tasks(user: User, patient_id: int) -> list[tuple[Task, None, User]]:
    """Open tasks about one patient with their history, for the team (403 for the patient, 404 for
    strangers): (task, None, owner), the shape of ``my_open_tasks`` without the patient. One access
    check, one audit row (a safety task's history holds check-in scores), one commit."""
    access.team_only(user, patient_id)
    rows = open_tasks_about(patient_id)
    audit.record("task.read", actor=user, patient_id=patient_id, object_type="task")
    audit.commit_keeping_loaded()
    return rows


def open_tasks_about(patient_id: int) -> list[tuple[Task, None, User]]:
    """``patient_open_tasks`` for a caller that decided access already."""
    rows = db.session.execute(
        select(Task, User)
        .join(User, User.id == Task.owner_id)
        .where(Task.patient_id == patient_id, Task.status == TaskStatus.OPEN)
        .order_by(Task.urgent.desc(), Task.due_at.is_(None), Task.due_at, Task.created_at)
        .options(WITH_HISTORY)
    ).all()
    return [(task, None, owner) for task, owner in rows]

"""Secure messaging use cases: one thread per patient with their care team.

Who: the patient and the clinicians on their team read and write; a clinician holding a live
emergency grant (break the glass) reads the thread as they read the rest of the chart, audited the
same way, but neither writes nor leaves read receipts; everyone else (other patients, other
clinicians, billing admins and admins) is told the thread does not exist (404), as for every other
part of the record (``care_team.access.grant``).

Every read of a thread writes an audit row (``message.read``): it appears in the trail and in the
patient's "who viewed my record". Opening the thread marks what the reader had not read yet (a read
receipt per message and recipient: the patient and each team member, never the sender).

A patient's message in crisis words (``app.reference.crisis``, the intake's rule) opens the same-day
safety task for every team member (``care_team.service.safety_task_for_each_member``, as a positive
PHQ-9 item 9 does); the caller shows 988 and 911 at once. The message is still delivered: nothing is
ever held back or queued silently. A team member's message is announced to the patient by a text with
no content (``messaging.texts``); staff have no texting, so the team learns of a patient's message from
the inbox, the dashboard and the caseload.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, or_, select

from app.accounts.queries import names_by_id
from app.accounts.user import User
from app.audit import service as audit
from app.care_team import access, handoff
from app.care_team import service as care
from app.care_team.member import CareTeamMember
from app.db import insert_skipping_existing, utcnow
from app.errors import Invalid
from app.extensions import db
from app.messaging import texts
from app.messaging.message import BODY_MAX, Message, MessageRead
from app.reference.crisis import words_of_crisis

CRISIS_TASK = "Same-day safety follow-up: a message from the patient used crisis words"


@dataclass(frozen=True)
class Receipt:
    reader_id: int
    name: str
    read_at: datetime


@dataclass(frozen=True)
class ThreadMessage:
    message: Message
    sender_name: str
    from_patient: bool
    receipts: list[Receipt]


@dataclass(frozen=True)
class Thread:
    """What the thread page (and the API) shows, by the names the template reads."""

    patient: User
    messages: list[ThreadMessage]
    team: list[User]
    is_patient: bool
    can_write: bool  # the patient and current team members; not a break-glass reader
    emergency: bool

    def context(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def clean_body(body: str | None) -> str:
    """The message as it is kept: trimmed; 422 in plain words when empty or too long."""
    text = (body or "").strip()
    if not text:
        raise Invalid({"body": "Write a message before sending."})
    if len(text) > BODY_MAX:
        raise Invalid({"body": f"Keep a message to {BODY_MAX:,} characters or fewer (this one has {len(text):,})."})
    if "\x00" in text:
        raise Invalid({"body": "The message contains a character that cannot be saved."})
    return text


def thread(user: User, patient_id: int, now: datetime | None = None) -> Thread:
    """The patient's thread, oldest first, as ``user`` may see it (404 for anyone who may not read the
    record). Marks every message the reader had not read (when the reader is a recipient), records one
    audit row, commits once."""
    now = now or utcnow()
    found = access.grant(user, patient_id)
    rows = list(
        db.session.scalars(
            select(Message).where(Message.patient_id == patient_id).order_by(Message.created_at, Message.id)
        )
    )
    recipient = found.is_patient or found.on_team
    if recipient:
        _mark_read(user.id, [m.id for m in rows if m.sender_id != user.id], now)
    team = handoff.team_members(patient_id)
    view = Thread(
        patient=found.patient,
        messages=_with_receipts(rows, found.patient, team),
        team=team,
        is_patient=found.is_patient,
        can_write=recipient,
        emergency=found.emergency,
    )
    audit.record("message.read", actor=user, patient_id=patient_id, object_type="message_thread")
    audit.commit_keeping_loaded()
    return view


def _mark_read(reader_id: int, message_ids: list[int], now: datetime) -> None:
    if not message_ids:
        return
    insert = insert_skipping_existing(MessageRead, db.engine.dialect.name, "message_id", "reader_id")
    db.session.flush()
    db.session.execute(insert, [{"message_id": mid, "reader_id": reader_id, "read_at": now} for mid in message_ids])


def _with_receipts(rows: list[Message], patient: User, team: list[User]) -> list[ThreadMessage]:
    ids = [m.id for m in rows]
    reads: dict[int, list[tuple[int, datetime]]] = {}
    if ids:
        for message_id, reader_id, read_at in db.session.execute(
            select(MessageRead.message_id, MessageRead.reader_id, MessageRead.read_at)
            .where(MessageRead.message_id.in_(ids))
            .order_by(MessageRead.read_at, MessageRead.reader_id)
        ):
            reads.setdefault(message_id, []).append((reader_id, read_at))
    known = {patient.id: patient.name} | {m.id: m.name for m in team}
    others = {m.sender_id for m in rows if m.sender_id is not None} | {r for v in reads.values() for r, _ in v}
    names = known | names_by_id(others - known.keys())
    return [
        ThreadMessage(
            message=m,
            sender_name=names.get(m.sender_id, "Former team member") if m.sender_id is not None else "Former account",
            from_patient=m.sender_id == patient.id,
            receipts=[Receipt(r, names.get(r, "Former team member"), at) for r, at in reads.get(m.id, [])],
        )
        for m in rows
    ]


@dataclass(frozen=True)
class Sent:
    message: Message
    crisis: bool  # the caller shows 988 and 911 now; the team has urgent tasks


def send(user: User, patient_id: int, body: str | None, now: datetime | None = None) -> Sent:
    """``user`` (the patient or a current team member; 404 for anyone else, break-glass included)
    writes to the thread. One transaction: the message, the safety tasks when the patient wrote in
    crisis words, the text that announces it, the audit row."""
    now = now or utcnow()
    found = access.grant(user, patient_id).member()
    text = clean_body(body)
    crisis = found.is_patient and words_of_crisis(text)
    message = Message(patient_id=patient_id, sender_id=user.id, body=text, crisis=crisis, created_at=now)
    db.session.add(message)
    db.session.flush()
    if crisis:
        care.safety_task_for_each_member(user, patient_id, now, CRISIS_TASK)
    if not found.is_patient:
        texts.announce(found.patient, message, now)
    audit.record("message.create", actor=user, patient_id=patient_id, object_type="message", object_id=message.id)
    db.session.commit()
    return Sent(message, crisis)


# --- counts and the inbox ---------------------------------------------------------------------------


def _unread_filter(viewer_id: int) -> Any:
    read = exists().where(MessageRead.message_id == Message.id, MessageRead.reader_id == viewer_id)
    return and_(or_(Message.sender_id.is_(None), Message.sender_id != viewer_id), ~read)


def unread_counts(viewer_id: int, patient_ids: Iterable[int]) -> dict[int, int]:
    """Messages ``viewer_id`` has not read, per patient thread (only threads with some); one query.
    Counts only: no content, so the caller records no read."""
    ids = list(patient_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        select(Message.patient_id, func.count())
        .where(Message.patient_id.in_(ids), _unread_filter(viewer_id))
        .group_by(Message.patient_id)
    )
    return {pid: n for pid, n in rows}


def unread_total(user: User) -> int:
    """The dashboard's number: unread messages in the patient's own thread, or in the threads of every
    patient on the clinician's teams."""
    if user.clinician is None:
        patients: Any = [user.id]
    else:
        patients = select(CareTeamMember.patient_id).where(CareTeamMember.clinician_id == user.id).scalar_subquery()
    return (
        db.session.scalar(
            select(func.count()).select_from(Message).where(Message.patient_id.in_(patients), _unread_filter(user.id))
        )
        or 0
    )


@dataclass(frozen=True)
class InboxRow:
    patient_id: int
    name: str
    last_at: datetime
    last_from_patient: bool
    unread: int
    crisis_unread: bool  # an unread message in crisis words: shown first


def inbox(clinician: User) -> list[InboxRow]:
    """The threads of the patients on the clinician's teams that have messages: unread in crisis words
    first, then unread, then the latest; counts and times only (no message text). The list shows who
    wrote, so each listed patient gets an audit row, as the caseload does; committed once."""
    team = select(CareTeamMember.patient_id).where(CareTeamMember.clinician_id == clinician.id)
    unread = _unread_filter(clinician.id)
    last = (
        select(Message.patient_id, func.max(Message.created_at).label("last_at"))
        .where(Message.patient_id.in_(team))
        .group_by(Message.patient_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            User.id,
            User.name,
            last.c.last_at,
            select(func.count()).where(Message.patient_id == User.id, unread).scalar_subquery(),
            exists().where(Message.patient_id == User.id, Message.crisis.is_(True), unread),
            select(Message.sender_id)
            .where(Message.patient_id == User.id)
            .order_by(Message.created_at.desc(), Message.id.desc())
            .limit(1)
            .scalar_subquery(),
        ).join(last, last.c.patient_id == User.id)
    ).all()
    found = [
        InboxRow(pid, name, last_at, last_sender == pid, int(n or 0), bool(crisis))
        for pid, name, last_at, n, crisis, last_sender in rows
    ]
    found.sort(key=lambda r: (not r.crisis_unread, r.unread == 0, -r.last_at.timestamp()))
    audit.record_patients("message_inbox.read", actor=clinician, patient_ids=[r.patient_id for r in found],
                          object_type="message_inbox")  # fmt: skip
    audit.commit_keeping_loaded()
    return found

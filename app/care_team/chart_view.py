"""What the chart page shows a team member besides the plan itself: the teammates to notify, the
names of the notes' authors and the patient's open tasks. Template filters for the trend picture
and the notes' mentions live in ``care_team.pages``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.accounts.user import User
from app.care_team import handoff
from app.care_team.note import HandoffNote
from app.extensions import db


def extras(user: User, patient_id: int, is_team: bool) -> dict[str, Any]:
    """Extra context for the chart: ``team``, ``author_names`` and ``patient_tasks`` (team only)."""
    if not is_team:
        return {"team": [], "author_names": {}, "patient_tasks": []}
    authors = db.session.execute(
        select(User.id, User.name)
        .join(HandoffNote, HandoffNote.author_id == User.id)
        .where(HandoffNote.patient_id == patient_id)
    )
    return {
        "team": handoff.team_members(patient_id),
        "author_names": {uid: name for uid, name in authors},
        "patient_tasks": handoff.patient_open_tasks(user, patient_id),
    }


def user_names(ids: set[int]) -> dict[int, str]:
    """Names of users by id (for "who changed it" and intervention owners)."""
    if not ids:
        return {}
    return {uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(ids)))}

"""Reads over accounts that other parts of the app need by id."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.accounts.user import User
from app.extensions import db


def names_by_id(ids: Iterable[int]) -> dict[int, str]:
    """Each account's name by its id, in one query (none when there is no id)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return {uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))}

"""Small reads of accounts that other domains share."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.accounts.user import User
from app.extensions import db


def names_by_id(ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the users with these ids, in one query (none for an empty set)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))}

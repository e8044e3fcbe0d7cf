"""Small reads of accounts that other domains share."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from app.accounts.clinician import ClinicianProfile
from app.accounts.user import User
from app.extensions import db
from app.reference.roles import CREDENTIAL_TITLES, Credential, Role


def names_by_id(ids: Iterable[int | None]) -> dict[int, str]:
    """Display names of the users with these ids, in one query (none for an empty set)."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {uid: name for uid, name in db.session.execute(select(User.id, User.name).where(User.id.in_(wanted)))}


ROLE_WORDS = {Role.PATIENT: "patient", Role.BILLING_ADMIN: "billing staff", Role.ADMIN: "administrator"}


def people_by_id(ids: Iterable[int | None]) -> dict[int, tuple[str, str]]:
    """``{id: (name, role in words)}`` in one query: a clinician's role is their title ("Psychiatrist
    (MD)", "Licensed clinical social worker (LCSW)"), others "billing staff", "administrator"."""
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = db.session.execute(
        select(User.id, User.name, User.role, ClinicianProfile.credential)
        .outerjoin(ClinicianProfile, ClinicianProfile.user_id == User.id)
        .where(User.id.in_(wanted))
    )
    return {uid: (name, _role_words(role, credential)) for uid, name, role, credential in rows}


def _role_words(role: str, credential: str | None) -> str:
    if credential in set(Credential):
        return CREDENTIAL_TITLES[Credential(credential)]
    return ROLE_WORDS.get(Role(role), "clinician") if role in set(Role) else role

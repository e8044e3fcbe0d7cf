"""Who may see which texts in the outbox, written once: a patient their own, a clinician those of the
patients whose care team they are on, an admin every text; anyone else none."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select, select

from app.accounts.user import User
from app.care_team.member import CareTeamMember
from app.reference.roles import Role
from app.sms.outbox_message import OutboxMessage

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])  # a query over OutboxMessage (and more columns)


def listable(user: User, query: Q) -> Q | None:
    """``query`` (over ``OutboxMessage``) narrowed to the texts ``user`` may see; None when none."""
    if user.role == Role.PATIENT:
        return query.where(OutboxMessage.patient_id == user.id)
    if user.role == Role.CLINICIAN:
        team = select(CareTeamMember.patient_id).where(CareTeamMember.clinician_id == user.id)
        return query.where(OutboxMessage.patient_id.in_(team))
    if user.role == Role.ADMIN:
        return query
    return None

"""The membership gate booking calls: evaluations, medication management and therapy sessions need
a trialing or active membership; the initial consultation is free."""

from __future__ import annotations

from datetime import datetime

from app.accounts.user import User
from app.billing.service import is_member
from app.booking.types import TYPES
from app.errors import DomainError


class MembershipRequired(DomainError):
    status = 402
    code = "membership_required"
    message = "This visit needs a membership (a free trial counts). The initial consultation is free."


def needs_membership(patient: User, type_code: str) -> bool:
    kind = TYPES.get(type_code)
    return kind is not None and kind.requires_membership and not is_member(patient)


def require_membership(patient: User, type_code: str, now: datetime) -> None:
    if needs_membership(patient, type_code):
        raise MembershipRequired()

"""Which visit type a booking page starts on: the one the patient can book now.

Without a membership (or signed out) only the free initial consultation can be booked, so that is
the default; a member starts on what their intake recommended when this clinician offers it, else
on the clinician's own kind of visit.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from app.accounts.user import User
from app.billing.gate import standing
from app.booking import recommended
from app.booking.types import offered_by
from app.reference.roles import Role

FREE_TYPE = "initial_consultation"


@dataclass(frozen=True)
class Viewer:
    """What the default depends on, read once per page (not once per clinician)."""

    member: bool
    recommended: Collection[str] = ()

    @classmethod
    def of(cls, user: User | None) -> Viewer:
        if user is None or not user.is_authenticated or user.role != Role.PATIENT:
            return cls(member=False)
        if not standing(user.id).is_member:
            return cls(member=False)
        return cls(member=True, recommended=tuple(recommended.recommended_types(user.id)))


def default_type(clinical_role: str, viewer: Viewer) -> str:
    offered = offered_by(clinical_role)
    if not viewer.member:
        return FREE_TYPE
    for kind in offered:
        if kind.code in viewer.recommended:
            return kind.code
    return next(k.code for k in reversed(offered) if k.requires_membership) if offered else FREE_TYPE

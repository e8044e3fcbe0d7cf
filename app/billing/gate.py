"""What booking asks billing: is this patient a member, and if not, why not.

Which visits need a membership is booking's rule (``AppointmentType.requires_membership``); billing
only answers for a patient. A trialing or active membership counts.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import select

from app.billing.membership import MEMBER_STATUSES, PAYMENT_DUE_STATUSES, Membership, MembershipStatus
from app.errors import DomainError
from app.extensions import db


class NotMember(StrEnum):
    """Why a patient is not a member."""

    NO_MEMBERSHIP = "no_membership"  # never subscribed, or the checkout was never completed
    PAST_DUE = "past_due"  # a payment is owed
    CANCELED = "canceled"  # the membership ended
    PAUSED = "paused"


@dataclass(frozen=True)
class Standing:
    """A patient's membership as the gate sees it: ``reason`` is None for a member."""

    status: str  # a MembershipStatus (or a status Stripe added since)
    reason: NotMember | None

    @property
    def is_member(self) -> bool:
        return self.reason is None


def _reason(status: str) -> NotMember | None:
    if status in MEMBER_STATUSES:
        return None
    if status in PAYMENT_DUE_STATUSES:
        return NotMember.PAST_DUE
    if status == MembershipStatus.CANCELED:
        return NotMember.CANCELED
    if status == MembershipStatus.PAUSED:
        return NotMember.PAUSED
    return NotMember.NO_MEMBERSHIP


def standing(patient_id: int) -> Standing:
    status = db.session.scalar(select(Membership.status).where(Membership.patient_id == patient_id))
    status = status or MembershipStatus.NONE.value
    return Standing(status, _reason(status))


def is_member(patient_id: int) -> bool:
    return standing(patient_id).is_member


class MembershipRequired(DomainError):
    status = 402
    code = "membership_required"
    message = "This visit needs a membership (a free trial counts). The initial consultation is free."

    def __init__(self, reason: NotMember = NotMember.NO_MEMBERSHIP) -> None:
        super().__init__()
        self.reason = reason  # for the caller; the answer's body stays the contract's


def require_member(patient_id: int) -> None:
    """Raise ``MembershipRequired`` (402), saying why, unless the patient is a member."""
    found = standing(patient_id)
    if found.reason is not None:
        raise MembershipRequired(found.reason)

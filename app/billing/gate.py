"""What booking asks billing: is this patient a member, and if not, why not.

Which visits need a membership is booking's rule (``AppointmentType.requires_membership``); billing
only answers for a patient. A trialing or active membership counts. The answer also says what the
patient can do next (a free trial only for someone who never had one; a card update when a payment
is owed), so every page that offers a membership offers the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
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


class Offer(StrEnum):
    """What the pricing page, the membership page and the booking gate offer a patient."""

    TRIAL = "trial"  # never had a trial: start one (nothing charged today)
    JOIN = "join"  # had a trial (or any membership) before: start a membership billed today
    MANAGE = "manage"  # trialing or active (or paused): manage the membership, nothing to start
    UPDATE_CARD = "update_card"  # a payment is owed: update the card, never start another membership


@dataclass(frozen=True)
class Standing:
    """A patient's membership as the gate sees it: ``reason`` is None for a member."""

    status: str  # a MembershipStatus (or a status Stripe added since)
    reason: NotMember | None
    trial_available: bool = True  # one free trial per patient, ever
    until: datetime | None = None  # the end of the paid period or trial (member) or when it ended

    @property
    def is_member(self) -> bool:
        return self.reason is None

    @property
    def offer(self) -> Offer:
        if self.reason is None or self.reason == NotMember.PAUSED:
            return Offer.MANAGE
        if self.reason == NotMember.PAST_DUE:
            return Offer.UPDATE_CARD
        return Offer.TRIAL if self.trial_available else Offer.JOIN


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
    row = db.session.scalar(select(Membership).where(Membership.patient_id == patient_id))
    if row is None:
        return Standing(MembershipStatus.NONE.value, NotMember.NO_MEMBERSHIP)
    status = row.status or MembershipStatus.NONE.value
    # Anyone who has had a trial, or any subscription at all, is charged from day one (start_checkout).
    trial_available = not (row.trial_used or row.subscription_id)
    until = row.canceled_at if status == MembershipStatus.CANCELED else row.current_period_end or row.trial_end
    return Standing(status, _reason(status), trial_available, until)


def is_member(patient_id: int) -> bool:
    return standing(patient_id).is_member


class MembershipRequired(DomainError):
    status = 402
    code = "membership_required"
    message = "This visit needs a membership (a free trial counts). The initial consultation is free."

    def __init__(self, reason: NotMember = NotMember.NO_MEMBERSHIP) -> None:
        super().__init__()
        self.reason = reason  # for the caller; the answer's body stays the contract's

    @property
    def page_message(self) -> str:
        """What a page tells the patient: the reason in plain words (the API keeps ``message``)."""
        return _PAGE_MESSAGES.get(self.reason, self.message)


_PAGE_MESSAGES = {
    NotMember.PAST_DUE: "Your last payment did not go through, so booking this visit waits until your card is "
    "updated. Your visits already booked stay.",
    NotMember.CANCELED: "Your membership has ended. Re-join to book this visit; the initial consultation is free.",
    NotMember.PAUSED: "Your membership is paused. Resume it from your membership page to book this visit.",
}


def require_member(patient_id: int) -> None:
    """Raise ``MembershipRequired`` (402), saying why, unless the patient is a member."""
    found = standing(patient_id)
    if found.reason is not None:
        raise MembershipRequired(found.reason)

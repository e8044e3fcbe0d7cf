"""Membership use cases. Each owns its transaction; callers pass ``now`` and the settings; nothing reads
flask.request or the app's config.

The local ``Membership`` row is a copy of the provider's subscription, replaced wholesale by
``sync`` from a fresh read — never patched field by field from an event, whose copy may be stale.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import connections
from app.accounts.user import User
from app.billing.backends import CheckoutStatus, SubscriptionState, backend
from app.billing.gate import standing
from app.billing.membership import MEMBER_STATUSES, PAYMENT_DUE_STATUSES, Membership, MembershipStatus
from app.billing.plans import PLANS, Plan, plan_for_price, price_id
from app.errors import Conflict, Invalid
from app.extensions import db
from app.settings import Settings


class AlreadyMember(Conflict):
    code = "already_member"
    message = "You already have a membership. You can change or cancel it from your membership page."


class PaymentDue(Conflict):
    """A membership whose payment is owed (past due or unpaid) is mended by updating the card, never by a
    second subscription (that would bill the patient twice)."""

    code = "payment_due"
    message = (
        "Your last membership payment did not go through. Update your card on your membership page; "
        "your membership continues once the payment is made."
    )


class NoMembership(Conflict):
    code = "no_membership"
    message = "You have no membership to manage yet."


def ts(value: int | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(int(value), UTC)


def membership_of(patient_id: int) -> Membership | None:
    row: Membership | None = db.session.scalar(select(Membership).where(Membership.patient_id == patient_id))
    return row


def _locked_membership(patient_id: int, now: datetime) -> Membership:
    query = select(Membership).where(Membership.patient_id == patient_id).with_for_update()
    row: Membership | None = db.session.scalar(query)
    if row is not None:
        return row
    try:
        with db.session.begin_nested():
            db.session.add(Membership(patient_id=patient_id, status=MembershipStatus.NONE, updated_at=now))
    except IntegrityError:
        pass  # a concurrent transaction created it first; the locking read below waits for it
    locked: Membership = db.session.scalars(query.execution_options(populate_existing=True)).one()
    return locked


def trial_available(patient: User) -> bool:
    return standing(patient.id).trial_available


def get_plan(code: str) -> Plan:
    plan = PLANS.get(code)
    if plan is None:
        raise Invalid({"plan": f"must be one of: {', '.join(PLANS)}"})
    return plan


def start_checkout(
    patient: User, plan_code: str, *, success_url: str, cancel_url: str, now: datetime, settings: Settings
) -> str:
    """The payment page for ``plan_code``. One free trial per patient: anyone who has had a trial (or
    any subscription) is charged from day one. Provider errors leave at most a customer id behind,
    never a membership."""
    plan = get_plan(plan_code)
    row = _locked_membership(patient.id, now)
    if row.status in MEMBER_STATUSES:
        db.session.rollback()
        raise AlreadyMember()
    if row.status in PAYMENT_DUE_STATUSES:
        db.session.rollback()
        raise PaymentDue()
    provider = backend(settings)
    patient_id = patient.id
    if not row.customer_id:
        # Under the lock on purpose: two concurrent checkouts must not create two customers.
        customer = provider.create_customer(patient_id, patient.email)
        row.customer_id, row.updated_at = customer, now
    customer_id = row.customer_id
    trial_days = None if (row.trial_used or row.subscription_id) else plan.trial_days
    db.session.commit()  # the Checkout Session below is made with no transaction (on SQLite: no lock) held
    urls = hashlib.sha256(f"{success_url}|{cancel_url}".encode()).hexdigest()[:16]
    # A double click (or a retried request) within ten minutes gets the same Checkout Session back.
    key = f"checkout:{patient_id}:{plan.code}:{trial_days or 0}:{int(now.timestamp()) // 600}:{urls}"
    session = provider.create_checkout(customer=customer_id, patient_id=patient_id, price=price_id(plan, settings),
                                       trial_days=trial_days, success_url=success_url, cancel_url=cancel_url,
                                       idempotency_key=key)  # fmt: skip
    if not session.url:
        raise AlreadyMember("The payment page could not be opened. Please try again.")
    return session.url


def sync(
    state: SubscriptionState, now: datetime, settings: Settings, patient_hint: int | None = None
) -> Membership | None:
    """Store the provider's current view of a subscription on its patient's membership (in the
    caller's transaction). A subscription older than the one already held is not allowed to
    replace it."""
    patient_id = state.patient_id or patient_hint
    if patient_id is None:
        patient_id = db.session.scalar(select(Membership.patient_id).where(Membership.customer_id == state.customer))
    if patient_id is None or db.session.get(User, patient_id) is None:
        return None
    row = _locked_membership(patient_id, now)
    if row.subscription_id and row.subscription_id != state.id and (row.subscription_created or 0) > state.created:
        return row
    plan = plan_for_price(state.price, settings)
    row.subscription_id, row.subscription_created = state.id, state.created
    row.customer_id = row.customer_id or state.customer
    row.plan = plan.code if plan else row.plan
    row.status = state.status
    row.trial_end = ts(state.trial_end)
    row.current_period_end = ts(state.current_period_end)
    row.cancel_at_period_end = state.cancel_at_period_end
    row.canceled_at = ts(state.canceled_at)
    if state.trial_end is not None:
        row.trial_used = True
    if state.status == MembershipStatus.ACTIVE and state.trial_end is not None and row.converted_at is None:
        row.converted_at = now
    if row not in db.session.new and not db.session.is_modified(row):
        return row  # the provider says what we hold already (a late or repeated event): change nothing
    row.updated_at = now
    db.session.flush()
    return row


def sync_checkout(patient: User, session_id: str, now: datetime, settings: Settings) -> Membership | None:
    """After the payment page: read the session back at once so the patient need not wait for the
    webhook (which then changes nothing). The provider is asked with no transaction held."""
    patient_id = patient.id
    connections.release_reads()
    provider = backend(settings)
    session = provider.checkout(session_id)
    if (
        session.status != CheckoutStatus.COMPLETE
        or not session.subscription
        or session.client_reference_id != str(patient_id)
    ):
        return membership_of(patient_id)
    state = provider.subscription(session.subscription)
    row = sync(state, now, settings, patient_hint=patient_id)
    db.session.commit()
    return row


def portal_url(patient: User, return_url: str, settings: Settings) -> str:
    row = membership_of(patient.id)
    if row is None or not row.customer_id or not row.subscription_id:
        raise NoMembership()
    customer_id = row.customer_id
    connections.release_reads()  # no transaction held while the provider answers
    return backend(settings).portal_url(customer_id, return_url)


class NothingOwed(Conflict):
    code = "nothing_owed"
    message = "No payment is owed on your membership, so there is no card to update just now."


def update_card_url(patient: User, return_url: str, settings: Settings) -> str:
    """The provider's card-update page for a patient whose payment is owed (past due or unpaid): only
    they have a charge to retry. Paying it makes the membership active again through the webhooks."""
    row = membership_of(patient.id)
    if row is None or not row.customer_id or not row.subscription_id:
        raise NoMembership()
    if row.status not in PAYMENT_DUE_STATUSES:
        raise NothingOwed()
    customer_id = row.customer_id
    connections.release_reads()  # no transaction held while the provider answers
    return backend(settings).update_card_url(customer_id, return_url)


def summary(patient: User) -> dict[str, Any]:
    """The patient's membership as the API and the dashboard show it."""
    row = membership_of(patient.id)
    if row is None or not row.subscription_id:
        return {"status": MembershipStatus.NONE.value, "plan": None, "trial_end": None, "current_period_end": None,
                "cancel_at_period_end": False, "trial_available": trial_available(patient)}  # fmt: skip
    return {
        "status": row.status,
        "plan": row.plan,
        "trial_end": row.trial_end,
        "current_period_end": row.current_period_end,
        "cancel_at_period_end": row.cancel_at_period_end,
        "trial_available": False,
        "payment_failed": row.status in PAYMENT_DUE_STATUSES,
    }

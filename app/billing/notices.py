"""What a patient is told about their membership by text. The same minimum as every text: no
clinical word, just a date, an amount and a link (``base_url``: the PUBLIC_BASE_URL setting). Written
into the outbox in the caller's transaction, once per dedupe key."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.accounts.user import User
from app.billing.membership import Membership, MembershipStatus
from app.billing.plans import PLANS
from app.extensions import db
from app.sms.messages import PRACTICE
from app.sms.outbox import enqueue


def _link(base_url: str) -> str:
    return base_url + "/membership"


def trial_ending(row: Membership, now: datetime, base_url: str) -> None:
    patient = db.session.get(User, row.patient_id)
    if patient is None or row.trial_end is None:
        return
    plan = PLANS.get(row.plan or "")
    day = row.trial_end.astimezone(ZoneInfo(patient.timezone)).strftime("%a %b %-d")
    amount = f" ${plan.amount_cents / 100:.2f}" if plan else ""
    body = (f"{PRACTICE}: your free trial ends {day}. Your card will be charged{amount} then unless you cancel "
            f"before: {_link(base_url)}")  # fmt: skip
    enqueue(patient, kind="trial_ending", body=body, due_at=now,
            dedupe_key=f"trial_ending:{row.subscription_id}:{int(row.trial_end.timestamp())}",
            not_after=row.trial_end)  # fmt: skip


def payment_failed(row: Membership, invoice_id: str, now: datetime, base_url: str) -> None:
    patient = db.session.get(User, row.patient_id)
    if patient is None:
        return
    body = f"{PRACTICE}: we could not take your membership payment. Please update your card: {_link(base_url)}"
    enqueue(patient, kind="payment_failed", body=body, due_at=now, dedupe_key=f"payment_failed:{invoice_id}",
            not_after=now + timedelta(days=3))  # fmt: skip


def trials_ending_soon(now: datetime, base_url: str) -> int:
    """Scheduler job: a text three days before a trial's first charge, for backends that send no
    ``trial_will_end`` (the demo) or when that event was missed. Same dedupe key as the webhook's."""
    from sqlalchemy import select

    rows = db.session.scalars(
        select(Membership).where(
            Membership.status == MembershipStatus.TRIALING,
            Membership.cancel_at_period_end.is_(False),
            Membership.trial_end > now,
            Membership.trial_end <= now + timedelta(days=3),
        )
    ).all()
    for row in rows:
        trial_ending(row, now, base_url)
    db.session.commit()
    return len(rows)

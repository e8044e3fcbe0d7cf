"""The billing console's figures. Billing data only: names, e-mail addresses, plans and payment
states — never an appointment, a plan of care or a score."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select

from app.accounts.user import User
from app.billing.membership import PAYMENT_DUE_STATUSES, Membership, MembershipStatus
from app.billing.plans import PLANS
from app.billing.stripe_event import StripeEvent
from app.csv_safe import to_csv
from app.extensions import db

COUNTED = (MembershipStatus.ACTIVE, MembershipStatus.TRIALING, MembershipStatus.PAST_DUE, MembershipStatus.CANCELED)
TRIAL_WINDOW = timedelta(days=90)
CHURN_WINDOW = timedelta(days=30)


def _trial_ended_at(row: Membership) -> datetime | None:
    """When the trial stopped: at its end, or earlier if the subscription was cancelled during it."""
    if row.trial_end is None:
        return None
    if row.canceled_at is not None and row.canceled_at < row.trial_end and row.converted_at is None:
        return row.canceled_at
    return row.trial_end


def figures(now: datetime) -> dict[str, Any]:
    rows = list(db.session.scalars(select(Membership).where(Membership.subscription_id.is_not(None))))
    counts = {status.value: 0 for status in COUNTED}
    mrr = 0
    ended = converted = churned = 0
    for row in rows:
        if row.status in counts:
            counts[row.status] += 1
        if row.status == MembershipStatus.ACTIVE and row.plan in PLANS:
            mrr += PLANS[row.plan].monthly_cents
        stopped = _trial_ended_at(row)
        if stopped is not None and now - TRIAL_WINDOW <= stopped <= now:
            ended += 1
            converted += row.converted_at is not None
        if (
            row.status == MembershipStatus.CANCELED
            and row.canceled_at is not None
            and row.canceled_at >= now - CHURN_WINDOW
        ):
            churned += 1
    base = counts[MembershipStatus.ACTIVE] + counts[MembershipStatus.PAST_DUE] + churned
    return {
        **counts,
        "mrr_cents": mrr,
        "trial_conversion_rate": round(converted / ended, 4) if ended else None,
        "trials_ended_90d": ended,
        "churn_rate_30d": round(churned / base, 4) if base else None,
        "canceled_30d": churned,
    }


def subscribers(search: str = "", status: str = "", limit: int = 200) -> list[tuple[User, Membership]]:
    query = (
        select(User, Membership).join(Membership, Membership.patient_id == User.id)
        .where(Membership.subscription_id.is_not(None)).order_by(Membership.updated_at.desc()).limit(limit)
    )  # fmt: skip
    if search:
        like = f"%{search.strip().lower()}%"
        query = query.where(or_(func.lower(User.email).like(like), func.lower(User.name).like(like)))
    if status:
        query = query.where(Membership.status == status)
    return [(user, row) for user, row in db.session.execute(query)]


def failed_payments(limit: int = 100) -> list[tuple[User, Membership]]:
    query = (
        select(User, Membership).join(Membership, Membership.patient_id == User.id)
        .where(or_(Membership.status.in_(PAYMENT_DUE_STATUSES), Membership.last_payment_failed_at.is_not(None)))
        .order_by(Membership.last_payment_failed_at.desc()).limit(limit)
    )  # fmt: skip
    return [(user, row) for user, row in db.session.execute(query)]


def event_log(outcome: str = "", limit: int = 200) -> list[StripeEvent]:
    query = select(StripeEvent).order_by(StripeEvent.received_at.desc(), StripeEvent.id).limit(limit)
    if outcome:
        query = query.where(StripeEvent.outcome == outcome)
    return list(db.session.scalars(query))


def subscribers_csv(search: str = "", status: str = "") -> str:
    rows: list[list[object]] = [["name", "email", "plan", "status", "trial_end", "current_period_end",
                                 "cancel_at_period_end", "last_payment_failed_at"]]  # fmt: skip
    for user, row in subscribers(search, status, limit=100_000):
        rows.append([v for v in (
            user.name, user.email, row.plan, row.status,
            row.trial_end.isoformat() if row.trial_end else "",
            row.current_period_end.isoformat() if row.current_period_end else "",
            "yes" if row.cancel_at_period_end else "no",
            row.last_payment_failed_at.isoformat() if row.last_payment_failed_at else "",
        )])  # fmt: skip
    return to_csv(rows)

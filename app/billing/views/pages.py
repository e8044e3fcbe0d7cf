"""Billing pages: pricing, checkout, the patient's membership, the demo payment pages, and the
billing console (billing data only)."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.billing import events, gate, report, service
from app.billing.demo import simulate as demo
from app.billing.demo.provider import UPDATE_CARD_FLOW, read_token
from app.billing.membership import MEMBER_STATUSES, Membership, MembershipStatus
from app.billing.plans import PLANS, plan_for_price
from app.billing.stripe_event import STORED_OUTCOMES
from app.db import utcnow
from app.errors import DomainError
from app.extensions import db
from app.pagekit.pages import page
from app.reference.roles import Role
from app.settings import Settings

bp = Blueprint("billing", __name__)
PATIENT = access.roles(Role.PATIENT)
BILLING_STAFF = access.roles(Role.BILLING_ADMIN, Role.ADMIN)


@bp.app_context_processor
def _membership_globals() -> dict[str, object]:
    """The membership card anywhere a patient page wants it (the dashboard includes it)."""
    return {"billing_plans": PLANS, "membership_summary": lambda: service.summary(current_user),
            "membership_standing": lambda: gate.standing(current_user.id)}  # fmt: skip


def safe_next(value: str | None) -> str | None:
    """Only a path on this site: never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value or len(value) > 2000:
        return None
    return value


def _demo_only() -> None:
    settings: Settings = current_app.config["SETTINGS"]
    if settings.BILLING_BACKEND != "dummy":
        abort(404)


@page(bp, "/pricing", access_rule=access.PUBLIC)
def pricing() -> ResponseReturnValue:
    is_patient = current_user.is_authenticated and current_user.role == Role.PATIENT.value
    found = gate.standing(current_user.id) if is_patient else None
    offer = found.offer if found else gate.Offer.TRIAL  # what anyone signing up gets
    return render_template("billing/pricing.html", plans=list(PLANS.values()), standing=found, offer=offer,
                           trial=offer == gate.Offer.TRIAL, now=utcnow(), next=safe_next(request.args.get("next")),
                           is_patient=is_patient, timedelta=timedelta)  # fmt: skip


@page(bp, "/billing/checkout", access_rule=PATIENT, methods=["POST"])
def checkout() -> ResponseReturnValue:
    plan = request.form.get("plan", "")
    target = safe_next(request.form.get("next"))
    settings: Settings = current_app.config["SETTINGS"]
    base = settings.PUBLIC_BASE_URL
    back = url_for("billing.pricing", next=target)
    success = base + url_for("billing.success", next=target) + ("&" if target else "?")
    try:
        url = service.start_checkout(current_user, plan, now=utcnow(), settings=settings, cancel_url=base + back,
                                     success_url=success + "session_id={CHECKOUT_SESSION_ID}")  # fmt: skip
    except (service.AlreadyMember, service.PaymentDue) as exc:
        flash(exc.message, "info")
        return redirect(url_for("billing.membership"))
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(back)
    return redirect(url)


@page(bp, "/billing/success", access_rule=PATIENT)
def success() -> ResponseReturnValue:
    session_id = request.args.get("session_id", "")[:255]
    try:
        settings: Settings = current_app.config["SETTINGS"]
        row = service.sync_checkout(current_user, session_id, utcnow(), settings) if session_id else None
    except DomainError:
        row = None  # the webhook will bring it; say so below
    if row is not None and row.status in MEMBER_STATUSES:
        trial = " Your free trial is on." if row.status == MembershipStatus.TRIALING else ""
        flash("Your membership has started." + trial, "success")
    else:
        flash("Thank you. We are confirming your payment; this page updates in a moment.", "info")
    return redirect(safe_next(request.args.get("next")) or url_for("billing.membership"))


@page(bp, "/membership", access_rule=PATIENT)
def membership() -> ResponseReturnValue:
    return render_template("billing/membership.html", summary=service.summary(current_user),
                           standing=gate.standing(current_user.id),
                           plans=PLANS, demo_actions=[(a, demo.ACTIONS[a]) for a in demo.PATIENT_ACTIONS])  # fmt: skip


@page(bp, "/billing/portal", access_rule=PATIENT, methods=["POST"])
def portal() -> ResponseReturnValue:
    """The provider's customer portal; ``flow=update_card`` opens it on the card update alone (past due),
    and brings the patient back to ``next`` (e.g. the booking they were making) afterwards."""
    settings: Settings = current_app.config["SETTINGS"]
    back = safe_next(request.form.get("next")) or url_for("billing.membership")
    try:
        if request.form.get("flow") == "update_card":
            return redirect(service.update_card_url(current_user, settings.PUBLIC_BASE_URL + back, settings))
        return redirect(
            service.portal_url(current_user, settings.PUBLIC_BASE_URL + url_for("billing.membership"), settings)
        )
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(back)


# --- demo payment pages (BILLING_BACKEND=dummy) ---------------------------------------------------


@page(bp, "/billing/demo/checkout/<token>", access_rule=PATIENT, methods=["GET", "POST"])
def demo_checkout(token: str) -> ResponseReturnValue:
    _demo_only()
    data = read_token(token)
    if data is None or int(data.get("p", 0)) != current_user.id:
        abort(404)
    if request.method == "POST":
        try:
            _, target = demo.complete_checkout(token, utcnow())
        except DomainError as exc:
            flash(exc.message, "error")
            return redirect(url_for("billing.pricing"))
        return redirect(target)
    settings: Settings = current_app.config["SETTINGS"]
    plan = plan_for_price(data["price"], settings) or PLANS["monthly"]
    return render_template("billing/demo_checkout.html", plan=plan, trial_days=int(data["trial"]), token=token,
                           back=data["back"], now=utcnow(), timedelta=timedelta)  # fmt: skip


@page(bp, "/billing/demo/portal", access_rule=PATIENT, methods=["GET", "POST"])
def demo_portal() -> ResponseReturnValue:
    _demo_only()
    back = safe_next(request.values.get("next")) or url_for("billing.membership")
    if request.method == "POST":
        action = request.form.get("action", "")
        if action == "update_card":
            try:
                paid = demo.update_card(current_user.id, utcnow())
            except DomainError as exc:
                flash(exc.message, "error")
                return redirect(back)
            flash("Your card was updated." + (" The overdue payment went through: your membership is active again."
                                              if paid else ""), "success")  # fmt: skip
            return redirect(back)
        if action not in demo.PATIENT_ACTIONS:
            abort(400, description="Unknown action.")
        try:
            flash("Done: " + demo.act(current_user.id, action, utcnow()).lower() + ".", "success")
        except DomainError as exc:
            flash(exc.message, "error")
        return redirect(url_for("billing.membership"))
    if request.args.get("flow") == UPDATE_CARD_FLOW:  # Stripe's portal opened on the card update alone
        return render_template("billing/demo_portal.html", summary=service.summary(current_user), plans=PLANS,
                               back=back)  # fmt: skip
    return redirect(url_for("billing.membership"))


# --- the billing console ---------------------------------------------------------------------------


@page(bp, "/billing/admin", access_rule=BILLING_STAFF)
def console() -> ResponseReturnValue:
    search = request.args.get("q", "")[:100]
    status = request.args.get("status", "")
    if status not in ("", *report.COUNTED, MembershipStatus.UNPAID, MembershipStatus.INCOMPLETE):
        status = ""
    outcome = request.args.get("outcome", "")
    if outcome not in ("", *STORED_OUTCOMES):
        outcome = ""
    return render_template(
        "billing/console.html", figures=report.figures(utcnow()), subscribers=report.subscribers(search, status),
        failed=report.failed_payments(), events=report.event_log(outcome), q=search, status=status,
        outcome=outcome, plans=PLANS, demo_actions=[(k, v) for k, v in demo.ACTIONS.items()
                                                    if k not in demo.PATIENT_ACTIONS],
    )  # fmt: skip


@page(bp, "/billing/admin/subscribers.csv", access_rule=BILLING_STAFF)
def subscribers_csv() -> Response:
    status = request.args.get("status", "")
    body = report.subscribers_csv(request.args.get("q", "")[:100], status if status in report.COUNTED else "")
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": "attachment; filename=subscribers.csv"})  # fmt: skip


@page(bp, "/billing/admin/events/<event_id>/reprocess", access_rule=BILLING_STAFF, methods=["POST"])
def reprocess(event_id: str) -> ResponseReturnValue:
    try:
        settings: Settings = current_app.config["SETTINGS"]
        outcome = events.reprocess(event_id[:255], utcnow(), settings)
        flash(f"Event {event_id} re-processed: {outcome}.", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("billing.console", _anchor="events"))


@page(bp, "/billing/admin/demo/<int:membership_id>", access_rule=BILLING_STAFF, methods=["POST"])
def demo_simulate(membership_id: int) -> ResponseReturnValue:
    _demo_only()
    row = db.session.get(Membership, membership_id)
    action = request.form.get("action", "")
    if row is None or action not in demo.ACTIONS or action in demo.PATIENT_ACTIONS:
        abort(404)
    try:
        flash("Simulated: " + demo.act(row.patient_id, action, utcnow()).removeprefix("Simulate: ") + ".", "success")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("billing.console"))

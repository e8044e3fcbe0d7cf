"""Two-factor pages (enrolment with QR code and recovery codes, the sign-in step) and the admin's staff page
(second-factor reset, disabling an account)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from app import access
from app.accounts.user import User
from app.auth import mfa_service, service
from app.auth.browser import complete_mfa
from app.auth.throttle import second_factor_throttled
from app.auth.views.pages import bp, safe_next
from app.errors import NotFound
from app.extensions import db
from app.pagekit.pages import page
from app.reference.roles import Role


@page(bp, "/login/verify", access_rule=access.MFA_STEP, methods=["GET", "POST"])
@second_factor_throttled
def mfa_verify() -> ResponseReturnValue:
    if not current_user.mfa_enabled:
        return redirect(url_for("auth.mfa_setup", next=request.args.get("next")))
    if request.method == "GET":
        return render_template("auth/mfa_verify.html", error=None)
    try:
        mfa_service.check_code(current_user, request.form.get("code", ""))
    except mfa_service.InvalidCode as exc:
        return render_template("auth/mfa_verify.html", error=exc.message), 401
    complete_mfa(current_user._get_current_object())  # the real user, not the proxy
    return redirect(safe_next(request.args.get("next")))


@page(bp, "/account/mfa/setup", access_rule=access.MFA_STEP, methods=["GET", "POST"])
def mfa_setup() -> ResponseReturnValue:
    if current_user.mfa_enabled:
        flash("Two-factor sign-in is already set up.", "info")
        return redirect(url_for("auth.account"))
    secret = mfa_service.pending_secret(current_user)
    if request.method == "GET" or secret is None:
        secret = secret or mfa_service.begin_enrollment(current_user)
        return _setup_page(secret, error=None)
    try:
        codes = mfa_service.confirm_enrollment(current_user, request.form.get("code", ""))
    except mfa_service.InvalidCode as exc:
        return _setup_page(secret, error=exc.message, status=422)
    complete_mfa(current_user._get_current_object())  # the real user, not the proxy
    return render_template("auth/mfa_codes.html", codes=codes, next_url=safe_next(request.args.get("next")))


def _setup_page(secret: str, *, error: str | None, status: int = 200) -> ResponseReturnValue:
    qr = mfa_service.provisioning_qr(current_user, secret)
    grouped = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    return render_template("auth/mfa_setup.html", qr=qr, secret=grouped, error=error), status


@page(bp, "/admin/users", access_rule=access.roles(Role.ADMIN))
def admin_users() -> ResponseReturnValue:
    staff = db.session.scalars(db.select(User).where(User.role != Role.PATIENT).order_by(User.role, User.name)).all()
    return render_template("auth/admin_users.html", staff=staff)


@page(bp, "/admin/users/<int:user_id>/mfa/reset", access_rule=access.roles(Role.ADMIN), methods=["POST"])
def admin_reset_mfa(user_id: int) -> ResponseReturnValue:
    target = db.session.get(User, user_id)
    if target is None:
        raise NotFound()
    mfa_service.reset(target, actor=current_user)
    flash(f"Two-factor sign-in was reset for {target.name}; they set it up again at their next sign-in.", "success")
    return redirect(url_for("auth.admin_users"))


@page(bp, "/admin/users/<int:user_id>/enabled", access_rule=access.roles(Role.ADMIN), methods=["POST"])
def admin_set_enabled(user_id: int) -> ResponseReturnValue:
    target = db.session.get(User, user_id)
    if target is None:
        raise NotFound()
    enable = request.form.get("enabled") == "1"
    if target.id == current_user.id and not enable:
        flash("You cannot disable your own account.", "error")
        return redirect(url_for("auth.admin_users"))
    if target.role == Role.CLINICIAN and not enable:
        # A clinician's visits must be moved or cancelled first: booking's confirmation page does it all.
        return redirect(url_for("booking.offboard_clinician", clinician_id=target.id))
    service.set_enabled(target, enable, actor=current_user)
    flash(f"{target.name} is {'enabled' if enable else 'disabled'}.", "success")
    return redirect(url_for("auth.admin_users"))

"""The admin's onboarding pages: invite a clinician, billing admin or admin (the link goes by e-mail),
see every invitation with its status (pending, used, withdrawn, expired) and withdraw a pending one.
Attached to the accounts blueprint."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user
from pydantic import ValidationError
from werkzeug.datastructures import MultiDict

from app import access
from app.accounts import invitations
from app.accounts.schemas import INVITATION_PROBLEMS, InvitationCreate, invitation_field
from app.accounts.service import EmailTaken
from app.accounts.views.pages import bp
from app.pagekit.pages import page
from app.reference.roles import COMMON_US_TIMEZONES, CREDENTIAL_TITLES, MODALITY_LABELS, Role
from app.validation import validation_fields

ADMIN = access.roles(Role.ADMIN)
ROLES = {"clinician": "Clinician", "billing_admin": "Billing admin", "admin": "Admin"}
CLINICIAN_FIELDS = ("credential", "licensed_states", "modalities", "languages", "bio", "timezone")
LABELS = {
    "name": "Full name", "email": "E-mail address", "role": "Role", "clinician": "Clinician details",
    "credential": "Credential", "licensed_states": "Licensed states", "modalities": "Approaches",
    "languages": "Languages", "bio": "Bio", "timezone": "Time zone",
}  # fmt: skip


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]


def form_data(form: MultiDict[str, str]) -> dict[str, Any]:
    """The invitation form as ``InvitationCreate`` reads it (empty fields left out)."""
    data: dict[str, Any] = {k: form.get(k, "").strip() for k in ("name", "email", "role")}
    if data["role"] == "clinician":
        data["clinician"] = {
            "credential": form.get("credential", ""),
            "licensed_states": [s.upper() for s in _split(form.get("licensed_states", ""))],
            "modalities": form.getlist("modalities"),
            "languages": _split(form.get("languages", "")) or ["English"],
            "bio": form.get("bio", "").strip(),
            "timezone": form.get("timezone", "") or "America/New_York",
        }
    return {k: v for k, v in data.items() if v != ""}


def plain_problems(fields: dict[str, str]) -> dict[str, str]:
    """Validator paths (``clinician.licensed_states.0``) turned into form fields with plain words, in
    the form's order."""
    found = {invitation_field(path) for path in fields}
    problems = {name: message for name, message in INVITATION_PROBLEMS.items() if name in found}
    return problems or {"name": "Check the form."}


def _form(values: dict[str, Any], errors: dict[str, str], status: int = 200) -> ResponseReturnValue:
    return render_template(
        "accounts/invite.html", values=values, errors=errors, labels=LABELS, roles=ROLES,
        credentials=CREDENTIAL_TITLES, modalities=MODALITY_LABELS, timezones=COMMON_US_TIMEZONES,
        ttl_hours=current_app.config["INVITATION_TTL_HOURS"],
    ), status  # fmt: skip


@page(bp, "/admin/invitations/new", access_rule=ADMIN, methods=["GET", "POST"])
def invite_staff() -> ResponseReturnValue:
    if request.method == "GET":
        role = request.args.get("role", "clinician")
        return _form({"role": role if role in ROLES else "clinician", "languages": "English",
                      "timezone": "America/New_York", "modalities": []}, {})  # fmt: skip
    values: dict[str, Any] = {k: request.form.get(k, "") for k in ("name", "email", "role", *CLINICIAN_FIELDS)}
    values["modalities"] = request.form.getlist("modalities")
    try:
        data = InvitationCreate.model_validate(form_data(request.form))
        invitation = invitations.invite(
            data, actor=current_user, ttl=timedelta(hours=current_app.config["INVITATION_TTL_HOURS"]),
            link_base=current_app.config["PUBLIC_BASE_URL"],
        )  # fmt: skip
    except ValidationError as exc:
        return _form(values, plain_problems(validation_fields(exc)), 422)
    except EmailTaken:
        return _form(values, {"email": "Someone already has an account with this e-mail address."}, 409)
    flash(f"Invitation sent to {invitation.email}. The link works once, for "
          f"{current_app.config['INVITATION_TTL_HOURS']} hours.", "success")  # fmt: skip
    return redirect(url_for("accounts.invitations_list"))


@page(bp, "/admin/invitations", access_rule=ADMIN)
def invitations_list() -> ResponseReturnValue:
    return render_template("accounts/invitations.html", rows=invitations.listing(), roles=ROLES,
                           credentials={c.value: t for c, t in CREDENTIAL_TITLES.items()})  # fmt: skip


@page(bp, "/admin/invitations/<int:invitation_id>/revoke", access_rule=ADMIN, methods=["POST"])
def revoke_invitation(invitation_id: int) -> ResponseReturnValue:
    try:
        invitation = invitations.revoke(invitation_id, actor=current_user)
    except invitations.InvitationUnusable as exc:
        flash(f"Nothing to withdraw: {exc.message}", "error")
    else:
        flash(f"The invitation to {invitation.email} was withdrawn; its link no longer works.", "success")
    return redirect(url_for("accounts.invitations_list"))

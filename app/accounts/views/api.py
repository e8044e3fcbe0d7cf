"""Accounts API: patient sign-up, clinician and staff creation, the caller's profile (``profile_of`` turns an
account's rows into the response model)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_login import current_user

from app import access
from app.accounts import invitations, service
from app.accounts.schemas import (
    ClinicianCreate,
    ClinicianInfo,
    InvitationCreate,
    InvitationOut,
    PatientInfo,
    PatientSignup,
    Profile,
    StaffCreate,
)
from app.accounts.throttle import signup_throttled
from app.accounts.user import User
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.reference.roles import Role

ADMIN = access.roles(Role.ADMIN)


def profile_of(user: User) -> Profile:
    profile = Profile(
        id=user.id, email=user.email, name=user.name, role=user.role, timezone=user.timezone,
        created_at=user.created_at,
    )  # fmt: skip
    if user.patient is not None:
        p = user.patient
        profile.patient = PatientInfo(
            state=p.state, phone=p.phone, sms_opt_in=p.sms_opt_in, date_of_birth=p.date_of_birth
        )
    if user.clinician is not None:
        c = user.clinician
        profile.clinical_role = c.clinical_role
        profile.clinician = ClinicianInfo(
            credential=c.credential,
            clinical_role=c.clinical_role,
            licensed_states=list(c.licensed_states),
            modalities=list(c.modalities),
            languages=list(c.languages),
            bio=c.bio,
        )
    return profile


@endpoint(api_bp, "/patients", methods=["POST"], access_rule=access.PUBLIC, body=PatientSignup,
          response=Profile, status=201, errors=[409, 429], tags=["accounts"])  # fmt: skip
@signup_throttled
def create_patient(body: PatientSignup) -> Profile:
    """Sign up as a patient."""
    return profile_of(service.register_patient(body, source="api"))


@endpoint(api_bp, "/clinicians", methods=["POST"], access_rule=ADMIN, body=ClinicianCreate,
          response=Profile, status=201, errors=[409], tags=["accounts"])  # fmt: skip
def create_clinician(body: ClinicianCreate) -> Profile:
    """Add a clinician (admin)."""
    return profile_of(service.create_clinician(body, actor=current_user))


@endpoint(api_bp, "/users", methods=["POST"], access_rule=ADMIN, body=StaffCreate,
          response=Profile, status=201, errors=[409], tags=["accounts"])  # fmt: skip
def create_user(body: StaffCreate) -> Profile:
    """Add a billing admin or an admin (admin)."""
    return profile_of(service.create_staff(body, actor=current_user))


def invitation_ttl() -> timedelta:
    return timedelta(hours=current_app.config["INVITATION_TTL_HOURS"])


@endpoint(api_bp, "/invitations", methods=["POST"], access_rule=ADMIN, body=InvitationCreate,
          response=InvitationOut, status=201, errors=[409], tags=["accounts"])  # fmt: skip
def create_invitation(body: InvitationCreate) -> InvitationOut:
    """Invite a clinician, billing admin or admin (admin): a single-use link goes to ``email`` by e-mail
    and expires after ``INVITATION_TTL_HOURS`` (72 by default); 409 ``email_taken`` when the address has
    an account. A new invitation to the same address replaces a pending one."""
    invitation = invitations.invite(
        body, actor=current_user, ttl=invitation_ttl(), link_base=current_app.config["PUBLIC_BASE_URL"]
    )
    return InvitationOut(id=invitation.id, expires_at=invitation.expires_at)


@endpoint(api_bp, "/me", access_rule=access.ANY_USER, response=Profile, tags=["accounts"])
def me() -> Profile:
    """The caller's own profile."""
    return profile_of(current_user)

"""Accounts API: patient sign-up, clinician and staff creation, the caller's profile."""

from __future__ import annotations

from flask_login import current_user

from app import access
from app.accounts import service
from app.accounts.schemas import ClinicianCreate, PatientSignup, Profile, StaffCreate
from app.accounts.views import profile_of
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.auth.throttle import signup_throttled
from app.reference.roles import Role

ADMIN = access.roles(Role.ADMIN)


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


@endpoint(api_bp, "/me", access_rule=access.ANY_USER, response=Profile, tags=["accounts"])
def me() -> Profile:
    """The caller's own profile."""
    return profile_of(current_user)

"""Turning account rows into the API's response models."""

from __future__ import annotations

from app.accounts.schemas import ClinicianInfo, PatientInfo, Profile
from app.accounts.user import User


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

"""Who may see a patient's record: the patient and the clinicians on their care team. Everyone
else — other patients, other clinicians, billing admins and admins — is told it does not exist."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.user import User
from app.care_team.member import CareTeamMember
from app.db import utcnow
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.reference.roles import ClinicalRole, Role


class PrescriberOnly(Forbidden):
    code = "prescriber_only"
    message = "Only a prescriber on the care team changes medications."


def on_team(clinician_id: int, patient_id: int) -> bool:
    return (
        db.session.scalar(
            select(CareTeamMember.id).where(
                CareTeamMember.patient_id == patient_id, CareTeamMember.clinician_id == clinician_id
            )
        )
        is not None
    )


def has_emergency_access(clinician_id: int, patient_id: int) -> bool:
    from app.care_team.emergency import EmergencyAccess

    return (
        db.session.scalar(
            select(EmergencyAccess.id)
            .where(
                EmergencyAccess.clinician_id == clinician_id,
                EmergencyAccess.patient_id == patient_id,
                EmergencyAccess.expires_at > utcnow(),
            )
            .limit(1)
        )
        is not None
    )


def patient_or_team(user: User, patient_id: int) -> User:
    """The patient (as a User) when ``user`` is that patient, on the team, or holds a live emergency
    grant; 404 otherwise."""
    patient = db.session.get(User, patient_id)
    if patient is None or patient.role != Role.PATIENT.value:
        raise NotFound()
    if user.id == patient_id:
        return patient
    if user.role == Role.CLINICIAN.value and (
        on_team(user.id, patient_id) or has_emergency_access(user.id, patient_id)
    ):
        return patient
    raise NotFound()


def team_only(user: User, patient_id: int) -> User:
    """Team members only; the patient may know the record exists but may not do this (403)."""
    patient = patient_or_team(user, patient_id)
    if user.id == patient_id:
        raise Forbidden("This is for your care team.")
    return patient


def prescriber_on_team(user: User, patient_id: int) -> User:
    patient = team_only(user, patient_id)
    if user.clinician is None or user.clinician.clinical_role != ClinicalRole.PRESCRIBER.value:
        raise PrescriberOnly()
    return patient

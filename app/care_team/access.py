"""Who may see a patient's record, written once for the care-team domain: the patient sees their own,
the clinicians on their care team see theirs (a clinician with a live emergency grant reads it for an
hour: break the glass), and everyone else — other patients, other clinicians, billing admins and
admins — is told it does not exist (404). The patient may know their record exists, so what only the
team does is 403 for them.

``grant`` decides once per use case and returns a ``Grant`` the use case asks what it needs; the
other functions are that one decision phrased for the common cases."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from app.accounts.user import User
from app.care_team.emergency import EmergencyAccess
from app.care_team.member import CareTeamMember
from app.care_team.task import Task
from app.db import utcnow
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.reference.roles import ClinicalRole, Role


class PrescriberOnly(Forbidden):
    code = "prescriber_only"
    message = "Only a prescriber on the care team changes medications."


@dataclass(frozen=True)
class Grant:
    """One viewer's access to one patient's record, decided by ``grant``."""

    viewer: User
    patient: User
    on_team: bool  # the viewer is on the patient's care team now
    emergency: bool = False  # not on the team: a live emergency (break-glass) grant

    @property
    def is_patient(self) -> bool:
        return self.viewer.id == self.patient.id

    @property
    def is_team(self) -> bool:
        """Reads as the team does: a member, or a clinician holding an emergency grant."""
        return not self.is_patient

    @property
    def is_prescriber(self) -> bool:
        if not self.is_team:
            return False
        clinician = self.viewer.clinician
        return clinician is not None and clinician.clinical_role == ClinicalRole.PRESCRIBER

    def team(self) -> Grant:
        """For what only the team does: the patient gets 403."""
        if self.is_patient:
            raise Forbidden("This is for your care team.")
        return self

    def member(self) -> Grant:
        """For what only the patient and current members do (export, billing time): emergency
        access opens the chart, nothing more (404)."""
        if not (self.is_patient or self.on_team):
            raise NotFound()
        return self


def find_patient(patient_id: int) -> User:
    """The patient account with that id; 404 when there is none (or it is not a patient's)."""
    patient = db.session.get(User, patient_id)
    if patient is None or patient.role != Role.PATIENT:
        raise NotFound()
    return patient


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


def grant(user: User, patient_id: int) -> Grant:
    """The rule: the patient, a clinician on the team or with a live emergency grant; 404 otherwise."""
    patient = find_patient(patient_id)
    if user.id == patient_id:
        return Grant(user, patient, on_team=False)
    if user.role == Role.CLINICIAN:
        if on_team(user.id, patient_id):
            return Grant(user, patient, on_team=True)
        if has_emergency_access(user.id, patient_id):
            return Grant(user, patient, on_team=False, emergency=True)
    raise NotFound()


def patient_or_team(user: User, patient_id: int) -> User:
    """The patient (as a User) when ``user`` may read the record; 404 otherwise."""
    return grant(user, patient_id).patient


def team_only(user: User, patient_id: int) -> User:
    """Team members only; the patient may know the record exists but may not do this (403)."""
    return grant(user, patient_id).team().patient


def member_only(user: User, patient_id: int) -> User:
    """Current team members only: the patient gets 403, emergency access and anyone else 404."""
    return grant(user, patient_id).team().member().patient


def patient_or_member(user: User, patient_id: int) -> User:
    """The patient and current team members; everyone else (emergency access included) gets 404."""
    return grant(user, patient_id).member().patient


def prescriber_on_team(user: User, patient_id: int) -> User:
    found = grant(user, patient_id).team()
    if not found.is_prescriber:
        raise PrescriberOnly()
    return found.patient


def patient_only(user: User, patient_id: int) -> User:
    """What only the patient decides (who is on their team): the team gets 403, anyone else 404."""
    found = grant(user, patient_id)
    if not found.is_patient:
        raise Forbidden("Only the patient changes who is on their care team.")
    return found.patient


def clinician_for(user: User, patient_id: int) -> None:
    """Breaking the glass is for clinicians: the patient may know their record exists (403); for
    anyone else it does not (404), as on every patient-data route."""
    if user.role != Role.CLINICIAN:
        if user.id == patient_id:
            raise Forbidden("Emergency access is for clinicians.")
        raise NotFound()


def task_for(user: User, task_id: int) -> Task:
    """A task its owner or a clinician on that patient's team may see; 404 for anyone else."""
    task = db.session.get(Task, task_id)
    if task is None or not (task.owner_id == user.id or on_team(user.id, task.patient_id)):
        raise NotFound()
    return task

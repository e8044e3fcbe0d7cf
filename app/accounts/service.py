"""Account creation. Each function is one use case and owns its transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import connections
from app.accounts.clinician import ClinicianProfile
from app.accounts.patient import PatientProfile
from app.accounts.schemas import ClinicianCreate, PatientSignup, StaffCreate
from app.accounts.user import User
from app.audit import service as audit
from app.db import utcnow
from app.errors import Conflict
from app.extensions import db
from app.passwords import hash_password
from app.reference.roles import CLINICAL_ROLE_BY_CREDENTIAL, Credential, Role

SMS_CONSENT_TEXT = (
    "Yes, text me appointment confirmations, reminders and check-in links at this number. "
    "Message frequency varies. Msg & data rates may apply. Reply STOP to opt out, HELP for help."
)


class ConsentedNumber(Conflict):
    code = "sms_number_consented"
    message = "Texts are on for another number: change it in your text message settings."


class EmailTaken(Conflict):
    code = "email_taken"
    message = "An account with this e-mail address already exists."


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def _new_user(email: str, password: str, name: str, role: Role, timezone: str) -> User:
    # The hash first, outside any transaction (argon2 takes tens of milliseconds; on SQLite a
    # transaction holds the write lock). A taken address costs the same time as a free one.
    connections.release_reads()
    password_hash = hash_password(password)
    if find_by_email(email) is not None:
        raise EmailTaken()
    return User(email=email.lower(), password_hash=password_hash, name=name, role=role, timezone=timezone)


def _commit_new(user: User) -> User:
    try:
        db.session.commit()
    except IntegrityError as exc:  # two sign-ups with one address racing past the check above
        db.session.rollback()
        raise EmailTaken() from exc
    return user


def register_patient(data: PatientSignup, *, source: str, now: datetime | None = None) -> User:
    """A patient signs themselves up; SMS consent is recorded with its time, source and wording."""
    now = now or utcnow()
    user = _new_user(data.email, data.password, data.name, Role.PATIENT, data.timezone)
    user.patient = PatientProfile(
        state=data.state, phone=data.phone, sms_opt_in=data.sms_opt_in, date_of_birth=data.date_of_birth
    )
    if data.sms_opt_in:
        user.patient.sms_consent_at = now
        user.patient.sms_consent_source = source
        user.patient.sms_consent_text = SMS_CONSENT_TEXT
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", actor=user, patient_id=user.id, object_type="user", object_id=user.id)
    return _commit_new(user)


def save_mobile(patient: User, phone: str) -> None:
    """The mobile number, given in its own optional onboarding step. It alone allows no texts: consent
    is a separate step (``notifications.preferences.opt_in``) that records time, source and wording.
    A number the patient already agreed to texts at is changed only with a new consent."""
    profile = patient.patient
    assert profile is not None, "only a patient has a mobile number"
    if profile.sms_opt_in and profile.phone != phone:
        raise ConsentedNumber()
    profile.phone = phone
    audit.record("account.phone", actor=patient, patient_id=patient.id, object_type="patient", object_id=patient.id)
    db.session.commit()


def save_date_of_birth(patient: User, born: date) -> None:
    """The patient sets or corrects their own date of birth (validated by ``BirthDate``); audited."""
    profile = patient.patient
    assert profile is not None, "only a patient has a date of birth"
    profile.date_of_birth = born
    audit.record("account.date_of_birth", actor=patient, patient_id=patient.id, object_type="patient",
                 object_id=patient.id)  # fmt: skip
    db.session.commit()


def clinician_profile(credential: str, licensed_states: Iterable[str], modalities: Iterable[str],
                      languages: Iterable[str], bio: str) -> ClinicianProfile:  # fmt: skip
    """A clinician's profile; the clinical role follows from the credential and is never chosen."""
    known = Credential(credential)
    profile = ClinicianProfile(
        credential=known.value, clinical_role=CLINICAL_ROLE_BY_CREDENTIAL[known].value, bio=bio
    )  # fmt: skip
    profile.licensed_states.extend(licensed_states)
    profile.modalities.extend(modalities)
    profile.languages.extend(languages)
    return profile


def create_clinician(data: ClinicianCreate, *, actor: User | None) -> User:
    """Admins add clinicians; the clinical role follows from the credential and is never chosen."""
    user = _new_user(data.email, data.password, data.name, Role.CLINICIAN, data.timezone)
    user.clinician = clinician_profile(
        data.credential, data.licensed_states, (m.value for m in data.modalities), data.languages, data.bio
    )
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", actor=actor, object_type="user", object_id=user.id)
    return _commit_new(user)


def create_staff(data: StaffCreate, *, actor: User | None) -> User:
    """Billing admins and admins: accounts without a clinical profile."""
    user = _new_user(data.email, data.password, data.name, Role(data.role), "America/New_York")
    db.session.add(user)
    db.session.flush()
    audit.record("account.create", actor=actor, object_type="user", object_id=user.id)
    return _commit_new(user)

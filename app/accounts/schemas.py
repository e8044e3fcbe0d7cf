"""Request and response models of the accounts API (they also feed the OpenAPI document)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from app.reference.roles import Credential, Modality
from app.validation import BirthDate, Email, Password, PersonName, PhoneNumber, StateCode, TimeZoneName


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=10_000)


class PatientSignup(_Strict):
    email: Email
    password: Password
    name: PersonName
    state: StateCode
    timezone: TimeZoneName
    phone: PhoneNumber | None = None
    sms_opt_in: bool = False
    date_of_birth: BirthDate | None = None  # optional here; asked for before the first psychiatric evaluation

    @field_validator("sms_opt_in")
    @classmethod
    def _needs_phone(cls, value: bool, info: ValidationInfo) -> bool:
        if value and not info.data.get("phone"):
            raise ValueError("a mobile number is needed to receive texts")
        return value


Language = Annotated[str, Field(min_length=2, max_length=40, pattern=r"^[A-Za-z][A-Za-z \-]*$")]


class ClinicianCreate(_Strict):
    email: Email
    password: Password
    name: PersonName
    credential: Credential
    licensed_states: list[StateCode] = Field(min_length=1, max_length=60)
    modalities: list[Modality] = Field(default_factory=list, max_length=10)
    timezone: TimeZoneName
    bio: str = Field(default="", max_length=5000)
    languages: list[Language] = Field(default_factory=lambda: ["English"], max_length=20)

    @field_validator("licensed_states", "modalities", "languages")
    @classmethod
    def _dedupe(cls, values: list[Any]) -> list[Any]:
        return list(dict.fromkeys(values))


class StaffCreate(_Strict):
    email: Email
    password: Password
    name: PersonName
    role: Literal["billing_admin", "admin"]


class UserOut(BaseModel):
    id: int
    role: str


class PatientInfo(BaseModel):
    state: str
    phone: str | None
    sms_opt_in: bool
    date_of_birth: date | None = None


class BirthDateIn(_Strict):
    date_of_birth: BirthDate


class ClinicianInfo(BaseModel):
    credential: str
    clinical_role: str
    licensed_states: list[str]
    modalities: list[str]
    languages: list[str]
    bio: str


class Profile(BaseModel):
    """The caller's own profile (``GET /api/v1/me``) and the answer to account creation."""

    id: int
    email: str
    name: str
    role: str
    timezone: str
    created_at: datetime
    clinical_role: str | None = None
    patient: PatientInfo | None = None
    clinician: ClinicianInfo | None = None


class ClinicianInvite(_Strict):
    """The clinician's profile in an invitation: what ``ClinicianCreate`` takes, without the account."""

    credential: Credential
    licensed_states: list[StateCode] = Field(min_length=1, max_length=60)
    modalities: list[Modality] = Field(default_factory=list, max_length=10)
    timezone: TimeZoneName = "America/New_York"
    bio: str = Field(default="", max_length=5000)
    languages: list[Language] = Field(default_factory=lambda: ["English"], min_length=1, max_length=20)

    @field_validator("licensed_states", "modalities", "languages")
    @classmethod
    def _dedupe(cls, values: list[Any]) -> list[Any]:
        return list(dict.fromkeys(values))


class InvitationCreate(_Strict):
    """``POST /api/v1/invitations``: ``clinician`` is required for a clinician and refused otherwise."""

    email: Email
    name: PersonName
    role: Literal["clinician", "billing_admin", "admin"]
    clinician: ClinicianInvite | None = Field(default=None, validate_default=True)

    @field_validator("clinician")
    @classmethod
    def _profile_for_clinicians_only(
        cls, value: ClinicianInvite | None, info: ValidationInfo
    ) -> ClinicianInvite | None:
        role = info.data.get("role")
        if role == "clinician" and value is None:
            raise ValueError("a clinician needs a credential and at least one licensed state")
        if role in ("billing_admin", "admin") and value is not None:
            raise ValueError("only a clinician has a clinical profile")
        return value

    @classmethod
    def plain_words(cls, fields: dict[str, str]) -> dict[str, str]:
        """The API's 422 ``fields``, each problem in plain words (same keys)."""
        return {path: INVITATION_PROBLEMS.get(invitation_field(path), reason) for path, reason in fields.items()}


# Each invitation field's problem in plain words, whatever the validator said; in the form's order.
INVITATION_PROBLEMS = {
    "name": "Enter the person's full name.",
    "email": "Enter an e-mail address, for example name@example.com.",
    "role": "Choose a role: clinician, billing admin or admin.",
    "clinician": "A clinician needs a credential and at least one licensed state; other roles have no clinical "
    "profile.",
    "credential": "Choose the clinician's credential (MD, DO, PMHNP, PhD, PsyD, LCSW, LMHC or LMFT).",
    "licensed_states": "Enter at least one US state as a two-letter code, for example NY, NJ.",
    "modalities": "Choose approaches from the list (CBT, DBT, psychodynamic, trauma_informed, family_couples, "
    "medication_management).",
    "languages": "Enter languages in letters, separated by commas, for example English, Spanish.",
    "bio": "Keep the bio under 5,000 characters.",
    "timezone": "Choose a time zone, for example America/New_York.",
}


def invitation_field(path: str) -> str:
    """The form field a validator path is about: ``clinician.licensed_states.0`` -> ``licensed_states``."""
    parts = path.split(".")
    name = parts[1] if parts[0] == "clinician" and len(parts) > 1 else parts[0]
    return name if name in INVITATION_PROBLEMS else "clinician" if parts[0] == "clinician" else name


class InvitationOut(BaseModel):
    id: int
    expires_at: datetime

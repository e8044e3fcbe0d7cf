"""Every mapped model, imported in one place so Alembic and the tests see the whole schema."""

from app.accounts.clinician import ClinicianLanguage, ClinicianLicense, ClinicianModality, ClinicianProfile
from app.accounts.patient import PatientProfile
from app.accounts.user import User
from app.audit.event import AuditEvent
from app.auth.api_token import ApiToken
from app.auth.login_session import LoginSession
from app.auth.mfa import MfaRecoveryCode, MfaSecret
from app.auth.password_reset import PasswordResetToken
from app.booking.appointment import Appointment
from app.booking.availability import ClinicianAvailability
from app.care_team.member import CareTeamMember
from app.intake.result import IntakeResult

__all__ = [
    "ApiToken",
    "Appointment",
    "AuditEvent",
    "CareTeamMember",
    "ClinicianAvailability",
    "ClinicianLanguage",
    "ClinicianLicense",
    "ClinicianModality",
    "ClinicianProfile",
    "IntakeResult",
    "LoginSession",
    "MfaRecoveryCode",
    "MfaSecret",
    "PasswordResetToken",
    "PatientProfile",
    "User",
]  # fmt: skip

"""Every mapped model, imported in one place so Alembic and the tests see the whole schema."""

from app.accounts.clinician import ClinicianLanguage, ClinicianLicense, ClinicianModality, ClinicianProfile
from app.accounts.invitation import Invitation
from app.accounts.patient import PatientProfile
from app.accounts.user import User
from app.audit.event import AuditEvent
from app.auth.api_token import ApiToken
from app.auth.login_session import LoginSession
from app.auth.mfa import MfaRecoveryCode, MfaSecret
from app.auth.password_reset import PasswordResetToken
from app.billing.demo.store import DemoSubscription
from app.billing.membership import Membership
from app.billing.stripe_event import StripeEvent
from app.booking.appointment import Appointment
from app.booking.availability import ClinicianAvailability
from app.booking.care_consent import CareConsent
from app.booking.feed import CalendarFeed
from app.booking.stamp import ScheduleStamp
from app.booking.visit_change import VisitChange
from app.care_team.assessment import Assessment
from app.care_team.emergency import EmergencyAccess
from app.care_team.medication import Medication
from app.care_team.member import CareTeamMember
from app.care_team.minutes import CareMinutes
from app.care_team.note import HandoffNote
from app.care_team.plan import CarePlan, CarePlanVersion
from app.care_team.task import Task
from app.intake.result import IntakeResult
from app.messaging.message import Message, MessageRead
from app.notes.addendum import NoteAddendum
from app.notes.note import VisitNote
from app.notes.psychotherapy_note import PsychotherapyNote
from app.sms.outbox_message import OutboxMessage, SmsNumber
from app.throttle.counter import ThrottleCounter

__all__ = [
    "ApiToken",
    "Appointment",
    "Assessment",
    "AuditEvent",
    "CalendarFeed",
    "CareConsent",
    "CareMinutes",
    "CarePlan",
    "CarePlanVersion",
    "CareTeamMember",
    "ClinicianAvailability",
    "ClinicianLanguage",
    "ClinicianLicense",
    "ClinicianModality",
    "ClinicianProfile",
    "DemoSubscription",
    "EmergencyAccess",
    "HandoffNote",
    "IntakeResult",
    "Invitation",
    "LoginSession",
    "Medication",
    "Membership",
    "Message",
    "MessageRead",
    "MfaRecoveryCode",
    "MfaSecret",
    "NoteAddendum",
    "OutboxMessage",
    "PasswordResetToken",
    "PatientProfile",
    "PsychotherapyNote",
    "ScheduleStamp",
    "SmsNumber",
    "StripeEvent",
    "Task",
    "ThrottleCounter",
    "User",
    "VisitChange",
    "VisitNote",
]  # fmt: skip

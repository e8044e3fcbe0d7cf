"""What a patient's dashboard shows, loaded in one place so the template runs no query.

The patient reads only their own record here, so nothing is written to the access trail: "who viewed
my record" is about everyone else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from markupsafe import Markup
from sqlalchemy import func, select

from app.accounts.queries import names_by_id
from app.accounts.user import User
from app.booking import video
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.types import TYPES
from app.booking.visit_change import VisitChange
from app.care_team.assessment import Assessment
from app.care_team.measures import Instrument
from app.care_team.medication import Medication, MedicationStatus
from app.care_team.member import CareTeamMember
from app.care_team.plan import CarePlan
from app.care_team.trend_chart import trend_svg
from app.extensions import db
from app.intake import service as intake
from app.intake.result import IntakeResult
from app.reference.roles import CREDENTIAL_TITLES, ClinicalRole, Credential
from app.web import record_access as access_log

INSTRUMENTS = tuple(Instrument)
# A check-in is open when the last one of that questionnaire is older than this (as for the
# scheduler's check-in text before a visit).
CHECK_IN_DUE_AFTER = timedelta(days=14)
PAST_SHOWN = 5
ACCESS_SHOWN = 5
ROLE_LABELS: dict[str, str] = {ClinicalRole.PRESCRIBER: "Medication care", ClinicalRole.THERAPIST: "Therapy"}


@dataclass(frozen=True)
class Visit:
    appointment: Appointment
    kind: str
    clinician: str
    join_opens_at: datetime
    can_join: bool


@dataclass(frozen=True)
class CheckIn:
    instrument: str
    last_at: datetime | None
    due: bool


@dataclass(frozen=True)
class TeamMember:
    name: str
    title: str
    role: str


@dataclass(frozen=True)
class ChangeNotice:
    """A visit the practice moved to a colleague or cancelled because its clinician left."""

    kind: str  # VisitChangeKind
    start_at: datetime
    visit_kind: str
    from_name: str
    to_name: str | None
    appointment_id: int


# How long the dashboard keeps telling the patient about such a change.
CHANGES_SHOWN_FOR = timedelta(days=30)


@dataclass(frozen=True)
class PatientDashboard:
    next_visit: Visit | None
    upcoming: list[Visit]
    past: list[Visit]
    check_ins: list[CheckIn]
    goals: list[dict[str, Any]]
    medications: list[tuple[Medication, str | None]]
    team: list[TeamMember]
    charts: dict[str, Markup]
    latest_scores: dict[str, Assessment]
    record_access: list[access_log.AccessRow]
    intake: IntakeResult | None
    names: dict[int, str] = field(default_factory=dict)
    changes: list[ChangeNotice] = field(default_factory=list)

    @property
    def open_check_ins(self) -> list[CheckIn]:
        return [c for c in self.check_ins if c.due]


def _visits(patient: User, now: datetime) -> tuple[list[Visit], list[Visit], dict[int, str]]:
    query = select(Appointment).where(Appointment.patient_id == patient.id).order_by(Appointment.start_at)
    rows = list(db.session.scalars(query))
    ids = {a.clinician_id for a in rows}
    names = names_by_id(ids)

    def visit(a: Appointment) -> Visit:
        return Visit(a, TYPES[a.type].name, names.get(a.clinician_id, ""), a.start_at - video.JOIN_EARLY,
                     video.can_join(a, now))  # fmt: skip

    upcoming = [visit(a) for a in rows if a.status == AppointmentStatus.BOOKED and a.end_at >= now]
    past = [visit(a) for a in reversed(rows) if not (a.status == AppointmentStatus.BOOKED and a.end_at >= now)][
        :PAST_SHOWN
    ]
    return upcoming, past, names


def _scores(patient: User) -> dict[str, list[Assessment]]:
    rows = db.session.scalars(
        select(Assessment)
        .where(Assessment.patient_id == patient.id, Assessment.instrument.in_(INSTRUMENTS))
        .order_by(Assessment.created_at, Assessment.id)
    )
    by_instrument: dict[str, list[Assessment]] = {name: [] for name in INSTRUMENTS}
    for row in rows:
        by_instrument[row.instrument].append(row)
    return by_instrument


def _team(patient: User) -> list[TeamMember]:
    members = db.session.scalars(
        select(User)
        .join(CareTeamMember, CareTeamMember.clinician_id == User.id)
        .where(CareTeamMember.patient_id == patient.id)
        .order_by(func.lower(User.name))
    )
    return [
        TeamMember(m.name, CREDENTIAL_TITLES[Credential(m.clinician.credential)],
                   ROLE_LABELS[m.clinician.clinical_role])
        for m in members
    ]  # fmt: skip


def _changes(patient: User, now: datetime) -> list[ChangeNotice]:
    rows = list(
        db.session.execute(
            select(VisitChange, Appointment.start_at, Appointment.type)
            .join(Appointment, Appointment.id == VisitChange.appointment_id)
            .where(VisitChange.patient_id == patient.id, VisitChange.created_at > now - CHANGES_SHOWN_FOR)
            .order_by(VisitChange.created_at.desc(), VisitChange.id.desc())
        )
    )
    names = names_by_id({c.from_clinician_id for c, _, _ in rows} | {c.to_clinician_id for c, _, _ in rows})
    return [
        ChangeNotice(c.kind, start, TYPES[kind].name, names.get(c.from_clinician_id or 0, "Your clinician"),
                     names.get(c.to_clinician_id) if c.to_clinician_id else None, c.appointment_id)
        for c, start, kind in rows
    ]  # fmt: skip


def _medications(patient: User) -> list[tuple[Medication, str | None]]:
    rows = db.session.execute(
        select(Medication, User.name)
        .outerjoin(User, User.id == Medication.prescribed_by)
        .where(Medication.patient_id == patient.id, Medication.status == MedicationStatus.ACTIVE)
        .order_by(Medication.started_at, Medication.id)
    )
    return [(m, name) for m, name in rows]


def patient_dashboard(patient: User, now: datetime) -> PatientDashboard:
    """Next visit (joinable from ``video.JOIN_EARLY`` before the start until its end), upcoming and
    recent visits, open check-ins (none of that questionnaire in ``CHECK_IN_DUE_AFTER``), the care
    plan as the patient sees it (goals in their words, active medications, the team), the score trends in the
    patient's zone and the latest access to their record by others."""
    upcoming, past, names = _visits(patient, now)
    scores = _scores(patient)
    zone = ZoneInfo(patient.timezone)
    check_ins, charts, latest = [], {}, {}
    for instrument, rows in scores.items():
        last_at = rows[-1].created_at if rows else None
        check_ins.append(CheckIn(instrument, last_at, last_at is None or now - last_at > CHECK_IN_DUE_AFTER))
        if rows:
            latest[instrument] = rows[-1]
            charts[instrument] = trend_svg([(r.created_at.astimezone(zone), r.score) for r in rows], instrument)
    plan = db.session.get(CarePlan, patient.id)
    goals = list(plan.goals) if plan else []
    return PatientDashboard(
        next_visit=upcoming[0] if upcoming else None,
        upcoming=upcoming[1:],
        past=past,
        check_ins=check_ins,
        goals=goals,
        medications=_medications(patient),
        team=_team(patient),
        charts=charts,
        latest_scores=latest,
        record_access=access_log.record_access(patient.id, limit=ACCESS_SHOWN),
        intake=intake.latest(patient.id),
        names=names,
        changes=_changes(patient, now),
    )

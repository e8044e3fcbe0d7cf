"""The chart header: who the patient is at a glance, on every chart page. Built inside the chart's read
use case (``chart_view``) from what it loads, plus the next and last visit; the template partial
``care/_header.html`` renders it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.accounts.user import User
from app.booking.appointment import Appointment
from app.care_team.assessment import Assessment
from app.care_team.consent import CareConsent
from app.care_team.intake_port import IntakeSummary


def age_on(born: date, today: date) -> int:
    """Whole years from ``born`` to ``today``: the birthday itself counts; 29 February counts on 1 March
    in common years (the day after 28 February)."""
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


@dataclass(frozen=True)
class TeamEntry:
    name: str
    role: str  # "prescriber" or "therapist"


@dataclass(frozen=True)
class ChartHeader:
    name: str
    date_of_birth: date | None
    age: int | None
    phone: str | None
    state: str
    team: list[TeamEntry]
    next_visit: Appointment | None
    last_visit: Appointment | None
    phq9: Assessment | None
    gad7: Assessment | None
    safety_flag: bool  # the latest PHQ-9's item 9 above 0
    consented: bool
    intake: IntakeSummary | None  # only once the patient has a team and has consented to coordinated care


def build(
    patient: User,
    today: date,
    team: Sequence[User],
    measures: Sequence[Assessment],
    care_consent: CareConsent | None,
    visits: tuple[Appointment | None, Appointment | None],
    intake: IntakeSummary | None,
) -> ChartHeader:
    profile = patient.patient
    born = profile.date_of_birth if profile else None
    phq9 = _latest(measures, "PHQ-9")
    return ChartHeader(
        name=patient.name,
        date_of_birth=born,
        age=age_on(born, today) if born else None,
        phone=profile.phone if profile else None,
        state=profile.state if profile else "",
        team=[TeamEntry(m.name, m.clinician.clinical_role if m.clinician else "") for m in team],
        next_visit=visits[0],
        last_visit=visits[1],
        phq9=phq9,
        gad7=_latest(measures, "GAD-7"),
        safety_flag=bool(phq9 and phq9.item9),
        consented=care_consent is not None,
        intake=intake if team and care_consent is not None else None,
    )


def _latest(measures: Sequence[Assessment], instrument: str) -> Assessment | None:
    mine = [a for a in measures if a.instrument == instrument]  # oldest first
    return mine[-1] if mine else None

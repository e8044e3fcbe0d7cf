"""The chart page as one read use case: ``chart(user, patient_id)`` decides access once, loads what
the page shows (the plan and medications, the check-ins, the consent in force and, for the team, the
notes with their authors' names, the teammates to notify and the patient's open tasks with their
history), records one audit row for the patient shown and commits once. The template then runs no query.
Its sub-pages are use cases of the same shape, the chart header included: ``history_page``,
``scores_page``, ``minutes_page``.

Template filters for the trend picture and the notes' mentions live with the pages
(``care_team.views.pages``)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.accounts.queries import names_by_id
from app.accounts.user import User
from app.audit import service as audit
from app.booking import patient_visits
from app.care_team import access, chart_header, consent, handoff, intake_port, minutes, service
from app.care_team.assessment import Assessment
from app.care_team.consent import CareConsent
from app.care_team.measures import CocmBands
from app.care_team.medication import Medication
from app.care_team.note import HandoffNote
from app.care_team.plan import CarePlan, CarePlanVersion
from app.care_team.task import Task
from app.db import utcnow


@dataclass(frozen=True)
class Chart:
    """What the chart template reads, by the names it reads them."""

    patient: User
    plan: CarePlan
    meds: list[Medication]
    measures: list[Assessment]
    care_consent: CareConsent | None
    is_team: bool  # anyone but the patient: a team member or a clinician with emergency access
    is_prescriber: bool
    on_team: bool  # a current team member (logs minutes, exports the record)
    notes: list[HandoffNote]
    team: list[User]
    author_names: dict[int, str]
    patient_tasks: list[tuple[Task, None, User]]
    header: chart_header.ChartHeader
    med_extras: dict[int, dict[str, Any]]  # route, who discontinued, earlier doses (``medication_history``)
    med_names: dict[int, str]  # who prescribed, changed or discontinued

    def context(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def chart(user: User, patient_id: int, now: datetime | None = None) -> Chart:
    """The chart as ``user`` may see it; 404 for anyone who may not read the record. The header's age
    is counted on the patient's own calendar day at ``now``."""
    now = now or utcnow()
    found = access.grant(user, patient_id)
    notes: list[HandoffNote] = []
    tasks: list[tuple[Task, None, User]] = []
    team = handoff.team_members(patient_id)  # the header names the team to the patient too
    if found.is_team:
        notes = service.note_rows(patient_id)
        tasks = handoff.open_tasks_about(patient_id)
    meds = service.medications(patient_id)
    extras = service.medication_extras(patient_id, meds)
    measures = service.assessment_rows(patient_id, None)
    care_consent = consent.current(patient_id)
    header = chart_header.build(
        found.patient,
        now.astimezone(ZoneInfo(found.patient.timezone)).date(),
        team,
        measures,
        care_consent,
        patient_visits.next_and_last(patient_id, now),
        # The team sees the intake only once there is a team and the patient consented: asked only then.
        intake_port.latest(patient_id) if team and care_consent is not None else None,
    )
    view = Chart(
        patient=found.patient,
        plan=service.plan_of(patient_id),
        meds=meds,
        measures=measures,
        care_consent=care_consent,
        is_team=found.is_team,
        is_prescriber=found.is_prescriber,
        on_team=found.on_team,
        notes=notes,
        team=team,
        author_names=_author_names(notes, team),
        patient_tasks=tasks,
        header=header,
        med_extras=extras,
        med_names=_med_names(meds, extras, team),
    )
    audit.record("care_plan.read", actor=user, patient_id=patient_id, object_type="chart")
    audit.commit_keeping_loaded()
    return view


@dataclass(frozen=True)
class HistoryPage:
    """The plan's history page: every version, oldest first, the names it shows, and the header."""

    found: access.Grant
    versions: list[CarePlanVersion]
    names: dict[int, str]  # who changed each version, and the interventions' owners
    header: chart_header.ChartHeader


def history_page(user: User, patient_id: int, now: datetime | None = None) -> HistoryPage:
    """One read use case: access once (404 for strangers), the versions, the names, the header, one
    audit row (``care_plan.history``) and one commit."""
    found = access.grant(user, patient_id)
    versions = service.version_rows(patient_id)
    ids = {v.updated_by for v in versions if v.updated_by is not None}
    ids |= {
        i["owner_id"]
        for v in versions
        for i in v.snapshot.get("interventions") or []
        if isinstance(i.get("owner_id"), int)
    }
    view = HistoryPage(found, versions, names_by_id(ids), header_of(found.patient, now))
    audit.record("care_plan.history", actor=user, patient_id=patient_id, object_type="care_plan")
    audit.commit_keeping_loaded()
    return view


def scores_page(user: User, patient_id: int, now: datetime | None = None) -> tuple[User, chart_header.ChartHeader]:
    """The visit-scores form for a team member (403 for the patient, 404 for strangers) with the chart
    header; the header shows the latest check-in scores, so the read is audited (``assessment.read``)."""
    patient = access.team_only(user, patient_id)
    header = header_of(patient, now)
    audit.record("assessment.read", actor=user, patient_id=patient_id, object_type="chart_header")
    audit.commit_keeping_loaded()
    return patient, header


@dataclass(frozen=True)
class MinutesPage:
    report: minutes.MonthReport
    names: dict[int, str]  # who logged each entry
    header: chart_header.ChartHeader


def minutes_page(user: User, patient_id: int, month: date, bands: CocmBands) -> MinutesPage:
    """The month's care-minutes report for a current team member with the chart header: one access
    check, one audit row (``care_minutes.read``), one commit."""
    report = minutes.month_report_rows(user, patient_id, month, bands)
    view = MinutesPage(report, minutes.names_for(report.entries), header_of(report.patient))
    audit.commit_keeping_loaded()
    return view


def header_of(patient: User, now: datetime | None = None) -> chart_header.ChartHeader:
    """The chart header, inside a chart sub-page's use case (above) that decided access to ``patient``
    and records the read: this only loads what the header shows."""
    now = now or utcnow()
    team = handoff.team_members(patient.id)
    care_consent = consent.current(patient.id)
    return chart_header.build(
        patient,
        now.astimezone(ZoneInfo(patient.timezone)).date(),
        team,
        service.assessment_rows(patient.id, None),
        care_consent,
        patient_visits.next_and_last(patient.id, now),
        intake_port.latest(patient.id) if team and care_consent is not None else None,
    )


def _author_names(notes: list[HandoffNote], team: list[User]) -> dict[int, str]:
    """Names of the notes' authors: the teammates are loaded already; only former members are asked for."""
    known = {m.id: m.name for m in team}
    return known | names_by_id({n.author_id for n in notes} - known.keys())


def _med_names(meds: list[Medication], extras: dict[int, dict[str, Any]], team: list[User]) -> dict[int, str]:
    """Names of whoever prescribed, changed or discontinued a medication (one query, none without any)."""
    ids: set[int | None] = {m.prescribed_by for m in meds}
    for more in extras.values():
        ids.add(more.get("discontinued_by"))
        ids |= {h.get("changed_by") for h in more.get("history") or []}
        ids |= {h.get("set_by") for h in more.get("history") or []}
    known = {m.id: m.name for m in team}
    return known | names_by_id({i for i in ids if isinstance(i, int)} - known.keys())

"""Care team, care plan and measures API (contract section "Care team, care plan, measures")."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from app import access
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint
from app.care_team import access as care_access
from app.care_team import caseload_view, handoff, service
from app.care_team.assessment import Assessment
from app.care_team.measures import Instrument
from app.care_team.medication import Medication
from app.care_team.plan import CarePlan
from app.care_team.plan_diff import version_changes
from app.care_team.schemas import (
    AssessmentIn,
    AssessmentOut,
    AssessmentQuery,
    CaseloadRow,
    DiscontinueIn,
    DoseOut,
    EmergencyIn,
    EmergencyOut,
    MedicationChangeIn,
    MedicationIn,
    MedicationOut,
    NoteIn,
    NoteOut,
    PlanChangeOut,
    PlanOut,
    PlanPatch,
    TaskEventOut,
    TaskIn,
    TaskOut,
    TeamMemberOut,
    VersionOut,
)
from app.care_team.task import Task
from app.reference.roles import Role

P = "/patients/<int:patient_id>"
TAGS = ["care team"]


def _med(m: Medication, extras: dict[str, Any] | None = None) -> MedicationOut:
    out = MedicationOut.model_validate(m, from_attributes=True)
    return out.model_copy(update=_extras_out(extras or {}))


def _extras_out(extras: dict[str, Any]) -> dict[str, Any]:
    return {
        "route": extras.get("route"),
        "discontinued_by": extras.get("discontinued_by"),
        "history": [DoseOut.model_validate(h) for h in extras.get("history") or []],
    }


def _plan_out(plan: CarePlan, meds: list[Medication], extras: dict[int, dict[str, Any]] | None = None) -> PlanOut:
    return PlanOut(
        patient_id=plan.patient_id,
        version=plan.version,
        problems=plan.problems,
        goals=plan.goals,
        interventions=plan.interventions,
        medications=[_med(m, (extras or {}).get(m.id)) for m in meds],
        updated_at=plan.updated_at,
        updated_by=plan.updated_by,
    )


@endpoint(api_bp, P + "/care-team", access_rule=access.ANY_USER, response=list[TeamMemberOut], errors=[404], tags=TAGS)
def care_team(patient_id: int) -> list[TeamMemberOut]:
    """The patient's care team."""
    return [
        TeamMemberOut(clinician_id=u.id, name=u.name, clinical_role=role)
        for u, role in service.team(current_user, patient_id)
    ]


@endpoint(
    api_bp,
    P + "/care-team/<int:clinician_id>",
    methods=["DELETE"],
    access_rule=access.ANY_USER,
    status=204,
    errors=[403, 404],
    tags=TAGS,
)
def remove_team_member(patient_id: int, clinician_id: int) -> None:
    """The patient removes a clinician from their team."""
    service.remove_member(current_user, patient_id, clinician_id)


@endpoint(api_bp, P + "/care-plan", access_rule=access.ANY_USER, response=PlanOut, errors=[404], tags=TAGS)
def get_care_plan(patient_id: int) -> PlanOut:
    """The shared care plan."""
    return _plan_out(*service.plan_with_history(current_user, patient_id))


@endpoint(
    api_bp,
    P + "/care-plan",
    methods=["PATCH"],
    access_rule=access.ANY_USER,
    body=PlanPatch,
    response=PlanOut,
    errors=[403, 404, 409],
    tags=TAGS,
)
def patch_care_plan(patient_id: int, body: PlanPatch) -> PlanOut:
    """Replace the named lists (409 version_conflict when base_version is stale)."""
    # Each named list is stored whole, defaults included (a goal sent without ``status`` is "active");
    # a list sent as null is left as it is.
    changes: dict[str, list[Any]] = {
        name: [item.model_dump(mode="json") for item in getattr(body, name)]
        for name in ("problems", "goals", "interventions")
        if name in body.model_fields_set and getattr(body, name) is not None
    }
    plan = service.patch_plan(current_user, patient_id, body.base_version, changes)
    return _plan_out(plan, service.medications(patient_id))


@endpoint(
    api_bp, P + "/care-plan/versions", access_rule=access.ANY_USER, response=list[VersionOut], errors=[404], tags=TAGS
)
def care_plan_versions(patient_id: int) -> list[VersionOut]:
    """Every version of the plan, oldest first, each with what changed against the one before."""
    rows = service.versions(current_user, patient_id)
    changes = version_changes([v.snapshot for v in rows])
    return [
        VersionOut(
            version=v.version,
            updated_at=v.updated_at,
            updated_by=v.updated_by,
            summary=v.summary,
            changes=[PlanChangeOut.model_validate(c.as_dict()) for c in cs],
        )
        for v, cs in zip(rows, changes, strict=True)
    ]


@endpoint(
    api_bp,
    P + "/care-plan/medications",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=MedicationIn,
    response=MedicationOut,
    status=201,
    errors=[403, 404, 409],
    tags=TAGS,
)
def add_medication(patient_id: int, body: MedicationIn) -> MedicationOut:
    """A prescriber on the team starts a medication (409 duplicate_active for a second active one of
    the same name, unless confirm_duplicate is true)."""
    data = body.model_dump(exclude={"confirm_duplicate"})
    med = service.add_medication(current_user, patient_id, data, confirm_duplicate=body.confirm_duplicate)
    return _med(med, {"route": body.route or None})


@endpoint(
    api_bp,
    P + "/care-plan/medications/<int:med_id>/change",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=MedicationChangeIn,
    response=MedicationOut,
    errors=[403, 404, 409],
    tags=TAGS,
)
def change_medication(patient_id: int, med_id: int, body: MedicationChangeIn) -> MedicationOut:
    """A prescriber on the team changes the dose (and frequency) with a reason; earlier doses are kept in history."""
    return _med(*service.change_medication(current_user, patient_id, med_id, body.model_dump()))


@endpoint(
    api_bp,
    P + "/care-plan/medications/<int:med_id>/discontinue",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=DiscontinueIn,
    response=MedicationOut,
    errors=[403, 404, 409],
    tags=TAGS,
)
def discontinue_medication(patient_id: int, med_id: int, body: DiscontinueIn) -> MedicationOut:
    """A prescriber on the team discontinues a medication, with the reason."""
    return _med(*service.discontinue_with_history(current_user, patient_id, med_id, body.reason))


@endpoint(
    api_bp,
    P + "/notes",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=NoteIn,
    response=NoteOut,
    status=201,
    errors=[403, 404],
    tags=TAGS,
)
def add_note(patient_id: int, body: NoteIn) -> NoteOut:
    """A handoff note for the team (not shown to the patient); each teammate it @mentions gets a task."""
    note, _ = handoff.add_note(current_user, patient_id, body.body)
    return NoteOut.model_validate(note, from_attributes=True)


@endpoint(
    api_bp,
    P + "/tasks",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=TaskIn,
    response=TaskOut,
    status=201,
    errors=[403, 404],
    tags=TAGS,
)
def create_task(patient_id: int, body: TaskIn) -> TaskOut:
    """A team member opens a task about the patient for a teammate (422 when the owner is not on the team)."""
    task = handoff.create_task(
        current_user, patient_id, body.title, body.owner_id, body.due, urgent=body.priority == "urgent"
    )
    return _task_out(task)


@endpoint(
    api_bp,
    P + "/tasks",
    methods=["GET"],
    access_rule=access.ANY_USER,
    response=list[TaskOut],
    errors=[403, 404],
    tags=TAGS,
)
def list_tasks(patient_id: int) -> list[TaskOut]:
    """The patient's open tasks, urgent first then by due date, each with its history (team members;
    403 for the patient, 404 for everyone else)."""
    return [_task_out(task) for task, _, _ in handoff.patient_open_tasks(current_user, patient_id)]


def _task_out(task: Task) -> TaskOut:
    return TaskOut(
        id=task.id,
        patient_id=task.patient_id,
        owner_id=task.owner_id,
        title=task.title,
        priority="urgent" if task.urgent else "normal",
        status=task.status,
        kind="safety" if task.is_safety else None,
        due_at=task.due_at,
        created_at=task.created_at,
        history=[TaskEventOut.model_validate(e, from_attributes=True) for e in task.events],
    )


def _assessment_out(a: Assessment) -> AssessmentOut:
    out = AssessmentOut(id=a.id, instrument=a.instrument, score=a.score, severity=a.severity, created_at=a.created_at)
    if a.instrument == Instrument.PHQ9:
        out.item9_positive = (a.item9 or 0) > 0
        if out.item9_positive:
            out.crisis_resources = service.CRISIS_RESOURCES
    return out


@endpoint(
    api_bp,
    P + "/assessments",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=AssessmentIn,
    response=AssessmentOut,
    status=201,
    errors=[404],
    tags=TAGS,
)
def add_assessment(patient_id: int, body: AssessmentIn) -> AssessmentOut:
    """A PHQ-9 or GAD-7 check-in."""
    return _assessment_out(service.add_assessment(current_user, patient_id, body.instrument, body.answers))


@endpoint(
    api_bp,
    P + "/assessments",
    access_rule=access.ANY_USER,
    query=AssessmentQuery,
    response=list[AssessmentOut],
    errors=[404],
    tags=TAGS,
)
def list_assessments(patient_id: int, query: AssessmentQuery) -> list[AssessmentOut]:
    """Check-ins, oldest first."""
    return [_assessment_out(a) for a in service.assessments(current_user, patient_id, query.instrument)]


@endpoint(api_bp, "/caseload", access_rule=access.roles(Role.CLINICIAN), response=list[CaseloadRow], tags=TAGS)
def caseload() -> list[CaseloadRow]:
    """One row per patient on the caller's care teams."""
    rows, contacts = caseload_view.caseload_with_contacts(current_user)
    return [
        CaseloadRow(
            patient_id=u.id,
            name=u.name,
            baseline_phq9=s.baseline_phq9,
            latest_phq9=s.latest_phq9,
            change_percent=s.change_percent,
            weeks_in_care=s.weeks_in_care,
            flags=list(s.flags),
            last_contact=contacts.get(u.id),
        )
        for u, s in rows
    ]


@endpoint(
    api_bp,
    P + "/emergency-access",
    methods=["POST"],
    access_rule=access.ANY_USER,
    body=EmergencyIn,
    response=EmergencyOut,
    status=201,
    errors=[403, 404, 409],
    tags=TAGS,
)
def emergency_access(patient_id: int, body: EmergencyIn) -> EmergencyOut:
    """Break the glass: 60 minutes of access to a patient not on your team, with a stated reason."""
    care_access.clinician_for(current_user, patient_id)  # 403 for the patient, 404 for anyone else
    grant = service.break_glass(current_user, patient_id, body.reason)
    return EmergencyOut(patient_id=grant.patient_id, expires_at=grant.expires_at)

"""Collaborative-care use cases. Every read and change of a patient's record is audited; each use
case commits once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError

from app.accounts.user import User
from app.audit import service as audit
from app.care_team import access, handoff, medication_history, safety_task
from app.care_team.assessment import Assessment
from app.care_team.emergency import EmergencyAccess
from app.care_team.measures import Instrument, InvalidAnswers, Measurement, score_assessment, summarize
from app.care_team.medication import Medication, MedicationStatus
from app.care_team.member import CareTeamMember
from app.care_team.note import HandoffNote
from app.care_team.plan import CarePlan, CarePlanVersion
from app.care_team.task import Task, opened
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.reference import crisis

CRISIS_RESOURCES = crisis.RESOURCES  # what the API returns with a positive item 9 (and a message in crisis words)


class DuplicateActive(Conflict):
    code = "duplicate_active"
    message = "This patient already has an active medication with that name. Confirm to add a second one."


class VersionConflict(Conflict):
    code = "version_conflict"
    message = "The care plan changed since you opened it. Reload, then apply your change again."


def team(user: User, patient_id: int) -> list[tuple[User, str]]:
    access.patient_or_team(user, patient_id)
    members = handoff.team_members(patient_id)
    audit.record("care_team.read", actor=user, patient_id=patient_id, object_type="care_team")
    audit.commit_keeping_loaded()
    return [(m, m.clinician.clinical_role if m.clinician else "") for m in members]


def remove_member(patient: User, patient_id: int, clinician_id: int) -> None:
    """The patient removes a clinician from their team; access ends at once."""
    access.patient_only(patient, patient_id)  # 403 for the team, 404 for strangers
    removed = cast(
        CursorResult[Any],
        db.session.execute(
            delete(CareTeamMember).where(
                CareTeamMember.patient_id == patient_id, CareTeamMember.clinician_id == clinician_id
            )
        ),
    ).rowcount
    if not removed:
        raise NotFound("That clinician is not on your care team.")
    audit.record(
        "care_team.remove", actor=patient, patient_id=patient_id, object_type="clinician", object_id=clinician_id
    )
    db.session.commit()


def plan_of(patient_id: int) -> CarePlan:
    """The patient's plan (not audited: the caller decided access and records the read); an empty,
    unsaved one at version 0 when nobody wrote one yet."""
    plan = db.session.scalar(select(CarePlan).where(CarePlan.patient_id == patient_id))
    return plan or CarePlan(patient_id=patient_id, version=0, problems=[], goals=[], interventions=[], updated_at=None)


def _locked_plan(patient_id: int) -> CarePlan:
    """The patient's plan row, locked for this transaction. A patient without one gets an empty one
    first, inserted or skipped (``ON CONFLICT DO NOTHING``): concurrent first writers (three
    prescribers adding the first medications at once) then all lock that one row and take turns,
    instead of each inserting its own and all but one failing on the primary key."""
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    table = CarePlan.__table__
    db.session.execute(
        dialect.insert(table)
        .values(patient_id=patient_id, version=0, problems=[], goals=[], interventions=[], updated_at=utcnow())
        .on_conflict_do_nothing(index_elements=[table.c.patient_id])
    )
    query = select(CarePlan).where(CarePlan.patient_id == patient_id).with_for_update()
    return db.session.scalars(query.execution_options(populate_existing=True)).one()


def medications(patient_id: int) -> list[Medication]:
    return list(
        db.session.scalars(select(Medication).where(Medication.patient_id == patient_id).order_by(Medication.id))
    )


def _med_dict(m: Medication) -> dict[str, Any]:
    return {
        "id": m.id,
        "name": m.name,
        "dose": m.dose,
        "frequency": m.frequency,
        "instructions": m.instructions,
        "status": m.status,
        "prescribed_by": m.prescribed_by,
        "started_at": m.started_at.isoformat(),
        "discontinued_at": m.discontinued_at.isoformat() if m.discontinued_at else None,
        "reason": m.reason,
    }


def get_plan(user: User, patient_id: int) -> tuple[CarePlan, list[Medication]]:
    plan, meds, _ = plan_with_history(user, patient_id)
    return plan, meds


def plan_with_history(user: User, patient_id: int) -> tuple[CarePlan, list[Medication], dict[int, dict[str, Any]]]:
    """The plan, its medications and each medication's extras (route, history), in one transaction."""
    access.patient_or_team(user, patient_id)
    plan, meds = plan_of(patient_id), medications(patient_id)
    extras = medication_extras(patient_id, meds)
    audit.record("care_plan.read", actor=user, patient_id=patient_id, object_type="care_plan")
    audit.commit_keeping_loaded()  # one transaction: the reads, then the audit row
    return plan, meds, extras


def medication_extras(patient_id: int, meds: list[Medication]) -> dict[int, dict[str, Any]]:
    """Route, who discontinued and earlier doses per medication; no query when there is none."""
    return medication_history.latest(patient_id) if meds else {}


def _new_version(
    plan: CarePlan,
    actor: User,
    summary: str,
    now: datetime,
    med_extras: dict[int, dict[str, Any]] | None = None,
) -> None:
    """The next version of the plan; each medication keeps the extras the version before gave it
    (``medication_history``), with ``med_extras`` laid over them."""
    extras = medication_history.latest(plan.patient_id)
    for med_id, more in (med_extras or {}).items():
        extras[med_id] = extras.get(med_id, {}) | more
    plan.version += 1
    plan.updated_at, plan.updated_by = now, actor.id
    db.session.add(plan)
    db.session.flush()
    snapshot = {
        "problems": plan.problems,
        "goals": plan.goals,
        "interventions": plan.interventions,
        "medications": [_med_dict(m) | extras.get(m.id, {}) for m in medications(plan.patient_id)],
    }
    db.session.add(
        CarePlanVersion(
            patient_id=plan.patient_id,
            version=plan.version,
            snapshot=snapshot,
            summary=summary[:300],
            updated_at=now,
            updated_by=actor.id,
        )
    )


def patch_plan(
    user: User,
    patient_id: int,
    base_version: int,
    changes: dict[str, list[Any]],
    now: datetime | None = None,
    summary: str | None = None,
) -> CarePlan:
    """Replace the named lists, only if nobody changed the plan since ``base_version``; ``summary`` says
    what changed in words (default: which lists changed)."""
    now = now or utcnow()
    access.team_only(user, patient_id)
    plan = _locked_plan(patient_id)
    if plan.version != base_version:
        raise VersionConflict(current_version=plan.version)
    if "interventions" in changes:
        _check_owners(patient_id, plan, changes["interventions"])
    for field, items in changes.items():
        setattr(plan, field, items)
    _new_version(plan, user, summary or f"{', '.join(sorted(changes)) or 'nothing'} changed", now)
    audit.record("care_plan.update", actor=user, patient_id=patient_id, object_type="care_plan", object_id=plan.version)
    _commit_version(patient_id)
    return plan


def _check_owners(patient_id: int, plan: CarePlan, items: list[dict[str, Any]]) -> None:
    """An intervention's owner is on this patient's care team (or already owned it in the current plan):
    never another patient or a stranger, whose name the plan history would then show to the team."""
    allowed: set[Any] = set(
        db.session.scalars(select(CareTeamMember.clinician_id).where(CareTeamMember.patient_id == patient_id))
    )
    allowed |= {i.get("owner_id") for i in plan.interventions or [] if isinstance(i, dict)}
    wrong = {
        f"interventions.{n}.owner_id": "must be a clinician on this patient's care team"
        for n, item in enumerate(items)
        if item.get("owner_id") is not None and item["owner_id"] not in allowed
    }
    if wrong:
        raise Invalid(wrong)


def _commit_version(patient_id: int) -> None:
    try:
        db.session.commit()
    except IntegrityError as exc:  # two first edits raced to create version 1
        db.session.rollback()
        raise VersionConflict(current_version=plan_of(patient_id).version) from exc


def versions(user: User, patient_id: int) -> list[CarePlanVersion]:
    return history(user, patient_id)[1]


def history(user: User, patient_id: int) -> tuple[access.Grant, list[CarePlanVersion]]:
    """Every version of the plan, oldest first, with the access decision: one check, one audit row, one commit."""
    found = access.grant(user, patient_id)
    rows = version_rows(patient_id)
    audit.record("care_plan.history", actor=user, patient_id=patient_id, object_type="care_plan")
    audit.commit_keeping_loaded()
    return found, rows


def version_rows(patient_id: int) -> list[CarePlanVersion]:
    """Every version of the plan, oldest first (not audited: the caller decided access and records the read)."""
    query = select(CarePlanVersion).where(CarePlanVersion.patient_id == patient_id).order_by(CarePlanVersion.version)
    return list(db.session.scalars(query))


def add_medication(
    user: User,
    patient_id: int,
    data: dict[str, Any],
    now: datetime | None = None,
    *,
    confirm_duplicate: bool = False,
) -> Medication:
    """A prescriber on the team starts a medication (``data``: name, dose, frequency, instructions and
    optionally route and started_on, a date). A second active medication of the same name
    (case-insensitive) is 409 ``duplicate_active`` unless ``confirm_duplicate``."""
    now = now or utcnow()
    access.prescriber_on_team(user, patient_id)
    plan = _locked_plan(patient_id)  # first: concurrent changes of one patient's plan take turns
    fields = dict(data)
    route = fields.pop("route", None) or None
    started_on = fields.pop("started_on", None)
    fields.pop("confirm_duplicate", None)
    if not confirm_duplicate and _active_named(patient_id, fields["name"]):
        raise DuplicateActive()
    started_at = now if started_on is None else datetime.combine(started_on, now.timetz())
    med = Medication(
        patient_id=patient_id,
        status=MedicationStatus.ACTIVE.value,
        prescribed_by=user.id,
        started_at=started_at,
        **fields,
    )
    db.session.add(med)
    db.session.flush()
    _new_version(plan, user, f"medication added: {med.name}", now, {med.id: {"route": route, "history": []}})
    audit.record("medication.add", actor=user, patient_id=patient_id, object_type="medication", object_id=med.id)
    db.session.commit()
    return med


def _active_named(patient_id: int, name: str) -> bool:
    wanted = name.strip().casefold()
    return any(
        m.name.strip().casefold() == wanted
        for m in db.session.scalars(
            select(Medication).where(Medication.patient_id == patient_id, Medication.status == MedicationStatus.ACTIVE)
        )
    )


def _active_medication(patient_id: int, med_id: int) -> Medication:
    med = db.session.get(Medication, med_id, populate_existing=True)
    if med is None or med.patient_id != patient_id:
        raise NotFound()
    if med.status != MedicationStatus.ACTIVE:
        raise Conflict("This medication is already discontinued.")
    return med


def change_medication(
    user: User,
    patient_id: int,
    med_id: int,
    change: dict[str, Any],
    now: datetime | None = None,
) -> tuple[Medication, dict[str, Any]]:
    """A prescriber on the team changes an active medication's dose (``change``: dose, frequency or
    None to keep it, reason). The dose before is kept in the medication's history with who set it,
    since when, who changed it and why; returns the medication and its extras (route, history)."""
    now = now or utcnow()
    access.prescriber_on_team(user, patient_id)
    plan = _locked_plan(patient_id)  # first: two changes of one medication take turns, none is lost
    med = _active_medication(patient_id, med_id)
    extras = medication_history.latest(patient_id).get(med.id, {})
    history = list(extras.get("history") or [])
    since = history[-1]["until"] if history else med.started_at.isoformat()
    set_by = history[-1]["changed_by"] if history else med.prescribed_by
    history.append(
        {
            "dose": med.dose,
            "frequency": med.frequency,
            "since": since,
            "set_by": set_by,
            "until": now.isoformat(),
            "changed_by": user.id,
            "reason": change["reason"],
        }
    )
    med.dose = change["dose"]
    med.frequency = change.get("frequency") or med.frequency
    extras = extras | {"history": history}
    _new_version(plan, user, f"medication changed: {med.name} {med.dose}", now, {med.id: extras})
    audit.record("medication.change", actor=user, patient_id=patient_id, object_type="medication", object_id=med.id)
    db.session.commit()
    return med, extras


def discontinue_medication(
    user: User, patient_id: int, med_id: int, reason: str, now: datetime | None = None
) -> Medication:
    return discontinue_with_history(user, patient_id, med_id, reason, now)[0]


def discontinue_with_history(
    user: User, patient_id: int, med_id: int, reason: str, now: datetime | None = None
) -> tuple[Medication, dict[str, Any]]:
    """A prescriber on the team discontinues an active medication with a reason; returns it with its
    extras (route, who discontinued, earlier doses)."""
    now = now or utcnow()
    access.prescriber_on_team(user, patient_id)
    plan = _locked_plan(patient_id)  # first: a second discontinue of the same medication waits, then sees it
    med = _active_medication(patient_id, med_id)
    med.status, med.discontinued_at, med.reason = MedicationStatus.DISCONTINUED.value, now, reason
    extras = medication_history.latest(patient_id).get(med.id, {}) | {"discontinued_by": user.id}
    _new_version(plan, user, f"medication discontinued: {med.name}", now, {med.id: extras})
    audit.record(
        "medication.discontinue", actor=user, patient_id=patient_id, object_type="medication", object_id=med.id
    )
    db.session.commit()
    return med, extras


def add_assessment(
    user: User, patient_id: int, instrument: str, answers: list[int], now: datetime | None = None
) -> Assessment:
    """Score and keep a PHQ-9/GAD-7. A PHQ-9 with item 9 above 0 opens an urgent task for every team
    member (same-day follow-up), or adds to the one still open — the caller shows the patient the
    crisis lines at once."""
    now = now or utcnow()
    access.patient_or_team(user, patient_id)
    try:
        score = score_assessment(instrument, answers)
    except InvalidAnswers as exc:
        raise Invalid({"answers": exc.reason}) from exc
    row = Assessment(
        patient_id=patient_id,
        instrument=instrument,
        answers=list(answers),
        score=score.total,
        severity=score.severity,
        item9=answers[8] if instrument == Instrument.PHQ9 else None,
        entered_by=user.id,
        created_at=now,
    )
    db.session.add(row)
    db.session.flush()
    if score.item9_positive:
        safety_task.open_or_add(user, row, now)
    audit.record("assessment.create", actor=user, patient_id=patient_id, object_type="assessment", object_id=row.id)
    db.session.commit()
    return row


def safety_task_for_each_member(user: User, patient_id: int, now: datetime, title: str) -> None:
    """The same-day safety task of every team member for a reason other than a check-in (messaging: a
    patient wrote in crisis words): opened with ``title``, or added to while one is open
    (``care_team/safety_task.py``: one open safety task per patient and owner, held by the database)."""
    safety_task.open_or_add_for(user, safety_task.Trigger.crisis_message(patient_id, title), now)


def _urgent_task_for_each_member(
    patient_id: int,
    title: str,
    *,
    actor_id: int | None,
    due_at: datetime | None = None,
    created_at: datetime | None = None,
) -> None:
    """An urgent task for every clinician on the patient's care team (a break-glass), opened by ``actor_id``."""
    at = created_at or utcnow()
    for member_id in db.session.scalars(
        select(CareTeamMember.clinician_id).where(CareTeamMember.patient_id == patient_id)
    ):
        db.session.add(
            Task(
                patient_id=patient_id,
                owner_id=member_id,
                urgent=True,
                due_at=due_at,
                title=title,
                created_at=at,
                events=[opened(actor_id, at)],
            )
        )


def assessments(user: User, patient_id: int, instrument: str | None) -> list[Assessment]:
    access.patient_or_team(user, patient_id)
    rows = assessment_rows(patient_id, instrument)
    audit.record("assessment.read", actor=user, patient_id=patient_id, object_type="assessment")
    audit.commit_keeping_loaded()
    return rows


def assessment_rows(patient_id: int, instrument: str | None) -> list[Assessment]:
    """The patient's check-ins, oldest first (not audited: the caller decided access and records the read)."""
    query = select(Assessment).where(Assessment.patient_id == patient_id).order_by(Assessment.created_at, Assessment.id)
    if instrument:
        query = query.where(Assessment.instrument == instrument)
    return list(db.session.scalars(query))


def caseload(clinician: User, now: datetime | None = None) -> list[tuple[Any, Any]]:
    """One row per patient on the clinician's teams, with the treat-to-target summary. Each patient
    is a row with ``id``, ``name`` and ``added_at`` only, not a ``User``: a team of 10,000 must not
    build 10,000 ORM objects (the time and the worker's memory both grew with them)."""
    rows = caseload_rows(clinician, now)
    audit.commit_keeping_loaded()
    return rows


def caseload_rows(clinician: User, now: datetime | None = None) -> list[tuple[Any, Any]]:
    """``caseload`` with the audit rows added to the session but not committed: for a use case that
    reads more and commits once."""
    now = now or utcnow()
    return [(m, summarize(history, now, m.added_at)) for m, history in _team_phq9(clinician, "caseload.read")]


def team_phq9(clinician: User, audit_action: str) -> list[tuple[Any, list[Measurement]]]:
    """Each patient on the clinician's teams (a row: ``id``, ``name``, ``added_at``) with their PHQ-9
    history, in two queries; the read is audited as ``audit_action`` on each listed patient's record
    (one bulk insert), so it shows in every one of those patients' "who viewed my record"."""
    rows = _team_phq9(clinician, audit_action)
    audit.commit_keeping_loaded()
    return rows


def _team_phq9(clinician: User, audit_action: str) -> list[tuple[Any, list[Measurement]]]:
    clinician_id = clinician.id
    team = select(CareTeamMember.patient_id).where(CareTeamMember.clinician_id == clinician_id)
    members = db.session.execute(
        select(User.id, User.name, CareTeamMember.added_at)
        .join(CareTeamMember, CareTeamMember.patient_id == User.id)
        .where(CareTeamMember.clinician_id == clinician_id)
    ).all()
    history: dict[int, list[Measurement]] = {m.id: [] for m in members}
    if members:
        rows = db.session.execute(
            select(Assessment.patient_id, Assessment.created_at, Assessment.score, Assessment.item9).where(
                Assessment.patient_id.in_(team), Assessment.instrument == Instrument.PHQ9
            )
        )
        for pid, at, total, item9 in rows:
            history[pid].append(Measurement(at, total, item9 or 0))
    audit.record_patients(audit_action, actor=clinician, patient_ids=[m.id for m in members], object_type="caseload")
    return [(m, history[m.id]) for m in members]


def notes(user: User, patient_id: int) -> list[HandoffNote]:
    access.team_only(user, patient_id)
    rows = note_rows(patient_id)
    audit.record("note.read", actor=user, patient_id=patient_id, object_type="note")
    audit.commit_keeping_loaded()
    return rows


def note_rows(patient_id: int) -> list[HandoffNote]:
    """The patient's handoff notes, newest first (not audited: the caller decided access and records the read)."""
    query = select(HandoffNote).where(HandoffNote.patient_id == patient_id).order_by(HandoffNote.created_at.desc())
    return list(db.session.scalars(query))


EMERGENCY_WINDOW = timedelta(minutes=60)


def break_glass(clinician: User, patient_id: int, reason: str, now: datetime | None = None) -> EmergencyAccess:
    """A clinician not on the team opens the record for 60 minutes with a stated reason; the grant is
    audited and every team member gets a task saying who, when and why."""
    now = now or utcnow()
    access.find_patient(patient_id)
    if access.on_team(clinician.id, patient_id):
        raise Conflict("You are on this patient's care team already.")
    grant = EmergencyAccess(
        clinician_id=clinician.id,
        patient_id=patient_id,
        reason=reason,
        granted_at=now,
        expires_at=now + EMERGENCY_WINDOW,
    )
    db.session.add(grant)
    db.session.flush()
    _urgent_task_for_each_member(
        patient_id,
        f"Emergency access by {clinician.name} at {now:%Y-%m-%d %H:%M} UTC: {reason[:150]}",
        actor_id=clinician.id,
        created_at=now,
    )
    audit.record(
        "emergency_access", actor=clinician, patient_id=patient_id, object_type="emergency_access", object_id=grant.id
    )
    db.session.commit()
    return grant


def add_problems(user: User, patient_id: int, problems: list[dict[str, Any]], summary: str, now: datetime) -> list[str]:
    """Add coded problems (``Problem`` dicts, validated by the caller) to the list in the caller's
    transaction (no commit: a signed evaluation note writes its diagnoses with its signature), skipping
    a code already active on the list. A new plan version, its summary ``summary`` and the codes added,
    when anything was added; returns the codes added. Team members only."""
    access.team_only(user, patient_id)
    plan = _locked_plan(patient_id)
    active = {p.get("code") for p in plan.problems or [] if p.get("code") and p.get("status", "active") == "active"}
    added: list[dict[str, Any]] = []
    for problem in problems:
        if problem.get("code") not in active:
            active.add(problem.get("code"))
            added.append(problem)
    if not added:
        return []
    plan.problems = [*(plan.problems or []), *added]
    _new_version(plan, user, f"{summary}: {', '.join(str(p['code']) for p in added)}", now)
    audit.record("care_plan.update", actor=user, patient_id=patient_id, object_type="care_plan", object_id=plan.version)
    return [str(p["code"]) for p in added]

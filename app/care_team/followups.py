"""The care team's follow-ups. Each is idempotent (outbox and task dedupe keys), so running it twice,
or in two scheduler processes, texts and tasks once; each is visible to the care team as a task.

* a missed visit (no-show): a task for the clinician, opened when it is marked (``on_booking``; the
  text to rebook is booking's own, ``app.booking.texts.missed``);

The scheduler drives the rest (``run``):

* a completed psychiatric evaluation with no medication-management visit booked within 21 days:
  a text to book and a task for the prescriber;
* no PHQ-9 in the 14 days before a visit: a check-in link 2 days before it;
* a care plan not reviewed in 90 days: a task for every team member.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.accounts.user import User
from app.booking.appointment import Appointment, AppointmentStatus
from app.care_team.assessment import Assessment
from app.care_team.member import CareTeamMember
from app.care_team.plan import CarePlan
from app.care_team.task import Task, opened
from app.db import utcnow
from app.extensions import db
from app.sms import messages
from app.sms.outbox import enqueue
from app.sms.outbox_message import OutboxMessage

EVALUATION_FOLLOW_UP = timedelta(days=21)
CHECK_IN_BEFORE = timedelta(days=2)
CHECK_IN_FRESH = timedelta(days=14)
PLAN_REVIEW = timedelta(days=90)


def _base() -> str:
    return current_app.config["PUBLIC_BASE_URL"]


def _task(patient_id: int, owner_id: int, title: str, key: str, now: datetime, urgent: bool = False) -> None:
    if db.session.scalar(select(Task.id).where(Task.dedupe_key == key)) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(
                Task(
                    patient_id=patient_id,
                    owner_id=owner_id,
                    title=title,
                    dedupe_key=key,
                    urgent=urgent,
                    due_at=now + timedelta(days=1),
                    created_at=now,
                    events=[opened(None, now)],  # opened by the scheduler (or a missed visit), no one in person
                )
            )
    except IntegrityError:
        pass  # another scheduler opened it first


def missed_visit_task(appointment: Appointment, now: datetime) -> None:
    """The clinician's task after a no-show (in the marking's transaction)."""
    patient = db.session.get(User, appointment.patient_id)
    _task(
        appointment.patient_id,
        appointment.clinician_id,
        f"Reach out to {patient.name}: missed visit, offer a new time",
        f"task:no_show:{appointment.id}",
        now,
    )


def _evaluations(now: datetime) -> int:
    due = db.session.scalars(
        select(Appointment).where(
            Appointment.type == "psychiatric_evaluation",
            Appointment.status == AppointmentStatus.COMPLETED,
            Appointment.end_at <= now - EVALUATION_FOLLOW_UP,
            Appointment.end_at > now - EVALUATION_FOLLOW_UP * 3,
        )
    ).all()
    count = 0
    for evaluation in due:
        followed = db.session.scalar(
            select(Appointment.id)
            .where(
                Appointment.patient_id == evaluation.patient_id,
                Appointment.type == "medication_management",
                Appointment.status.in_((AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)),
                Appointment.start_at >= evaluation.start_at,
            )
            .limit(1)
        )
        key = f"appointment:{evaluation.id}:followup_evaluation"
        if followed is not None or db.session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == key)):
            continue  # booked, or already followed up
        patient = db.session.get(User, evaluation.patient_id)
        if enqueue(
            patient,
            kind="followup",
            body=messages.book_follow_up(f"{_base()}/clinicians/{evaluation.clinician_id}"),
            due_at=now,
            dedupe_key=key,
            appointment_id=evaluation.id,
        ):
            _task(
                evaluation.patient_id,
                evaluation.clinician_id,
                f"{patient.name}: no medication-management visit booked 21 days after the evaluation",
                f"task:evaluation:{evaluation.id}",
                now,
            )
            count += 1
    return count


def _check_ins(now: datetime) -> int:
    upcoming = db.session.scalars(
        select(Appointment).where(
            Appointment.status == AppointmentStatus.BOOKED,
            Appointment.start_at > now,
            Appointment.start_at <= now + CHECK_IN_BEFORE,
        )
    ).all()
    count = 0
    for appointment in upcoming:
        recent = db.session.scalar(
            select(Assessment.id)
            .where(
                Assessment.patient_id == appointment.patient_id,
                Assessment.instrument == "PHQ-9",
                Assessment.created_at >= appointment.start_at - CHECK_IN_FRESH,
            )
            .limit(1)
        )
        if recent is not None:
            continue
        patient = db.session.get(User, appointment.patient_id)
        enqueue(
            patient,
            kind="checkin_link",
            body=messages.check_in(appointment.start_at, patient.timezone, f"{_base()}/check-in"),
            due_at=now,
            dedupe_key=f"appointment:{appointment.id}:checkin_link",
            appointment_id=appointment.id,
            not_after=appointment.start_at,
        )
        count += 1
    return count


def _plan_reviews(now: datetime) -> int:
    stale = db.session.scalars(select(CarePlan).where(CarePlan.updated_at <= now - PLAN_REVIEW)).all()
    for plan in stale:
        members = db.session.scalars(
            select(CareTeamMember.clinician_id).where(CareTeamMember.patient_id == plan.patient_id)
        )
        for clinician_id in members:
            _task(
                plan.patient_id,
                clinician_id,
                "Review the care plan: no change in 90 days",
                f"task:plan_review:{plan.patient_id}:{plan.version}:{clinician_id}",
                now,
            )
    return len(stale)


def run(now: datetime | None = None) -> dict[str, int]:
    """One pass over every follow-up rule; commits once."""
    now = now or utcnow()
    result = {"evaluations": _evaluations(now), "check_ins": _check_ins(now), "plan_reviews": _plan_reviews(now)}
    db.session.commit()
    return result

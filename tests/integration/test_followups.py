"""Scheduler follow-ups: each idempotent, each visible to the care team as a task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.booking import openings
from app.booking import service as booking
from app.booking.appointment import Appointment
from app.care_team import followups
from app.care_team import service as care
from app.care_team.plan import CarePlan
from app.care_team.task import Task
from app.db import utcnow
from app.extensions import db
from app.sms.outbox_message import OutboxMessage

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


@pytest.fixture
def visit(make_patient, make_clinician):
    def make(kind="psychiatric_evaluation", credential="MD", days=1):
        patient = make_patient(phone="+12125550142", sms_opt_in=True)
        clinician = make_clinician(credential, licensed_states=["NY"])
        booking.update_availability(clinician, EVERY_DAY, actor=clinician)
        day = (utcnow() + timedelta(days=days)).date()
        start = openings.open_slots(clinician, kind, day, day, "America/New_York")[0][0]
        return patient, clinician, booking.book(patient, clinician.id, kind, start)

    return make


def _texts(kind):
    return list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_no_show_texts_the_patient_and_tasks_the_clinician_once(visit):
    patient, clinician, appointment = visit(kind="initial_consultation")
    booking.mark(clinician, appointment.id, "no_show", now=appointment.start_at)
    booking.mark(clinician, appointment.id, "no_show", now=appointment.start_at + timedelta(minutes=5))
    assert len(_texts("followup_no_show")) == 1
    tasks = db.session.scalars(db.select(Task).where(Task.owner_id == clinician.id)).all()
    assert len(tasks) == 1 and "missed visit" in tasks[0].title


def test_evaluation_without_medication_management_after_21_days(visit):
    patient, prescriber, evaluation = visit()
    booking.mark(prescriber, evaluation.id, "completed", now=evaluation.start_at)
    assert followups.run(now=evaluation.end_at + timedelta(days=20))["evaluations"] == 0
    later = evaluation.end_at + timedelta(days=22)
    assert followups.run(now=later)["evaluations"] == 1
    assert followups.run(now=later)["evaluations"] == 0  # idempotent
    assert len(_texts("followup")) == 1
    assert db.session.scalar(db.select(Task).where(Task.owner_id == prescriber.id, Task.title.contains("21 days")))


def test_no_follow_up_when_medication_management_was_booked(visit):
    patient, prescriber, evaluation = visit()
    booking.mark(prescriber, evaluation.id, "completed", now=evaluation.start_at)
    day = (evaluation.start_at + timedelta(days=3)).date()
    start = openings.open_slots(prescriber, "medication_management", day, day, "America/New_York")[0][0]
    booking.book(patient, prescriber.id, "medication_management", start)
    assert followups.run(now=evaluation.end_at + timedelta(days=22))["evaluations"] == 0


def test_check_in_link_two_days_before_when_no_recent_phq9(visit):
    patient, therapist, appointment = visit(kind="therapy_session", credential="LCSW", days=1)
    followups.run(now=utcnow())
    followups.run(now=utcnow())
    (text,) = _texts("checkin_link")
    assert "/check-in" in text.body and "PHQ" not in text.body


def test_recent_phq9_means_no_check_in_link(visit):
    patient, therapist, appointment = visit(kind="therapy_session", credential="LCSW", days=1)
    care.add_assessment(patient, patient.id, "PHQ-9", [1] * 9)
    followups.run(now=utcnow())
    assert _texts("checkin_link") == []


def test_stale_care_plan_opens_a_review_task_for_each_member(visit):
    patient, clinician, _ = visit(kind="initial_consultation")
    care.patch_plan(clinician, patient.id, 0, {"goals": [{"text": "Sleep", "status": "active"}]})
    plan = db.session.get(CarePlan, patient.id)
    followups.run(now=plan.updated_at + timedelta(days=91))
    followups.run(now=plan.updated_at + timedelta(days=92))
    reviews = db.session.scalars(db.select(Task).where(Task.title.contains("Review the care plan"))).all()
    assert len(reviews) == 1 and reviews[0].owner_id == clinician.id
    assert db.session.get(Appointment, _.id).status == "booked"

"""The care team's answers to booking's events (``app.booking.events``), run inside the booking's
transaction: a booked visit puts its clinician on the patient's care team, a missed one opens a task
for the clinician; a visit taken over by a colleague puts the colleague on the team, and a clinician
who leaves comes off every team. ``connect`` is called by
the composition root (``create_app``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from app.accounts.user import User
from app.audit import service as audit
from app.booking import events
from app.booking.appointment import Appointment
from app.care_team import followups
from app.care_team.member import CareTeamMember
from app.db import insert_skipping_existing
from app.extensions import db


def join_care_team(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    """The visit's clinician joins the patient's care team; the pair is unique, so a clinician
    already there is skipped by the database (no lookup first)."""
    insert = insert_skipping_existing(CareTeamMember, db.engine.dialect.name, "patient_id", "clinician_id")
    db.session.execute(
        insert, {"patient_id": appointment.patient_id, "clinician_id": appointment.clinician_id, "added_at": now}
    )


def join_after_reassignment(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    """A colleague who takes over a visit (its clinician left) joins the patient's team as if they had
    been booked."""
    join_care_team(appointment, now=now)


def leave_care_teams(clinician_id: int, *, now: datetime, actor: User, **_: Any) -> None:
    """A clinician who leaves the practice comes off every care team (their access ended with the
    account; they no longer appear to patients or receive the team's work). Each patient's trail
    records the removal; the membership history stays in the audit trail."""
    patient_ids = list(
        db.session.scalars(select(CareTeamMember.patient_id).where(CareTeamMember.clinician_id == clinician_id))
    )
    if not patient_ids:
        return
    db.session.execute(delete(CareTeamMember).where(CareTeamMember.clinician_id == clinician_id))
    for patient_id in patient_ids:
        audit.record("care_team.remove", actor=actor, patient_id=patient_id, object_type="clinician",
                     object_id=clinician_id)  # fmt: skip


def open_missed_visit_task(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    followups.missed_visit_task(appointment, now)


def connect() -> None:
    events.visit_booked.connect(join_care_team)
    events.visit_missed.connect(open_missed_visit_task)
    events.visit_reassigned.connect(join_after_reassignment)
    events.clinician_offboarded.connect(leave_care_teams)

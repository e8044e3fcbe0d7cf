"""The care team's answers to booking's events (``app.booking.events``), run inside the booking's
transaction: a booked visit puts its clinician on the patient's care team, a missed one opens a task
for the clinician. ``connect`` is called by
the composition root (``create_app``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

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


def open_missed_visit_task(appointment: Appointment, *, now: datetime, **_: Any) -> None:
    followups.missed_visit_task(appointment, now)


def connect() -> None:
    events.visit_booked.connect(join_care_team)
    events.visit_missed.connect(open_missed_visit_task)

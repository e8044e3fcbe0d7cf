"""A patient's next and last visit, for the chart header: one query over the patient's own visits."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.booking.appointment import Appointment, AppointmentStatus
from app.extensions import db


def next_and_last(patient_id: int, now: datetime) -> tuple[Appointment | None, Appointment | None]:
    """The next booked visit that has not ended, and the last one that took place (completed)."""
    rows = db.session.scalars(
        select(Appointment)
        .where(Appointment.patient_id == patient_id)
        .where(Appointment.status.in_((AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED)))
        .order_by(Appointment.start_at)
    ).all()
    upcoming = [a for a in rows if a.status == AppointmentStatus.BOOKED and a.end_at >= now]
    past = [a for a in rows if a.status == AppointmentStatus.COMPLETED and a.start_at < now]
    return (upcoming[0] if upcoming else None), (past[-1] if past else None)

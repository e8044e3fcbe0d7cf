"""Who may see and act on which appointments, written once; booking's services and views ask here.

* a patient sees their own visits; a clinician the visits they give; an admin every visit;
* only a visit's two participants act on it (cancel, move, the visit link, its calendar file);
* only its clinician records how it went (its patient is told so: 403);
* a clinician's availability is theirs and the admins' to manage (403 for anyone else).

Anyone else is told the visit does not exist (404), as if it did not. Booking knows no care team (it
is above booking): what the care team may see of a patient's texts is ``app.notifications.access``.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import Select

from app.accounts.user import User
from app.booking.appointment import Appointment
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.reference.roles import Role

Q = TypeVar("Q", bound=Select[*tuple[Any, ...]])  # a query over Appointment


def is_participant(user: User, appointment: Appointment) -> bool:
    return user.id in (appointment.patient_id, appointment.clinician_id)


def can_read(user: User, appointment: Appointment) -> bool:
    return user.role == Role.ADMIN or is_participant(user, appointment)


def readable(user: User, appointment_id: int) -> Appointment:
    """The appointment if ``user`` may read it (its patient, its clinician, an admin); 404 otherwise."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is None or not can_read(user, appointment):
        raise NotFound()
    return appointment


def participant(user: User, appointment_id: int) -> Appointment:
    """The appointment if ``user`` is its patient or clinician; 404 for anyone else, admins included."""
    appointment = db.session.get(Appointment, appointment_id)
    return participating(user, appointment)


def participating(user: User, appointment: Appointment | None) -> Appointment:
    """``appointment`` if ``user`` takes part in it; 404 otherwise (also for no appointment at all)."""
    if appointment is None or not is_participant(user, appointment):
        raise NotFound()
    return appointment


def its_clinician(user: User, appointment_id: int) -> Appointment:
    """The appointment if ``user`` is its clinician; its patient is refused (403), anyone else 404."""
    appointment = db.session.get(Appointment, appointment_id)
    if appointment is not None and user.id == appointment.patient_id:
        raise Forbidden("Only the clinician records how a visit went.")
    if appointment is None or user.id != appointment.clinician_id:
        raise NotFound()
    return appointment


def listable(user: User, query: Q) -> Q | None:
    """``query`` narrowed to the appointments ``user`` may list; None when they may list none."""
    if user.role == Role.PATIENT:
        return query.where(Appointment.patient_id == user.id)
    if user.role == Role.CLINICIAN:
        return query.where(Appointment.clinician_id == user.id)
    if user.role == Role.ADMIN:
        return query
    return None


def manages_availability(user: User, clinician_id: int) -> None:
    """A clinician's availability is managed by that clinician or an admin; 403 for anyone else."""
    if user.role != Role.ADMIN and user.id != clinician_id:
        raise Forbidden("Only that clinician or an admin manages this availability.")

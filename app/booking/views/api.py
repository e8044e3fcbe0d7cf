"""Booking API: directory, availability, appointment types, slots and appointments (contract)."""

from __future__ import annotations

from flask import Response
from flask_login import current_user

from app import access
from app.accounts.user import User
from app.api.blueprint import api_bp
from app.api.endpoint import endpoint, render
from app.booking import access as booking_access
from app.booking import openings, service, video
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.calendar import ics_response
from app.booking.schemas import (
    AppointmentOut,
    AppointmentTypeOut,
    AvailabilityDoc,
    AvailabilityPatch,
    BookRequest,
    CancelOut,
    CancelRequest,
    ClinicianOut,
    ClinicianQuery,
    RescheduleRequest,
    SlotOut,
    SlotsOut,
    SlotsQuery,
    StatusOut,
)
from app.booking.types import TYPES
from app.reference.roles import Role

PATIENT = access.roles(Role.PATIENT)
CLINICIAN = access.roles(Role.CLINICIAN)


def clinician_out(user: User) -> ClinicianOut:
    c = user.clinician
    return ClinicianOut(id=user.id, name=user.name, credential=c.credential, clinical_role=c.clinical_role,
                        licensed_states=list(c.licensed_states), modalities=list(c.modalities),
                        languages=list(c.languages), timezone=user.timezone, bio=c.bio)  # fmt: skip


def appointment_out(a: Appointment) -> AppointmentOut:
    return AppointmentOut(id=a.id, clinician_id=a.clinician_id, patient_id=a.patient_id, type=a.type,
                          start=a.start_at, end=a.end_at, status=a.status, video_url=video.visit_url(a),
                          late_cancellation=a.cancelled_late)  # fmt: skip


@endpoint(api_bp, "/clinicians", access_rule=access.ANY_USER, query=ClinicianQuery, response=list[ClinicianOut],
          tags=["booking"], read_only=True)  # fmt: skip
def list_clinicians(query: ClinicianQuery) -> list[ClinicianOut]:
    """The clinician directory, filtered."""
    found = service.find_clinicians(query.clinical_role, query.state, query.modality, query.language)
    return [clinician_out(u) for u in found]


def _own_availability(clinician_id: int) -> User:
    clinician = service.get_clinician(clinician_id)
    booking_access.manages_availability(current_user, clinician.id)
    return clinician


@endpoint(api_bp, "/clinicians/<int:clinician_id>/availability", access_rule=access.ANY_USER,
          response=AvailabilityDoc, errors=[403, 404], tags=["booking"])  # fmt: skip
def get_availability(clinician_id: int) -> AvailabilityDoc:
    """A clinician's availability document."""
    return AvailabilityDoc.model_validate(service.availability_of(_own_availability(clinician_id)).document())


@endpoint(api_bp, "/clinicians/<int:clinician_id>/availability", methods=["PUT"], access_rule=access.ANY_USER,
          body=AvailabilityPatch, response=AvailabilityDoc, errors=[403, 404], tags=["booking"])  # fmt: skip
def put_availability(clinician_id: int, body: AvailabilityPatch) -> AvailabilityDoc:
    """Change the named fields of the availability document."""
    clinician = _own_availability(clinician_id)
    row = service.update_availability(clinician, body.model_dump(mode="json", exclude_unset=True), actor=current_user)
    return AvailabilityDoc.model_validate(row.document())


@endpoint(api_bp, "/appointment-types", access_rule=access.ANY_USER, response=list[AppointmentTypeOut],
          tags=["booking"], read_only=True)  # fmt: skip
def appointment_types() -> list[AppointmentTypeOut]:
    """The appointment types."""
    return [AppointmentTypeOut(**t.__dict__) for t in TYPES.values()]


@endpoint(api_bp, "/clinicians/<int:clinician_id>/slots", access_rule=access.ANY_USER, query=SlotsQuery,
          response=SlotsOut, errors=[404], tags=["booking"], read_only=True)  # fmt: skip
def clinician_slots(clinician_id: int, query: SlotsQuery) -> SlotsOut:
    """Open slots in a date range, written in the viewer's zone."""
    subject = openings.slot_subject(clinician_id)
    tz = query.tz or current_user.timezone
    offer = openings.offer_of(subject, query.type, query.from_, query.to, tz)
    # Rendering is a fair share of this hot path's cost; the body depends on the offer and the zone
    # name only (the offer's key includes the zone), so it is made once per offer.
    if (body := offer.rendered.get("api")) is None:
        body = render(SlotsOut(timezone=tz, slots=[SlotOut(start=s, end=e) for s, e in offer.slots]), SlotsOut,
                      200).get_data()  # fmt: skip
        offer.rendered["api"] = body
    return Response(body, mimetype="application/json")


@endpoint(api_bp, "/appointments", methods=["POST"], access_rule=PATIENT, body=BookRequest, response=AppointmentOut,
          status=201, errors=[402, 403, 409], tags=["booking"])  # fmt: skip
def book(body: BookRequest) -> AppointmentOut:
    """Book an open slot; ``care_consent: true`` (optional) records consent to coordinated care with it."""
    consent = "api" if body.care_consent else None
    return appointment_out(
        service.book(current_user, body.clinician_id, body.type, body.start, care_consent_from=consent)
    )


@endpoint(api_bp, "/appointments", access_rule=access.ANY_USER, response=list[AppointmentOut], tags=["booking"])
def list_appointments() -> list[AppointmentOut]:
    """The caller's appointments, latest start first."""
    return [appointment_out(a) for a in service.list_for(current_user)]


@endpoint(api_bp, "/appointments/<int:appointment_id>", access_rule=access.ANY_USER, response=AppointmentOut,
          errors=[404], tags=["booking"])  # fmt: skip
def get_appointment(appointment_id: int) -> AppointmentOut:
    """One appointment (its patient, its clinician, admins)."""
    return appointment_out(service.visible_to(current_user, appointment_id))


@endpoint(api_bp, "/appointments/<int:appointment_id>/cancel", methods=["POST"], access_rule=access.ANY_USER,
          body=CancelRequest, response=CancelOut, errors=[404, 409], tags=["booking"])  # fmt: skip
def cancel(appointment_id: int, body: CancelRequest) -> CancelOut:
    """Cancel (late when under 24 hours before the start)."""
    appointment = service.cancel(current_user, appointment_id, body.reason)
    return CancelOut(status=appointment.status, late=bool(appointment.cancelled_late))


@endpoint(api_bp, "/appointments/<int:appointment_id>/reschedule", methods=["POST"], access_rule=access.ANY_USER,
          body=RescheduleRequest, response=AppointmentOut, errors=[404, 409], tags=["booking"])  # fmt: skip
def reschedule(appointment_id: int, body: RescheduleRequest) -> AppointmentOut:
    """Move to another open slot; nothing changes on 409."""
    return appointment_out(service.reschedule(current_user, appointment_id, body.start))


@endpoint(api_bp, "/appointments/<int:appointment_id>/complete", methods=["POST"], access_rule=access.ANY_USER,
          response=StatusOut, errors=[403, 404, 409], tags=["booking"])  # fmt: skip
def complete(appointment_id: int) -> StatusOut:
    """Its clinician marks the visit completed."""
    return StatusOut(status=service.mark(current_user, appointment_id, AppointmentStatus.COMPLETED).status)


@endpoint(api_bp, "/appointments/<int:appointment_id>/no-show", methods=["POST"], access_rule=access.ANY_USER,
          response=StatusOut, errors=[403, 404, 409], tags=["booking"])  # fmt: skip
def no_show(appointment_id: int) -> StatusOut:
    """Its clinician marks the patient as not attending."""
    return StatusOut(status=service.mark(current_user, appointment_id, AppointmentStatus.NO_SHOW).status)


@endpoint(api_bp, "/appointments/<int:appointment_id>/calendar.ics", access_rule=access.ANY_USER, errors=[404],
          tags=["booking"])  # fmt: skip
def appointment_ics(appointment_id: int) -> Response:
    """The appointment as an iCalendar file (its patient or clinician)."""
    appointment = booking_access.participating(current_user, service.visible_to(current_user, appointment_id))
    return ics_response([appointment], f"appointment-{appointment.id}.ics")

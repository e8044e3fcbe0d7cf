"""Booking use cases. Each owns its transaction; callers pass ``now``; nothing reads flask.request.

What patients browse (open slots) is ``openings``; calendar feeds are ``feeds``. This module books:
it re-checks a requested start inside the booking transaction with the pure ``slots`` rules, and
leaves PostgreSQL's exclusion constraints as the last word should two transactions race past the
check anyway.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import contains_eager, joinedload, lazyload

from app.accounts.clinician import ClinicianLanguage, ClinicianLicense, ClinicianModality, ClinicianProfile
from app.accounts.queries import names_by_id
from app.accounts.user import User
from app.audit import service as audit
from app.billing.gate import is_member, require_member
from app.booking import access, care_consent, events, slots, texts
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.availability import DEFAULTS, ClinicianAvailability
from app.booking.types import TYPES, AppointmentType
from app.booking.video import can_join
from app.db import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.reference.roles import Role

LATE_CANCEL = timedelta(hours=24)
EARLY_ACTION = timedelta(minutes=15)
MARKABLE = (AppointmentStatus.BOOKED, AppointmentStatus.COMPLETED, AppointmentStatus.NO_SHOW)  # and re-markable


class SlotUnavailable(Conflict):
    code = "slot_unavailable"
    message = "That time is no longer available. Please pick another slot."


class NotLicensedInState(Forbidden):
    code = "not_licensed_in_state"
    message = "This clinician is not licensed in the state you are in."


VISIT_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")  # secrets.token_urlsafe's alphabet


class BirthDateNeeded(Invalid):
    """A psychiatric evaluation needs the patient's date of birth (doses and some medicines depend on age)."""

    message = "Add your date of birth before booking a psychiatric evaluation."

    def __init__(self) -> None:
        super().__init__({"date_of_birth": "needed before a psychiatric evaluation"}, self.message)


EVALUATION = "psychiatric_evaluation"


def needs_birth_date(patient: User, type_code: str) -> bool:
    """Whether booking ``type_code`` would be refused until the patient gives their date of birth."""
    return type_code == EVALUATION and patient.patient is not None and patient.patient.date_of_birth is None


class TooEarly(Conflict):
    code = "too_early"
    message = "A visit can be marked from 15 minutes before its start."


class NotBooked(Conflict):
    code = "not_booked"
    message = "Only a booked appointment can be changed."


# --- clinicians and availability -------------------------------------------------------------


def find_clinicians(clinical_role: str | None = None, state: str | None = None, modality: str | None = None,
                    language: str | None = None) -> list[User]:  # fmt: skip
    # The profile from the join, its licences, modalities and languages in one query each: the
    # directory shows them all (per-clinician lazy loads made a 40-clinician list 130 queries).
    profile = contains_eager(User.clinician)
    query = (
        select(User).join(ClinicianProfile, ClinicianProfile.user_id == User.id).where(User.is_enabled)
        .options(profile, *(profile.selectinload(rows) for rows in (
            ClinicianProfile.license_rows, ClinicianProfile.modality_rows, ClinicianProfile.language_rows)))
    )  # fmt: skip
    if clinical_role:
        query = query.where(ClinicianProfile.clinical_role == clinical_role)
    if state:
        query = query.where(ClinicianProfile.license_rows.any(ClinicianLicense.state == state))
    if modality:
        query = query.where(ClinicianProfile.modality_rows.any(ClinicianModality.modality == modality))
    if language:
        query = query.where(ClinicianProfile.language_rows.any(ClinicianLanguage.language.ilike(language)))
    return list(db.session.scalars(query.order_by(User.name)))


def get_clinician(clinician_id: int) -> User:
    # The profile in the same query; its licences, modalities and languages only when read (slot
    # lookups never read them): one query instead of five on the hottest booking path.
    profile_only = joinedload(User.clinician).options(
        lazyload(ClinicianProfile.license_rows), lazyload(ClinicianProfile.modality_rows),
        lazyload(ClinicianProfile.language_rows),
    )  # fmt: skip
    user = db.session.get(User, clinician_id, options=[profile_only])
    if user is None or user.clinician is None or not user.is_enabled:
        raise NotFound("No such clinician.")
    return user


def availability_of(clinician: User) -> ClinicianAvailability:
    return availability_row(clinician.id, clinician.timezone)


def availability_row(clinician_id: int, timezone: str) -> ClinicianAvailability:
    """The clinician's availability row, or (not added to the session) the defaults in their zone."""
    row = db.session.get(ClinicianAvailability, clinician_id)
    if row is None:
        row = ClinicianAvailability(clinician_id=clinician_id, timezone=timezone, **DEFAULTS)
    return row


def update_availability(clinician: User, changes: dict, *, actor: User | None) -> ClinicianAvailability:
    """Apply only the named fields; the merged document must still make sense. It is checked before
    the row is touched, so a refused change leaves nothing in the session for a later commit to save."""
    row = availability_of(clinician)
    merged = row.document()
    merged.update((field, value) for field, value in changes.items() if field in merged)
    try:
        slots.Availability.from_document(merged)
    except (ValueError, KeyError) as exc:
        raise Invalid({"availability": str(exc)}) from exc
    for field, value in changes.items():
        setattr(row, field, value)
    db.session.add(row)
    audit.record("availability.update", actor=actor, object_type="clinician", object_id=clinician.id)
    db.session.commit()
    return row


def offered_type(code: str, clinical_role: str, clinician_name: str) -> AppointmentType:
    kind = TYPES.get(code)
    if kind is None or kind.clinical_role not in (None, clinical_role):
        raise Invalid({"type": f"{clinician_name} does not offer this appointment type"})
    return kind


def _type_for(clinician: User, code: str) -> AppointmentType:
    return offered_type(code, clinician.clinician.clinical_role, clinician.name)


# No visit lasts this long: a lower bound on start_at that the (clinician_id, start_at) index can
# use, so the lookup reads the window's rows, not every past visit of the clinician.
LONGEST_VISIT = timedelta(hours=24)


def booked_spans(clinician_id: int, lo: datetime, hi: datetime) -> list[slots.Busy]:
    query = select(Appointment.start_at, Appointment.end_at).where(
        Appointment.clinician_id == clinician_id, Appointment.status == AppointmentStatus.BOOKED,
        Appointment.start_at < hi, Appointment.start_at > lo - LONGEST_VISIT, Appointment.end_at > lo,
    )  # fmt: skip
    return [slots.Busy(s, e) for s, e in db.session.execute(query)]


# --- booking -------------------------------------------------------------------------------------


def _serialise_on(clinician_id: int) -> ClinicianAvailability | None:
    """Make the check-then-insert of one clinician's bookings one at a time.

    PostgreSQL: lock the clinician's availability row (created if missing) and return it, freshly
    read under the lock; callers keep it referenced so the slot check finds it in the session's
    identity map instead of reading it again. SQLite: every transaction already holds the database's
    write lock from its BEGIN IMMEDIATE (``app.sqlite``), so the check and the insert cannot interleave.
    """
    if db.engine.dialect.name == "sqlite":
        return None
    locked = (
        select(ClinicianAvailability).where(ClinicianAvailability.clinician_id == clinician_id)
        .with_for_update().execution_options(populate_existing=True)
    )  # fmt: skip
    row = db.session.scalars(locked).first()
    if row is None:
        clinician = db.session.get(User, clinician_id)
        db.session.add(availability_of(clinician))
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError:
            pass  # another transaction created it first
        row = db.session.scalars(locked).one()
    return row


def lock_schedule(clinician_id: int) -> None:
    """Take the clinician's schedule lock for the rest of the transaction (``_serialise_on``), for use
    cases beside booking that move visits between clinicians."""
    _serialise_on(clinician_id)


def _check_slot(clinician: User, kind: AppointmentType, start: datetime, now: datetime, patient_id: int,
                already: str, exclude_id: int | None = None) -> slots.Availability:  # fmt: skip
    """The slot is still offered by the clinician (else ``slot_unavailable``) and the patient has no
    other visit then (else ``slot_unavailable`` saying ``already``); both read in one query."""
    avail = slots.Availability.from_document(availability_of(clinician).document())
    end = start + timedelta(minutes=kind.duration_minutes)
    lo, hi = slots.busy_window(avail, kind.duration_minutes, start, start + timedelta(minutes=1))
    busy, patient_busy = _booked_around(clinician.id, lo, hi, patient_id, start, end, exclude_id)
    if not slots.is_offered(avail, kind.duration_minutes, busy, now, start):
        raise SlotUnavailable()
    if patient_busy:
        raise SlotUnavailable(already)
    return avail


def _booked_around(clinician_id: int, lo: datetime, hi: datetime, patient_id: int, start: datetime, end: datetime,
                   exclude_id: int | None) -> tuple[list[slots.Busy], bool]:  # fmt: skip
    """``booked_spans`` of the clinician in [lo, hi) and whether the patient has a visit overlapping
    [start, end), in one round trip: the booked visits that are either are read together, then told
    apart here (one visit can be both: the patient's own with this clinician)."""
    clinicians = and_(Appointment.clinician_id == clinician_id, Appointment.start_at < hi,
                      Appointment.start_at > lo - LONGEST_VISIT, Appointment.end_at > lo)  # fmt: skip
    patients = and_(Appointment.patient_id == patient_id, Appointment.start_at < end, Appointment.end_at > start)
    query = select(Appointment.clinician_id, Appointment.patient_id, Appointment.start_at, Appointment.end_at).where(
        Appointment.status == AppointmentStatus.BOOKED, or_(clinicians, patients)
    )
    if exclude_id is not None:
        query = query.where(Appointment.id != exclude_id)
    busy, patient_busy = [], False
    for row in db.session.execute(query):
        if row.clinician_id == clinician_id and row.start_at < hi and row.end_at > lo:
            busy.append(slots.Busy(row.start_at, row.end_at))
        if row.patient_id == patient_id and row.start_at < end and row.end_at > start:
            patient_busy = True
    return busy, patient_busy


def needs_membership(patient: User, type_code: str) -> bool:
    """Whether booking ``type_code`` would be refused for want of a membership. Booking decides which
    visit types need one; billing says who is a member."""
    kind = TYPES.get(type_code)
    return kind is not None and kind.requires_membership and not is_member(patient.id)


def _membership_gate(patient: User, kind: AppointmentType) -> None:
    if kind.requires_membership:
        require_member(patient.id)  # MembershipRequired (402) says why not


PATIENT_OVERLAP = "ex_appointments_patient_overlap"  # migration 0002
DEADLOCK_DETECTED = "40P01"


@contextmanager
def _race_lost_is_409(patient_message: str) -> Iterator[None]:
    """Around a booking's writes: PostgreSQL's exclusion constraints are the last word when two
    transactions race past the checks (one patient booking two clinicians at once takes two
    different locks). Their violation, at a flush or at the commit, is the loser's 409, not a 500.
    So is a deadlock between two such inserts: each can wait for the other's uncommitted row while
    checking the constraint, and PostgreSQL then aborts one of them; the other's visit stands."""
    try:
        yield
    except IntegrityError as exc:
        db.session.rollback()
        constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
        raise SlotUnavailable(patient_message if constraint == PATIENT_OVERLAP else None) from exc
    except OperationalError as exc:
        if getattr(exc.orig, "sqlstate", None) != DEADLOCK_DETECTED:
            raise
        db.session.rollback()
        raise SlotUnavailable(patient_message) from exc


def _commit(*, keep_loaded: bool = False) -> None:
    """``keep_loaded`` leaves the session's objects loaded instead of expiring them, for a caller that
    answers from the rows it has just written and set every column of itself (no server defaults,
    no trigger that changes them): reloading them would cost a transaction of its own (BEGIN,
    SELECT, ROLLBACK) to read back what is already in memory. A failed commit rolls back, which
    expires them anyway."""
    session = db.session()
    expire_on_commit = session.expire_on_commit
    session.expire_on_commit = not keep_loaded
    try:
        session.commit()
    finally:
        session.expire_on_commit = expire_on_commit


def _bookable_clinician(clinician_id: int, patient_id: int) -> User:
    """``get_clinician`` with the licences booking checks joined into the same query, which also
    loads the booking patient's profile (their state): one round trip, not three. Modalities and
    languages are not read here."""
    profile_and_licences = (
        joinedload(User.clinician).options(
            joinedload(ClinicianProfile.license_rows), lazyload(ClinicianProfile.modality_rows),
            lazyload(ClinicianProfile.language_rows),
        )
    )  # fmt: skip
    both = select(User).where(User.id.in_((clinician_id, patient_id)))
    found = db.session.scalars(both.options(profile_and_licences, joinedload(User.patient))).unique()
    user = next((u for u in found if u.id == clinician_id), None)
    if user is None or user.clinician is None or not user.is_enabled:
        raise Invalid({"clinician_id": "no such clinician"})
    return user


def book(patient: User, clinician_id: int, type_code: str, start: datetime, now: datetime | None = None, *,
         care_consent_from: str | None = None) -> Appointment:  # fmt: skip
    """Book an offered slot: licensure, type vs clinical role and membership are checked here, and
    the slot is re-checked inside the transaction. ``care_consent_from`` (a consent source) records
    the patient's consent to coordinated care with the visit. ``events.visit_booked`` lets the care
    team act on it (its clinician joins the patient's care team). All of it is one transaction."""
    now = now or utcnow()
    # In UTC, as the database gives it back: the appointment is returned without a reload (below).
    start = start.astimezone(UTC)
    clinician = _bookable_clinician(clinician_id, patient.id)
    kind = _type_for(clinician, type_code)
    if needs_birth_date(patient, kind.code):  # the profile is loaded with the clinician above: no query
        raise BirthDateNeeded()
    if patient.patient.state not in clinician.clinician.licensed_states:
        raise NotLicensedInState()
    _membership_gate(patient, kind)
    patient_id, clinician_pk = patient.id, clinician.id
    _locked = _serialise_on(clinician_pk)
    clinician, patient = db.session.get(User, clinician_pk), db.session.get(User, patient_id)
    already = "You already have an appointment at that time."
    avail = _check_slot(clinician, kind, start, now, patient.id, already)
    end = start + timedelta(minutes=kind.duration_minutes)
    appointment = Appointment(
        patient_id=patient.id, clinician_id=clinician.id, type=kind.code, start_at=start, end_at=end,
        gap_minutes=avail.gap_minutes, blocked_until=end + timedelta(minutes=avail.gap_minutes),
        status=AppointmentStatus.BOOKED, visit_token=secrets.token_urlsafe(24),
    )  # fmt: skip
    with _race_lost_is_409(already):
        if care_consent_from is not None:
            care_consent.record(patient, care_consent_from, now)
        db.session.add(appointment)
        db.session.flush()
        events.visit_booked.send(appointment, now=now)
        texts.booked(patient, appointment, now)
        audit.record("appointment.book", actor=patient, patient_id=patient.id, object_type="appointment",
                     object_id=appointment.id)  # fmt: skip
        _commit(keep_loaded=True)
    return appointment


def visible_to(user: User, appointment_id: int) -> Appointment:
    """The appointment if ``user`` may read it (``access.readable``); 404 for anyone else. Staff
    reads are written to the audit trail."""
    appointment = access.readable(user, appointment_id)
    if user.id != appointment.patient_id:
        audit.record("appointment.read", actor=user, patient_id=appointment.patient_id, object_type="appointment",
                     object_id=appointment.id)  # fmt: skip
        db.session.commit()
    return appointment


def list_for(user: User, limit: int = 500) -> list[Appointment]:
    query = access.listable(user, select(Appointment).order_by(Appointment.start_at.desc()).limit(limit))
    if query is None:
        return []
    items = list(db.session.scalars(query))
    if user.role != Role.PATIENT:  # every patient on the list had their visits read
        audit.record_patients("appointment.list", actor=user, patient_ids=[a.patient_id for a in items],
                              object_type="appointment")  # fmt: skip
        audit.commit_keeping_loaded()
    return items


def participant_of(user: User, appointment_id: int) -> Appointment:
    """The appointment if ``user`` is its patient or clinician; 404 for anyone else."""
    return access.participant(user, appointment_id)


def cancel(user: User, appointment_id: int, reason: str | None, now: datetime | None = None) -> Appointment:
    """Its patient or clinician cancels; under 24 hours before the start it counts as late."""
    now = now or utcnow()
    appointment = participant_of(user, appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise NotBooked()
    appointment.status, appointment.cancelled_at = AppointmentStatus.CANCELLED, now
    appointment.cancelled_late = appointment.start_at - now < LATE_CANCEL
    appointment.cancel_reason = (reason or "").strip() or None
    texts.cancelled(db.session.get(User, appointment.patient_id), appointment, now)
    audit.record("appointment.cancel", actor=user, patient_id=appointment.patient_id, object_type="appointment",
                 object_id=appointment.id)  # fmt: skip
    db.session.commit()
    return appointment


def reschedule(user: User, appointment_id: int, start: datetime, now: datetime | None = None) -> Appointment:
    """Move to another offered slot atomically: the old time is released only if the new one is
    booked; on ``slot_unavailable`` nothing changes."""
    now = now or utcnow()
    appointment = participant_of(user, appointment_id)
    if appointment.status != AppointmentStatus.BOOKED:
        raise NotBooked()
    clinician_id, appointment_pk = appointment.clinician_id, appointment.id
    _locked = _serialise_on(clinician_id)
    appointment = db.session.get(Appointment, appointment_pk)
    clinician = db.session.get(User, clinician_id)
    kind = TYPES[appointment.type]
    already = "The patient already has an appointment at that time."
    avail = _check_slot(clinician, kind, start, now, appointment.patient_id, already, exclude_id=appointment.id)
    end = start + timedelta(minutes=kind.duration_minutes)
    with _race_lost_is_409(already):
        appointment.start_at, appointment.end_at = start, end
        appointment.gap_minutes = avail.gap_minutes
        appointment.blocked_until = end + timedelta(minutes=avail.gap_minutes)
        texts.moved(db.session.get(User, appointment.patient_id), appointment, now)
        actor = db.session.get(User, user.id)
        audit.record("appointment.reschedule", actor=actor, patient_id=appointment.patient_id,
                     object_type="appointment", object_id=appointment.id)  # fmt: skip
        _commit()
    return appointment


def mark(user: User, appointment_id: int, status: str, now: datetime | None = None) -> Appointment:
    """Its clinician marks the visit completed or a no-show, from 15 minutes before the start."""
    now = now or utcnow()
    appointment = access.its_clinician(user, appointment_id)
    if appointment.status not in MARKABLE:
        raise NotBooked()
    if now < appointment.start_at - EARLY_ACTION:
        raise TooEarly()
    appointment.status = status
    if status == AppointmentStatus.NO_SHOW:  # a text to rebook, and the care team opens its task (one transaction)
        texts.missed(db.session.get(User, appointment.patient_id), appointment, now)
        events.visit_missed.send(appointment, now=now)
    audit.record(f"appointment.{status}", actor=user, patient_id=appointment.patient_id, object_type="appointment",
                 object_id=appointment.id)  # fmt: skip
    db.session.commit()
    return appointment


def by_visit_token(user: User, visit_token: str) -> Appointment:
    """The appointment of a visit link, for its patient or clinician only (404 for anyone else, admins
    included: the link is in calendars and listings, so knowing it proves nothing)."""
    if not VISIT_TOKEN.fullmatch(visit_token or ""):
        raise NotFound()
    return access.participating(
        user, db.session.scalar(select(Appointment).where(Appointment.visit_token == visit_token))
    )


class NotJoinable(Conflict):
    code = "not_joinable"
    message = "This visit can be joined from 15 minutes before the start until its end."


def join_visit(user: User, visit_token: str, now: datetime | None = None) -> Appointment:
    """A participant joins inside the join window: recorded, and only then may the caller hand out the
    provider's room (app.booking.video)."""
    now = now or utcnow()
    appointment = by_visit_token(user, visit_token)
    if not can_join(appointment, now):
        raise NotJoinable()
    audit.record("appointment.video_join", actor=user, patient_id=appointment.patient_id,
                 object_type="appointment", object_id=appointment.id)  # fmt: skip
    db.session.commit()
    return appointment


def names_for(appointments: list[Appointment]) -> dict[int, str]:
    """Display names of everyone in these appointments, in one query."""
    return names_by_id({a.patient_id for a in appointments} | {a.clinician_id for a in appointments})

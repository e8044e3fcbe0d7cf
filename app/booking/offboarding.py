"""A clinician leaves: the admin sees every future visit of theirs and, for each, either a colleague who
can take it or cancels it; then the account is disabled. All of it is one transaction, so nothing is
ever left booked with a disabled clinician.

Rules:

* A colleague can take a visit when they are enabled, have the leaving clinician's clinical role (so they
  offer the visit's type), are licensed in the patient's state and are free then (``slots.is_free``: inside
  their availability, no overlap with their booked visits under their gap, ``max_per_day``). Colleagues
  who have seen the patient before come first, then those with fewer visits that day.
* Visits that have started and are still "booked" (never marked completed or missed) stop the
  offboarding: only their clinician can say what happened, so they mark them first.
* The patient is texted through the outbox (consent and quiet hours apply; no clinical words) and sees
  the change on their dashboard (``VisitChange``).
* The leaving clinician's weekly hours and date overrides are cleared, so a booking already under way
  (waiting for the schedule lock) finds no open time; sessions and API tokens end; the care team's
  receiver of ``events.clinician_offboarded`` takes them off every care team, and the colleague who takes
  a visit joins that patient's team (``events.visit_reassigned``), all in this transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.clinician import ClinicianProfile
from app.accounts.user import User
from app.audit import service as audit
from app.auth.service import end_sessions_in_transaction
from app.booking import events, slots, texts
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.service import availability_row, booked_spans, lock_schedule
from app.booking.types import TYPES
from app.booking.visit_change import VisitChange, VisitChangeKind
from app.db import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db

CANCEL = "cancel"
PRACTICE_CANCEL_REASON = "The clinician is no longer with the practice."


class UnmarkedVisits(Conflict):
    code = "unmarked_visits"
    message = (
        "Some visits of this clinician have started but were never marked completed or missed. "
        "Ask them to mark these first: only they can say what happened."
    )


class AlreadyDisabled(Conflict):
    code = "already_disabled"
    message = "This clinician's account is already disabled."


@dataclass(frozen=True)
class Candidate:
    id: int
    name: str
    seen_before: bool


@dataclass(frozen=True)
class VisitPlan:
    appointment: Appointment
    patient: User
    candidates: list[Candidate]
    suggested: int | None  # a candidate's id, or None: cancel


@dataclass(frozen=True)
class Offboarding:
    clinician: User
    visits: list[VisitPlan] = field(default_factory=list)
    unmarked: list[tuple[Appointment, User]] = field(default_factory=list)


def _clinician(clinician_id: int) -> User:
    user = db.session.get(User, clinician_id)
    if user is None or user.clinician is None:
        raise NotFound("No such clinician.")
    return user


def _booked(clinician_id: int) -> list[tuple[Appointment, User]]:
    rows = db.session.execute(
        select(Appointment, User)
        .join(User, User.id == Appointment.patient_id)
        .where(Appointment.clinician_id == clinician_id, Appointment.status == AppointmentStatus.BOOKED)
        .order_by(Appointment.start_at, Appointment.id)
    )
    return [(a, p) for a, p in rows]


def _colleagues(leaving: User) -> list[User]:
    """Enabled clinicians with the leaving one's clinical role, their licences loaded."""
    assert leaving.clinician is not None
    return list(
        db.session.scalars(
            select(User)
            .join(ClinicianProfile, ClinicianProfile.user_id == User.id)
            .where(User.is_enabled.is_(True), User.id != leaving.id,
                   ClinicianProfile.clinical_role == leaving.clinician.clinical_role)
            .order_by(func.lower(User.name), User.id)
        )
    )  # fmt: skip


def _licensed(colleague: User, state: str) -> bool:
    profile = colleague.clinician
    return profile is not None and any(row.state == state for row in profile.license_rows)


def _free(colleague: User, appointment: Appointment, extra: list[slots.Busy] | None = None) -> bool:
    avail = slots.Availability.from_document(availability_row(colleague.id, colleague.timezone).document())
    duration = TYPES[appointment.type].duration_minutes
    lo, hi = slots.busy_window(avail, duration, appointment.start_at, appointment.start_at + timedelta(minutes=1))
    busy = booked_spans(colleague.id, lo, hi) + (extra or [])  # the visit is the leaving clinician's, never among these
    return slots.is_free(avail, duration, busy, appointment.start_at)


def _seen_before(patient_id: int, clinician_ids: list[int]) -> set[int]:
    if not clinician_ids:
        return set()
    return set(
        db.session.scalars(
            select(Appointment.clinician_id).distinct()
            .where(Appointment.patient_id == patient_id, Appointment.clinician_id.in_(clinician_ids))
        )
    )  # fmt: skip


def _day_load(clinician_id: int, start: datetime) -> int:
    lo, hi = start - timedelta(hours=12), start + timedelta(hours=12)
    return len(booked_spans(clinician_id, lo, hi))


def _candidates(colleagues: list[User], appointment: Appointment, patient: User) -> list[Candidate]:
    state = patient.patient.state if patient.patient else ""
    able = [c for c in colleagues if _licensed(c, state) and _free(c, appointment)]
    seen = _seen_before(patient.id, [c.id for c in able])
    able.sort(key=lambda c: (c.id not in seen, _day_load(c.id, appointment.start_at)))
    return [Candidate(c.id, c.name, c.id in seen) for c in able]


def plan(clinician_id: int, now: datetime | None = None) -> Offboarding:
    """What disabling this clinician would do: each future visit with the colleagues who could take it
    (and a suggestion that never gives one colleague two overlapping visits), and the started visits
    still to be marked. Reads only; the admin confirms with ``offboard``."""
    now = now or utcnow()
    leaving = _clinician(clinician_id)
    colleagues = _colleagues(leaving)
    by_id = {c.id: c for c in colleagues}
    taken: dict[int, list[slots.Busy]] = {}
    result = Offboarding(leaving)
    for appointment, patient in _booked(leaving.id):
        if appointment.start_at <= now:
            result.unmarked.append((appointment, patient))
            continue
        candidates = _candidates(colleagues, appointment, patient)
        suggested = next(
            (c.id for c in candidates if _free(by_id[c.id], appointment, taken.get(c.id))), None
        )  # fmt: skip
        if suggested is not None:
            taken.setdefault(suggested, []).append(slots.Busy(appointment.start_at, appointment.end_at))
        result.visits.append(VisitPlan(appointment, patient, candidates, suggested))
    return result


def offboard(actor: User, clinician_id: int, choices: Mapping[int, str], now: datetime | None = None) -> User:
    """Disable the clinician, moving each future visit to the colleague chosen for it (``choices``:
    appointment id -> a colleague's id as text, or ``"cancel"``) or cancelling it, in one transaction.

    Every choice is checked again here, under the schedule locks of everyone involved; a visit without a
    valid choice is a 422 naming it (``visit_<id>``), and nothing changes."""
    now = now or utcnow()
    leaving = _clinician(clinician_id)
    if not leaving.is_enabled:
        raise AlreadyDisabled()
    wanted = {int(v) for v in choices.values() if v.isdigit()}
    for locked_id in sorted(wanted | {leaving.id}):  # always in id order: two offboardings cannot deadlock
        lock_schedule(locked_id)
    booked = _booked(leaving.id)
    unmarked = [a for a, _ in booked if a.start_at <= now]
    if unmarked:
        raise UnmarkedVisits(visits=[a.id for a in unmarked])
    colleagues = {c.id: c for c in _colleagues(leaving)}
    errors: dict[str, str] = {}
    for appointment, patient in booked:
        choice = choices.get(appointment.id, "")
        if choice == CANCEL:
            _cancel(actor, appointment, patient, leaving, now)
            continue
        colleague = colleagues.get(int(choice)) if choice.isdigit() else None
        state = patient.patient.state if patient.patient else ""
        if colleague is None or not _licensed(colleague, state):
            errors[f"visit_{appointment.id}"] = "Choose a colleague who can take this visit, or cancel it."
        elif not _free(colleague, appointment):
            errors[f"visit_{appointment.id}"] = f"{colleague.name} is not free at that time any more."
        else:
            _reassign(actor, appointment, patient, leaving, colleague, now)
            db.session.flush()  # the next visit's check sees this one in the colleague's schedule
    if errors:
        db.session.rollback()
        raise Invalid(errors, "Some visits could not be moved as chosen.")
    _disable(actor, leaving, now)
    left = db.session.scalar(
        select(func.count()).select_from(Appointment)
        .where(Appointment.clinician_id == leaving.id, Appointment.status == AppointmentStatus.BOOKED)
    )  # fmt: skip
    if left:  # cannot happen under the locks; refuse rather than leave a visit booked with nobody
        db.session.rollback()
        raise Conflict("A visit was booked with this clinician meanwhile. Open the page again.")
    try:
        db.session.commit()
    except IntegrityError as exc:  # PostgreSQL's overlap constraint: a colleague's time taken meanwhile
        db.session.rollback()
        raise Conflict("A colleague's time was taken meanwhile. Open the page again.") from exc
    return leaving


def _reassign(actor: User, appointment: Appointment, patient: User, leaving: User, colleague: User,
              now: datetime) -> None:  # fmt: skip
    gap = availability_row(colleague.id, colleague.timezone).gap_minutes or 0
    appointment.clinician_id = colleague.id
    appointment.gap_minutes = gap
    appointment.blocked_until = appointment.end_at + timedelta(minutes=gap)
    db.session.add(VisitChange(appointment_id=appointment.id, patient_id=patient.id,
                               kind=VisitChangeKind.REASSIGNED, from_clinician_id=leaving.id,
                               to_clinician_id=colleague.id, created_at=now))  # fmt: skip
    db.session.flush()
    events.visit_reassigned.send(appointment, now=now, from_clinician_id=leaving.id)
    texts.reassigned(patient, appointment, now)
    audit.record("appointment.reassign", actor=actor, patient_id=patient.id, object_type="appointment",
                 object_id=appointment.id)  # fmt: skip


def _cancel(actor: User, appointment: Appointment, patient: User, leaving: User, now: datetime) -> None:
    appointment.status, appointment.cancelled_at = AppointmentStatus.CANCELLED, now
    appointment.cancelled_late = False  # the practice cancelled: never the patient's late cancellation
    appointment.cancel_reason = PRACTICE_CANCEL_REASON
    db.session.add(VisitChange(appointment_id=appointment.id, patient_id=patient.id,
                               kind=VisitChangeKind.CANCELLED, from_clinician_id=leaving.id,
                               created_at=now))  # fmt: skip
    texts.cancelled_by_practice(patient, appointment, now)
    audit.record("appointment.cancel", actor=actor, patient_id=patient.id, object_type="appointment",
                 object_id=appointment.id)  # fmt: skip


def _disable(actor: User, leaving: User, now: datetime) -> None:
    row = availability_row(leaving.id, leaving.timezone)
    row.weekly, row.overrides = [], []
    db.session.add(row)
    leaving.is_enabled = False
    end_sessions_in_transaction(leaving, actor=actor, now=now)
    events.clinician_offboarded.send(leaving.id, now=now, actor=actor)
    audit.record("account.disable", actor=actor, object_type="user", object_id=leaving.id)

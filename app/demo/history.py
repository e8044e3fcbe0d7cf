"""Play a demo story (``stories.py``) through the services the app itself uses, at the times the
story gives, so the seeded care obeys every rule real care does: visits are booked as the slot rules
allow at the time of booking (``now`` in the past) and marked after their start, consent is on file
before the first booking, medications come from a prescriber on the team, plan changes are versions.

Idempotent by part: a patient who already has past visits, upcoming visits, a care plan,
medications, notes, check-ins or minutes gets none of that part again, whatever day it is.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import select

from app.accounts.user import User
from app.audit import service as audit
from app.billing.demo import simulate as demo_billing
from app.billing.plans import PLANS
from app.booking import service as booking
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.service import needs_membership
from app.care_team import consent, handoff, minutes
from app.care_team import service as care
from app.care_team.assessment import Assessment
from app.care_team.medication import Medication
from app.care_team.minutes import CareMinutes
from app.care_team.note import HandoffNote
from app.care_team.plan import CarePlan
from app.care_team.schemas import MedicationChangeIn, MedicationIn, PlanPatch
from app.demo import stories
from app.extensions import db

BOOKED_AHEAD = timedelta(days=3)  # past visits were booked this long before they started
MARKED_AFTER = timedelta(minutes=5)  # and marked this long after they ended


def _day(now: datetime, tz: str, day: int) -> date:
    return now.astimezone(ZoneInfo(tz)).date() + timedelta(days=day)


def _workday(d: date, ahead: bool) -> date:
    """A weekday: a Saturday or Sunday moves away from today (earlier in the past, later ahead)."""
    while d.weekday() >= 5:
        d += timedelta(days=1 if ahead else -1)
    return d


def _at(d: date, hhmm: str, tz: str) -> datetime:
    hours, mins = (int(part) for part in hhmm.split(":"))
    return datetime.combine(d, time(hours, mins), tzinfo=ZoneInfo(tz)).astimezone(UTC)


def _work_at(now: datetime, who: User, day: int, hhmm: str) -> datetime:
    """A clinician's moment ``day`` days from today at ``hhmm`` their time, on a weekday."""
    return _at(_workday(_day(now, who.timezone, day), ahead=day > 0), hhmm, who.timezone)


def _exists(query) -> bool:
    return db.session.scalar(query.limit(1)) is not None


def play(story: stories.Story, patient: User, team: dict[str, User], now: datetime) -> bool:
    """Give ``patient`` whatever part of ``story`` they do not have yet; True if anything was added."""
    created = False
    if story.membership is not None:
        if current_app.config["BILLING_BACKEND"] != "dummy":
            return False  # its visits need the membership only the demo payment provider can make up
        created |= _membership(story.membership, patient.id, now)
    created |= _visits(story, patient, team, now)
    created |= _timeline(story, patient, team, now)
    return created


def _membership(plan: stories.Membership, patient_id: int, now: datetime) -> bool:
    """A trial started ``plan.day`` days ago, converted and renewed as the demo provider would."""
    if demo_billing.current_for(patient_id) is not None:
        return False
    start = now + timedelta(days=plan.day)
    demo_billing.seed_trial(patient_id, plan.plan, start)
    if plan.converted:
        at = start + timedelta(days=PLANS[plan.plan].trial_days)
        demo_billing.act(patient_id, "end_trial", at)
        while (at := at + demo_billing.period(plan.plan)) < now:
            demo_billing.act(patient_id, "pay", at)
    return True


def _visits(story: stories.Story, patient: User, team: dict[str, User], now: datetime) -> bool:
    planned = []
    for visit in story.visits:
        clinician = team[visit.clinician]
        start = _work_at(now, clinician, visit.day, visit.at)
        planned.append((start, visit, clinician))
    planned.sort(key=lambda p: p[0])
    past = [p for p in planned if p[1].outcome != "booked"]
    ahead = [p for p in planned if p[1].outcome == "booked"]
    mine = select(Appointment.id).where(Appointment.patient_id == patient.id)
    if _exists(mine.where(Appointment.start_at < now)):
        past = []
    if _exists(mine.where(Appointment.start_at >= now, Appointment.status == AppointmentStatus.BOOKED)):
        ahead = []
    if not (past or ahead):
        return False
    if planned and not consent.history(patient.id):  # asked on the booking page, before the first booking
        given = min(planned[0][0] - BOOKED_AHEAD, now)
        with audit.dated(given):
            consent.give(patient, "booking", now=given)
    for start, visit, clinician in past:  # the audit trail dates each step when the story has it happen
        with audit.dated(start - BOOKED_AHEAD):
            made = booking.book(patient, clinician.id, visit.type, start, now=start - BOOKED_AHEAD)
        with audit.dated(made.end_at + MARKED_AFTER):
            booking.mark(clinician, made.id, visit.outcome, now=made.end_at + MARKED_AFTER)
    for start, visit, clinician in ahead:
        if needs_membership(patient, visit.type):
            continue  # Alex's trial comes from the demo payment provider only
        try:
            booking.book(patient, clinician.id, visit.type, start, now=now)
        except booking.SlotUnavailable:
            continue  # someone using the demo took that time: the story does without this visit
    return True


def _timeline(story: stories.Story, patient: User, team: dict[str, User], now: datetime) -> bool:
    """Check-ins, plan versions, medications, notes and minutes, applied in the order they happened."""
    pid = patient.id
    events: list[tuple[datetime, Callable[[], object]]] = []
    if not _exists(select(Assessment.id).where(Assessment.patient_id == pid)):
        for instrument, series in (("PHQ-9", story.phq9), ("GAD-7", story.gad7)):
            for day, total in series:
                at = _at(_day(now, patient.timezone, day), "19:00", patient.timezone)
                events.append((at, partial(care.add_assessment, patient, pid, instrument, _answers(instrument, total),
                                           now=at)))  # fmt: skip
    if not _exists(select(CarePlan.version).where(CarePlan.patient_id == pid)):
        for change in story.plan:
            author = team[change.author]
            at = _work_at(now, author, change.day, change.at)
            events.append((at, partial(_patch_plan, author, pid, _lists(change, team), at)))
    if not _exists(select(Medication.id).where(Medication.patient_id == pid)):
        started: dict[str, int] = {}
        for med in story.medications:
            prescriber = team[med.prescriber]
            at = _work_at(now, prescriber, med.day, med.at)
            events.append((at, partial(_start_medication, prescriber, pid, med, at, started)))
            for change in med.changes:
                at = _work_at(now, prescriber, change.day, med.at)
                events.append((at, partial(_change_medication, prescriber, pid, med, change, at, started)))
            if med.stop_day is not None:
                at = _work_at(now, prescriber, med.stop_day, med.at)
                events.append((at, partial(_stop_medication, prescriber, pid, med, at, started)))
    if not _exists(select(HandoffNote.id).where(HandoffNote.patient_id == pid)):
        for note in story.notes:
            at = _work_at(now, team[note.author], note.day, note.at)
            events.append((at, partial(handoff.add_note, team[note.author], pid, note.body, now=at)))
    if not _exists(select(CareMinutes.id).where(CareMinutes.patient_id == pid)):
        for entry in story.minutes:
            who = team[entry.clinician]
            day = _minutes_day(entry, minutes.today_for(who, now))
            at = min(now, _at(day, "17:00", who.timezone))
            events.append((at, partial(minutes.log, who, pid, day, entry.minutes, entry.activity, entry.note, now=at)))
    for at, action in sorted(events, key=lambda e: e[0]):  # stable: same-time events keep the story's order
        with audit.dated(at):  # the trail says when it happened in the story, not when the demo was seeded
            action()
    return bool(events)


def _answers(instrument: str, total: int) -> list[int]:
    """Answers adding up to ``total``, spread evenly; PHQ-9 item 9 (self-harm) is always 0."""
    items = 8 if instrument == "PHQ-9" else 7
    answers = [total // items + (1 if n < total % items else 0) for n in range(items)]
    return [*answers, 0] if instrument == "PHQ-9" else answers


def _lists(change: stories.PlanChange, team: dict[str, User]) -> dict[str, list[dict]]:
    """The lists a plan change names, as the chart sends them (an owner handle becomes ``owner_id``)."""
    lists = {}
    for name in ("problems", "goals", "interventions"):
        items = getattr(change, name)
        if items is not None:
            lists[name] = [_with_owner_id(item, team) for item in items]
    return lists


def _with_owner_id(item: dict, team: dict[str, User]) -> dict:
    item = dict(item)
    owner = item.pop("owner", None)
    if owner is not None:
        item["owner_id"] = team[owner].id
    return item


def _patch_plan(author: User, pid: int, lists: dict[str, list[dict]], at: datetime) -> None:
    base = db.session.scalar(select(CarePlan.version).where(CarePlan.patient_id == pid)) or 0
    body = PlanPatch(base_version=base, **lists)  # the API's own validation of the lists
    # Whole items, defaults included (a goal's status): the chart reads every field.
    changes = {name: [item.model_dump(mode="json") for item in getattr(body, name)] for name in lists}
    care.patch_plan(author, pid, base, changes, now=at)


def _start_medication(prescriber: User, pid: int, med: stories.Medication, at: datetime,
                      started: dict[str, int]) -> None:  # fmt: skip
    data = MedicationIn(name=med.name, dose=med.dose, frequency=med.frequency, instructions=med.instructions)
    started[med.name] = care.add_medication(prescriber, pid, data.model_dump(), now=at).id


def _change_medication(prescriber: User, pid: int, med: stories.Medication, change: stories.DoseChange,
                       at: datetime, started: dict[str, int]) -> None:  # fmt: skip
    data = MedicationChangeIn(dose=change.dose, frequency=change.frequency, reason=change.reason)
    care.change_medication(prescriber, pid, started[med.name], data.model_dump(), now=at)


def _stop_medication(prescriber: User, pid: int, med: stories.Medication, at: datetime,
                     started: dict[str, int]) -> None:  # fmt: skip
    care.discontinue_medication(prescriber, pid, started[med.name], med.stop_reason or "", now=at)


def _minutes_day(entry: stories.Minutes, today: date) -> date:
    """This month: ``entry.day`` days back, but not before the 1st; last month: that day of it."""
    this_month = minutes.month_start(today)
    if entry.month == 0:
        return max(this_month, today - timedelta(days=entry.day))
    return minutes.add_months(this_month, entry.month).replace(day=entry.day)

"""The open-slot cache is exact: whatever changes a schedule, and whenever "now" is, a cached answer
equals the slots computed afresh from the database.

The reference below reads the availability row and every booked appointment directly and calls the
pure ``slots`` module; the service answers through ``slot_cache``. Every change goes through a
different path (services, the API, raw SQL that no Python hook sees) because the stamps are written
by database triggers and must catch them all.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from app.booking import openings, slot_cache, slots
from app.booking import service as booking
from app.booking.appointment import Appointment
from app.booking.stamp import ScheduleStamp
from app.booking.types import TYPES
from app.extensions import db

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # a Monday; Los Angeles moves its clocks on Mar 8
VIEWS = ("America/New_York", "America/Los_Angeles", "Pacific/Kiritimati", "UTC")


def _reference(clinician, type_code: str, first: date, last: date, view_tz: str, now: datetime):
    db.session.expire_all()
    avail = slots.Availability.from_document(booking.availability_of(clinician).document())
    busy = [slots.Busy(s, e) for s, e in db.session.execute(
        select(Appointment.start_at, Appointment.end_at).where(
            Appointment.clinician_id == clinician.id, Appointment.status == "booked")
    )]  # fmt: skip
    return slots.slots_for_range(avail, TYPES[type_code].duration_minutes, busy, now, first, last, view_tz)


def _stamp(clinician_id: int) -> int | None:
    db.session.expire_all()
    return db.session.scalar(select(ScheduleStamp.stamp).where(ScheduleStamp.clinician_id == clinician_id))


def _assert_exact(clinician, now: datetime, rng: random.Random) -> None:
    for _ in range(3):
        type_code = rng.choice(["initial_consultation", "therapy_session"])
        first = now.date() + timedelta(days=rng.randrange(-2, 20))
        last = first + timedelta(days=rng.choice([0, 6, 27]))
        view = rng.choice(VIEWS)
        expected = _reference(clinician, type_code, first, last, view, now)
        for _ask_twice in range(2):  # the second answer comes from the cache
            assert openings.open_slots(clinician, type_code, first, last, view, now=now) == expected


@pytest.fixture
def therapist(make_clinician):
    clinician = make_clinician(credential="LCSW", timezone="America/Los_Angeles")
    booking.update_availability(
        clinician,
        {"weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(6)], "min_notice_minutes": 60,
         "slot_step_minutes": 30},
        actor=clinician,
    )  # fmt: skip
    return clinician


def test_every_kind_of_schedule_change_gives_a_new_stamp(therapist, make_patient) -> None:
    patient = make_patient()
    seen = {_stamp(therapist.id)}
    assert None not in seen  # setting availability stamped the schedule

    def changed() -> None:
        stamp = _stamp(therapist.id)
        assert stamp is not None and stamp not in seen
        seen.add(stamp)

    day = NOW.date() + timedelta(days=1)
    start = openings.open_slots(therapist, "therapy_session", day, day, "UTC", now=NOW)[0][0]
    appointment = booking.book(patient, therapist.id, "therapy_session", start, now=NOW)
    changed()
    later = openings.open_slots(therapist, "therapy_session", day, day, "UTC", now=NOW)[3][0]
    booking.reschedule(patient, appointment.id, later, now=NOW)
    changed()
    booking.cancel(patient, appointment.id, None, now=NOW)
    changed()
    booking.update_availability(therapist, {"gap_minutes": 10}, actor=therapist)
    changed()
    # Raw SQL that no ORM event sees: a bulk status change, a two-row insert for one clinician in a
    # single statement, and a delete.
    db.session.execute(text("UPDATE appointments SET status = 'booked' WHERE clinician_id = :c"), {"c": therapist.id})
    changed()
    sqlite = db.engine.dialect.name == "sqlite"
    params: dict = {"p": patient.id, "c": therapist.id}
    for k in (1, 2):
        start_k = NOW + timedelta(days=2 + k, hours=2)
        for name, value in ((f"s{k}", start_k), (f"e{k}", start_k + timedelta(minutes=50))):
            params[name] = value.replace(tzinfo=None) if sqlite else value
    db.session.execute(
        text("INSERT INTO appointments (patient_id, clinician_id, type, start_at, end_at, blocked_until, "
             "gap_minutes, status, video_room, created_at, updated_at) VALUES "
             "(:p, :c, 'therapy_session', :s1, :e1, :e1, 0, 'booked', 'room-1', :s1, :s1), "
             "(:p, :c, 'therapy_session', :s2, :e2, :e2, 0, 'booked', 'room-2', :s2, :s2)"),
        params,
    )  # fmt: skip
    changed()
    db.session.execute(text("DELETE FROM appointments WHERE clinician_id = :c"), {"c": therapist.id})
    changed()


def test_cached_answers_equal_fresh_ones_through_random_changes(therapist, make_patient) -> None:
    rng = random.Random(20261201)
    patients = [make_patient() for _ in range(4)]
    now = NOW
    for _step in range(25):
        _assert_exact(therapist, now, rng)
        action = rng.choice(["book", "book", "cancel", "reschedule", "availability", "raw", "time"])
        booked = list(db.session.scalars(select(Appointment).where(
            Appointment.clinician_id == therapist.id, Appointment.status == "booked")))  # fmt: skip
        day = now.date() + timedelta(days=rng.randrange(0, 10))
        offered = openings.open_slots(therapist, "therapy_session", day, day, "UTC", now=now)
        if action == "book" and offered:
            patient = rng.choice(patients)
            try:
                booking.book(patient, therapist.id, "therapy_session", rng.choice(offered)[0], now=now)
            except booking.SlotUnavailable:  # that patient already has a visit then
                pass
        elif action == "cancel" and booked:
            victim = rng.choice(booked)
            booking.cancel(db.session.get(type(patients[0]), victim.patient_id), victim.id, None, now=now)
        elif action == "reschedule" and booked and offered:
            moved = rng.choice(booked)
            try:
                booking.reschedule(therapist, moved.id, rng.choice(offered)[0], now=now)
            except booking.SlotUnavailable:
                pass
        elif action == "availability":
            change = rng.choice([{"gap_minutes": rng.choice([0, 15])}, {"max_per_day": rng.choice([None, 2])},
                                 {"min_notice_minutes": rng.choice([0, 240, 1440])},
                                 {"overrides": [{"date": day.isoformat(), "intervals": []}]}])  # fmt: skip
            booking.update_availability(therapist, change, actor=therapist)
        elif action == "raw" and booked:
            db.session.execute(text("UPDATE appointments SET status = 'completed' WHERE id = :i"),
                               {"i": rng.choice(booked).id})  # fmt: skip
        elif action == "time":
            now += timedelta(minutes=rng.choice([7, 45, 600]))
    _assert_exact(therapist, now, rng)


def test_the_clock_alone_changes_a_cached_answer_exactly_when_it_should(therapist) -> None:
    # Every 13 minutes over three days, crossing the 60-minute notice of each slot, local midnights
    # (the horizon grows) and Los Angeles' spring-forward night; asked first at the start, so every
    # later question finds an offer in the cache and must tell whether it still holds.
    first, last = NOW.date(), NOW.date() + timedelta(days=9)
    openings.open_slots(therapist, "therapy_session", first, last, "America/New_York", now=NOW)
    now = NOW + timedelta(days=4)
    while now < NOW + timedelta(days=7):
        expected = _reference(therapist, "therapy_session", first, last, "America/New_York", now)
        assert openings.open_slots(therapist, "therapy_session", first, last, "America/New_York", now=now) == expected
        now += timedelta(minutes=13)


def test_an_offer_holds_until_its_first_slot_reaches_the_notice_or_midnight() -> None:
    avail = slots.Availability.from_document(
        {"timezone": "America/Los_Angeles", "weekly": [], "overrides": [], "min_notice_minutes": 60}
    )
    now = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # 07:00 in Los Angeles
    soon = (datetime(2026, 3, 2, 18, 0, tzinfo=UTC), datetime(2026, 3, 2, 19, 0, tzinfo=UTC))
    assert slot_cache.exact_until(avail, [soon], now) == datetime(2026, 3, 2, 17, 0, tzinfo=UTC)
    # Nothing offered, or the first slot late: the next local midnight (08:00 UTC in winter).
    assert slot_cache.exact_until(avail, [], now) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    late = (datetime(2026, 3, 4, 18, 0, tzinfo=UTC), datetime(2026, 3, 4, 19, 0, tzinfo=UTC))
    assert slot_cache.exact_until(avail, [late], now) == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_the_cache_stays_bounded() -> None:
    cache = slot_cache.SlotCache(max_clinicians=3, offer_budget=1100)  # room for two empty offers
    avail = slots.Availability.from_document({"timezone": "UTC", "weekly": [], "overrides": []})
    schedules = {}
    for clinician_id in range(5):
        schedules[clinician_id] = slot_cache.Schedule((clinician_id, "UTC"), avail, (), NOW, NOW)
        cache.store_schedule(clinician_id, schedules[clinician_id])
    assert [cache.schedule(i, (i, "UTC")) is not None for i in range(5)] == [False, False, True, True, True]
    offer = slot_cache.Offer(NOW, NOW + timedelta(hours=1), ())
    for day in range(1, 4):
        cache.store_offer(4, schedules[4], ("therapy_session", date(2026, 3, day), date(2026, 3, day), "UTC"), offer)
    held = [cache.offer(4, schedules[4], ("therapy_session", date(2026, 3, d), date(2026, 3, d), "UTC"), NOW)
            for d in range(1, 4)]  # fmt: skip
    assert [h is not None for h in held] == [False, True, True]
    # The budget is over all clinicians: an offer for another clinician pushes out the oldest here.
    cache.store_offer(3, schedules[3], ("therapy_session", date(2026, 3, 1), date(2026, 3, 1), "UTC"), offer)
    held = [cache.offer(4, schedules[4], ("therapy_session", date(2026, 3, d), date(2026, 3, d), "UTC"), NOW)
            for d in range(1, 4)]  # fmt: skip
    assert [h is not None for h in held] == [False, False, True]
    # A new schedule for a clinician takes that clinician's offers with the old one.
    fresh = slot_cache.Schedule((40, "UTC"), avail, (), NOW, NOW)
    cache.store_schedule(4, fresh)
    assert cache.offer(4, fresh, ("therapy_session", date(2026, 3, 3), date(2026, 3, 3), "UTC"), NOW) is None
    assert cache._offer_bytes == 512  # what is left: clinician 3's one offer
    # A stale stamp finds nothing, and an offer is refused outside its span of "now".
    assert cache.schedule(3, (99, "UTC")) is None
    key = ("therapy_session", date(2026, 3, 1), date(2026, 3, 1), "UTC")
    assert cache.offer(3, schedules[3], key, NOW) is offer
    assert cache.offer(3, schedules[3], key, NOW - timedelta(seconds=1)) is None
    assert cache.offer(3, schedules[3], key, NOW + timedelta(hours=1)) is None


def test_the_api_answers_from_the_cache_and_follows_changes(client, therapist, make_patient, auth_headers) -> None:
    patient = make_patient()
    day = (datetime.now(UTC) + timedelta(days=2)).date()
    url = f"/api/v1/clinicians/{therapist.id}/slots?type=therapy_session&from={day}&to={day}&tz=UTC"
    headers = auth_headers(patient)
    first = client.get(url, headers=headers).get_json()["slots"]
    assert client.get(url, headers=headers).get_json()["slots"] == first
    taken = first[0]["start"]
    booked = client.post("/api/v1/appointments", headers=headers,
                         json={"clinician_id": therapist.id, "type": "therapy_session", "start": taken})  # fmt: skip
    assert booked.status_code == 201
    after = client.get(url, headers=headers).get_json()["slots"]
    assert taken not in [s["start"] for s in after]
    assert after == [s for s in first if s["start"] != taken and s["start"] not in _blocked_by(first, taken)]


def _blocked_by(found: list[dict], taken: str) -> set[str]:
    """Slots of one day that overlap the 50-minute visit booked at ``taken`` (no gap set)."""
    start = datetime.fromisoformat(taken)
    end = start + timedelta(minutes=50)
    return {s["start"] for s in found if datetime.fromisoformat(s["start"]) < end
            and datetime.fromisoformat(s["end"]) > start}  # fmt: skip

"""Every time rule of the contract, pinned one minute either side of its boundary with an injected
clock: services get ``now``; the API and pages run under time-machine (no scheduler thread runs in
these tests, so a still clock is safe — see docs on integrations). Expected answers are literal
instants, never computed with the rule under test."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from app.booking import service as booking
from app.booking.appointment import Appointment
from app.care_team import service as care
from app.care_team.task import Task
from app.errors import Conflict
from app.extensions import db
from app.notifications import followups
from app.notifications.outbox_message import OutboxMessage
from tests.integration.conftest import csrf_token_from

ALL_DAY = {
    "weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
    "min_notice_minutes": 0,
}
# Monday 2031-03-03 17:00 UTC = 09:00 in Los Angeles (the clinician's zone): on the 30-minute grid.
START = datetime(2031, 3, 3, 17, 0, tzinfo=UTC)
BOOKED_AT = datetime(2031, 2, 24, 17, 0, tzinfo=UTC)  # a week before
MINUTE = timedelta(minutes=1)


@pytest.fixture
def visit(make_patient, make_clinician):
    """A booked initial consultation at START, made a week before (texts opted in)."""

    def make(kind: str = "initial_consultation", credential: str = "LCSW"):
        clinician = make_clinician(credential, licensed_states=["NY"])
        booking.update_availability(clinician, ALL_DAY, actor=clinician)
        patient = make_patient(phone="+12125550142", sms_opt_in=True)
        appointment = booking.book(patient, clinician.id, kind, START, now=BOOKED_AT)
        return patient, clinician, appointment

    return make


def _bearer(user) -> dict[str, str]:
    from app.auth import service as auth_service

    return {"Authorization": "Bearer " + auth_service.issue_token(user, timedelta(hours=1))}


# --- late cancel: under 24 h before the start ---------------------------------------------------------


@pytest.mark.parametrize(
    ("before_start", "late"),
    [(timedelta(hours=24, minutes=1), False), (timedelta(hours=24), False), (timedelta(hours=23, minutes=59), True)],
)
def test_late_cancel_is_under_24_hours_before_start(visit, before_start, late):
    patient, _, appointment = visit()
    cancelled = booking.cancel(patient, appointment.id, None, now=START - before_start)
    assert cancelled.cancelled_late is late


@pytest.mark.parametrize(
    ("before_start", "late"), [(timedelta(hours=24, minutes=1), False), (timedelta(hours=23, minutes=59), True)]
)
def test_late_cancel_24h_through_the_api(client, visit, before_start, late):
    patient, _, appointment = visit()
    with time_machine.travel(START - before_start, tick=False):
        response = client.post(f"/api/v1/appointments/{appointment.id}/cancel", headers=_bearer(patient), json={})
    assert response.status_code == 200
    assert response.get_json() == {"status": "cancelled", "late": late}


@pytest.mark.parametrize(
    ("before_start", "warned"), [(timedelta(hours=24, minutes=1), False), (timedelta(hours=23, minutes=59), True)]
)
def test_late_cancel_24h_warning_on_the_appointment_page(client, visit, browser_login, before_start, warned):
    patient, _, appointment = visit()
    with time_machine.travel(START - before_start, tick=False):
        browser_login(patient)
        page = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
        assert ("counts as a late cancellation" in page) is warned
        response = client.post(f"/appointments/{appointment.id}/cancel", data={"csrf_token": csrf_token_from(page)})
        assert response.status_code == 302 and response.headers["Location"].endswith("/appointments")
        flashed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert ("(late cancellation)" in flashed) is warned
    assert db.session.get(Appointment, appointment.id).cancelled_late is warned


# --- complete / no-show: from 15 minutes before the start ---------------------------------------------


@pytest.mark.parametrize("status", ["completed", "no_show"])
def test_complete_and_no_show_allowed_from_15_minutes_before_start(visit, status):
    _, clinician, appointment = visit()
    with pytest.raises(Conflict) as refused:
        booking.mark(clinician, appointment.id, status, now=START - timedelta(minutes=16))
    assert refused.value.code == "too_early"
    assert db.session.get(Appointment, appointment.id).status == "booked"
    assert booking.mark(clinician, appointment.id, status, now=START - timedelta(minutes=15)).status == status


@pytest.mark.parametrize(("path", "status"), [("complete", "completed"), ("no-show", "no_show")])
def test_complete_and_no_show_15_minutes_through_the_api(client, visit, path, status):
    _, clinician, appointment = visit()
    url = f"/api/v1/appointments/{appointment.id}/{path}"
    with time_machine.travel(START - timedelta(minutes=16), tick=False):
        early = client.post(url, headers=_bearer(clinician))
    assert early.status_code == 409 and early.get_json()["error"] == "too_early"
    with time_machine.travel(START - timedelta(minutes=14), tick=False):
        done = client.post(url, headers=_bearer(clinician))
    assert done.status_code == 200 and done.get_json() == {"status": status}


# --- min notice and horizon, as the booking service applies them -------------------------------------


def test_min_notice_240_minutes_when_booking(visit, make_patient):
    _, clinician, _ = visit()
    booking.update_availability(clinician, {"min_notice_minutes": 240}, actor=clinician)
    later = START + timedelta(hours=2)
    with pytest.raises(Conflict):
        booking.book(make_patient(), clinician.id, "initial_consultation", later, now=later - timedelta(minutes=239))
    booked = booking.book(
        make_patient(), clinician.id, "initial_consultation", later, now=later - timedelta(minutes=240)
    )
    assert booked.status == "booked"


def test_horizon_60_days_when_booking(visit, make_patient):
    _, clinician, _ = visit()
    later = START + timedelta(hours=1)  # 10:00 on 2031-03-03 in Los Angeles: 60 local days after 2031-01-02
    with pytest.raises(Conflict):
        booking.book(make_patient(), clinician.id, "initial_consultation", later,
                     now=datetime(2031, 1, 2, 7, 59, tzinfo=UTC))  # 2031-01-01 23:59 PST: 61 days ahead  # fmt: skip
    booked = booking.book(make_patient(), clinician.id, "initial_consultation", later,
                          now=datetime(2031, 1, 2, 8, 0, tzinfo=UTC))  # 2031-01-02 00:00 PST: 60 days  # fmt: skip
    assert booked.status == "booked"


# --- safety task: PHQ-9 item 9 opens a task due in 4 hours -------------------------------------------


def test_safety_task_is_due_4_hours_after_the_phq9(visit):
    patient, clinician, _ = visit()
    taken = datetime(2031, 3, 1, 15, 30, tzinfo=UTC)
    care.add_assessment(patient, patient.id, "PHQ-9", [1, 1, 1, 1, 1, 1, 1, 1, 1], now=taken)
    (task,) = db.session.scalars(db.select(Task).where(Task.owner_id == clinician.id, Task.urgent)).all()
    due = task.due_at if task.due_at.tzinfo else task.due_at.replace(tzinfo=UTC)
    assert due == datetime(2031, 3, 1, 19, 30, tzinfo=UTC)


# --- check-in link: 2 days before a visit without a recent PHQ-9 -------------------------------------


def _check_in_links() -> list[OutboxMessage]:
    return list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "checkin_link")))


def test_check_in_link_not_sent_more_than_2_days_before(visit):
    visit(kind="therapy_session")
    assert followups.run(now=START - timedelta(days=2) - MINUTE)["check_ins"] == 0
    assert _check_in_links() == []


def test_check_in_link_sent_2_days_before(visit):
    visit(kind="therapy_session")
    assert followups.run(now=START - timedelta(days=2))["check_ins"] == 1
    assert len(_check_in_links()) == 1


# --- care-plan review: a plan unchanged for 90 days --------------------------------------------------


def _reviews() -> list[Task]:
    return list(db.session.scalars(db.select(Task).where(Task.title.contains("Review the care plan"))))


def test_plan_review_not_before_90_days(visit):
    patient, clinician, _ = visit()
    changed = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)
    care.patch_plan(clinician, patient.id, 0, {"goals": [{"text": "Sleep", "status": "active"}]}, now=changed)
    assert followups.run(now=datetime(2031, 6, 2, 11, 59, tzinfo=UTC))["plan_reviews"] == 0  # 90 days less 1 min
    assert _reviews() == []


def test_plan_review_at_90_days(visit):
    patient, clinician, _ = visit()
    changed = datetime(2031, 3, 4, 12, 0, tzinfo=UTC)
    care.patch_plan(clinician, patient.id, 0, {"goals": [{"text": "Sleep", "status": "active"}]}, now=changed)
    assert followups.run(now=datetime(2031, 6, 2, 12, 0, tzinfo=UTC))["plan_reviews"] == 1  # exactly 90 days
    assert [t.owner_id for t in _reviews()] == [clinician.id]

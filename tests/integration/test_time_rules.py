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
from app.care_team import followups
from app.care_team import service as care
from app.care_team.task import Task
from app.errors import Conflict
from app.extensions import db
from app.sms.outbox_message import OutboxMessage
from tests.integration.conftest import csrf_token_from, sent_to_login

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


@pytest.mark.parametrize(("status", "rebook_texts", "missed_tasks"), [("completed", 0, 0), ("no_show", 1, 1)])
def test_only_a_no_show_texts_the_patient_to_rebook_and_tasks_the_clinician(visit, status, rebook_texts, missed_tasks):
    _, clinician, appointment = visit()
    booking.mark(clinician, appointment.id, status, now=START)
    texts = db.session.scalars(db.select(OutboxMessage.kind).where(OutboxMessage.appointment_id == appointment.id))
    assert list(texts).count("followup_no_show") == rebook_texts
    tasks = db.session.scalars(db.select(Task.title).where(Task.owner_id == clinician.id)).all()
    assert sum("missed visit" in title for title in tasks) == missed_tasks


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


# --- reminders: 24 h and 2 h before the start; one whose time passed at booking is skipped --------


def _texts_of(appointment_id: int) -> dict[str, datetime]:
    rows = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.appointment_id == appointment_id))
    return {m.kind: (m.due_at if m.due_at.tzinfo else m.due_at.replace(tzinfo=UTC)) for m in rows}


def test_reminders_are_due_24h_and_2h_before_start(visit):
    _, _, appointment = visit()  # booked a week ahead; START is 12:00 in New York, outside quiet hours
    due = _texts_of(appointment.id)
    assert due["reminder_24h"] == datetime(2031, 3, 2, 17, 0, tzinfo=UTC)
    assert due["reminder_2h"] == datetime(2031, 3, 3, 15, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("booked_before", "kinds"),
    [
        (timedelta(hours=24, minutes=1), {"booking_confirmation", "reminder_24h", "reminder_2h"}),
        (timedelta(hours=24), {"booking_confirmation", "reminder_2h"}),
        (timedelta(hours=2, minutes=1), {"booking_confirmation", "reminder_2h"}),
        (timedelta(hours=2), {"booking_confirmation"}),
    ],
)
def test_reminder_whose_time_passed_at_booking_is_skipped(make_patient, make_clinician, booked_before, kinds):
    clinician = make_clinician("LCSW", licensed_states=["NY"])
    booking.update_availability(clinician, ALL_DAY, actor=clinician)
    patient = make_patient(phone="+12125550142", sms_opt_in=True)
    appointment = booking.book(patient, clinician.id, "initial_consultation", START, now=START - booked_before)
    assert set(_texts_of(appointment.id)) == kinds


# --- quiet hours: 21:00 to 08:00 in the patient's zone, on DST transition days too -------------------


@pytest.mark.parametrize(
    ("due", "sent"),
    [
        # spring forward, New York 2031-03-09 (02:00 EST -> 03:00 EDT): 08:00 EDT is 12:00 UTC
        (datetime(2031, 3, 9, 2, 0), datetime(2031, 3, 9, 12, 0)),  # 21:00 EST on the eve
        (datetime(2031, 3, 9, 1, 59), datetime(2031, 3, 9, 1, 59)),  # 20:59 EST on the eve
        (datetime(2031, 3, 9, 6, 59), datetime(2031, 3, 9, 12, 0)),  # 01:59 EST
        (datetime(2031, 3, 9, 7, 0), datetime(2031, 3, 9, 12, 0)),  # 03:00 EDT
        (datetime(2031, 3, 9, 11, 59), datetime(2031, 3, 9, 12, 0)),  # 07:59 EDT
        (datetime(2031, 3, 9, 12, 0), datetime(2031, 3, 9, 12, 0)),  # 08:00 EDT
        (datetime(2031, 3, 10, 0, 59), datetime(2031, 3, 10, 0, 59)),  # 20:59 EDT
        (datetime(2031, 3, 10, 1, 0), datetime(2031, 3, 10, 12, 0)),  # 21:00 EDT
        # fall back, New York 2031-11-02 (02:00 EDT -> 01:00 EST): 08:00 EST is 13:00 UTC
        (datetime(2031, 11, 2, 1, 0), datetime(2031, 11, 2, 13, 0)),  # 21:00 EDT on the eve
        (datetime(2031, 11, 2, 0, 59), datetime(2031, 11, 2, 0, 59)),  # 20:59 EDT on the eve
        (datetime(2031, 11, 2, 5, 30), datetime(2031, 11, 2, 13, 0)),  # 01:30 EDT (first)
        (datetime(2031, 11, 2, 6, 30), datetime(2031, 11, 2, 13, 0)),  # 01:30 EST (second)
        (datetime(2031, 11, 2, 12, 59), datetime(2031, 11, 2, 13, 0)),  # 07:59 EST
        (datetime(2031, 11, 2, 13, 0), datetime(2031, 11, 2, 13, 0)),  # 08:00 EST
        (datetime(2031, 11, 3, 1, 59), datetime(2031, 11, 3, 1, 59)),  # 20:59 EST
        (datetime(2031, 11, 3, 2, 0), datetime(2031, 11, 3, 13, 0)),  # 21:00 EST
    ],
)
def test_quiet_hours_21_to_08_in_patient_zone_on_dst_days(due, sent):
    from app.sms.outbox import after_quiet_hours

    assert after_quiet_hours(due.replace(tzinfo=UTC), "America/New_York") == sent.replace(tzinfo=UTC)


# --- trial ending: a text 3 days before the first charge ---------------------------------------------


@pytest.mark.parametrize(("before_end", "texted"), [(timedelta(days=3, minutes=1), 0), (timedelta(days=3), 1)])
def test_trial_ending_notice_3_days_before(app, make_patient, before_end, texted):
    from app.billing import notices
    from app.billing.membership import Membership

    patient = make_patient(phone="+12125550142", sms_opt_in=True, member=False)
    trial_end = datetime(2031, 3, 10, 17, 0, tzinfo=UTC)
    db.session.add(Membership(patient_id=patient.id, customer_id="cus_t", subscription_id="sub_t", plan="monthly",
                              status="trialing", trial_end=trial_end, trial_used=True,
                              updated_at=trial_end - timedelta(days=7)))  # fmt: skip
    db.session.commit()
    assert notices.trials_ending_soon(trial_end - before_end, app.config["PUBLIC_BASE_URL"]) == texted
    rows = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "trial_ending")).all()
    assert len(rows) == texted


# --- browser sessions: 15 minutes idle, 12 hours absolute --------------------------------------------

T0 = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)


def _session_row():
    from app.auth.login_session import LoginSession

    db.session.expire_all()
    return db.session.scalars(db.select(LoginSession)).one()


def test_session_kept_after_15_minutes_idle(client, make_patient, browser_login):
    with time_machine.travel(T0, tick=False):
        browser_login(make_patient())
    with time_machine.travel(T0 + timedelta(minutes=15), tick=False):
        assert client.get("/dashboard").status_code == 200
    assert _session_row().ended_at is None


def test_session_ends_after_15_minutes_and_1_idle(client, make_patient, browser_login):
    with time_machine.travel(T0, tick=False):
        browser_login(make_patient())
    with time_machine.travel(T0 + timedelta(minutes=16), tick=False):
        assert sent_to_login(client.get("/dashboard"))
    assert _session_row().ended_at is not None
    with time_machine.travel(T0 + timedelta(minutes=17), tick=False):
        assert sent_to_login(client.get("/dashboard"))  # ended for good, not just for that request


def _active_until(client, end: datetime) -> None:
    """A request every 14 minutes from T0 to ``end``: never idle."""
    at = T0
    while at < end:
        at = min(at + timedelta(minutes=14), end)
        with time_machine.travel(at, tick=False):
            assert client.get("/dashboard").status_code == 200, at


def test_active_session_kept_until_12_hours(client, make_patient, browser_login):
    with time_machine.travel(T0, tick=False):
        browser_login(make_patient())
    _active_until(client, T0 + timedelta(hours=12))
    assert _session_row().ended_at is None


def test_active_session_ends_after_12_hours_and_1_minute(client, make_patient, browser_login):
    with time_machine.travel(T0, tick=False):
        browser_login(make_patient())
    _active_until(client, T0 + timedelta(hours=11, minutes=59))
    with time_machine.travel(T0 + timedelta(hours=12, minutes=1), tick=False):
        assert sent_to_login(client.get("/dashboard"))
    assert _session_row().ended_at is not None


# --- API token: 12 hours --------------------------------------------------------------------------


def test_api_token_expires_after_12_hours(client, make_patient):
    from tests.conftest import PASSWORD

    patient = make_patient()
    with time_machine.travel(T0, tick=False):
        issued = client.post("/api/v1/auth/token", json={"email": patient.email, "password": PASSWORD}).get_json()
    headers = {"Authorization": "Bearer " + issued["token"]}
    with time_machine.travel(T0 + timedelta(hours=11, minutes=59), tick=False):
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    with time_machine.travel(T0 + timedelta(hours=12), tick=False):
        expired = client.get("/api/v1/me", headers=headers)
    assert expired.status_code == 401


# --- password reset link: 30 minutes ----------------------------------------------------------------


@pytest.mark.parametrize(("after", "status"), [(timedelta(minutes=29), 200), (timedelta(minutes=30), 400)])
def test_password_reset_link_expires_after_30_minutes(client, make_patient, caplog, after, status):
    import logging
    import re

    from app.auth import recovery

    patient = make_patient()
    with caplog.at_level(logging.INFO, logger="app.mail"):
        recovery.request_reset(patient.email, link_base="http://x", now=T0)
    (raw,) = re.findall(r"/password/reset/([\w-]+)", caplog.text)
    with time_machine.travel(T0 + after, tick=False):
        page = client.get(f"/password/reset/{raw}")
    assert page.status_code == status
    assert ("expired or was already used" in page.get_data(as_text=True)) is (status == 400)

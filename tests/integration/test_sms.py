"""Texts: outbox rows written with their cause, quiet hours, consent, the real twilio SDK against a
fake Twilio on 127.0.0.1, retries, permanent failures, leases, keywords and delivery reports."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from twilio.request_validator import RequestValidator

from app.booking import service as booking
from app.extensions import db
from app.sms import messages
from app.sms.backends import TwilioSms
from app.sms.outbox import Text, after_quiet_hours, enqueue, enqueue_all
from app.sms.outbox_message import OutboxMessage, SmsNumber
from app.sms.sender import claim_rows, dispatch_due
from tests.fakes.twilio_server import FakeTwilio
from tests.integration.conftest import csrf_token_from

TOKEN = "twilio-auth-token-for-tests-0123456789abcdef"
SID = "AC" + "a" * 32
PHONE = "+12125550142"
EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


def claim(now, batch, lease):
    """The ids a sender claims (what ``dispatch_due`` does first), for tests that stop a sender there."""
    return [row.id for row in claim_rows(now, batch, lease)]


@pytest.fixture
def fake():
    server = FakeTwilio()
    yield server
    server.close()


@pytest.fixture
def sms(fake):
    return TwilioSms(SID, TOKEN, "+15005550006", "http://127.0.0.1:5000/sms/twilio/status", api_base=fake.base_url)


@pytest.fixture
def world(make_patient, make_clinician):
    clinician = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(clinician, EVERY_DAY, actor=clinician)
    patient = make_patient(phone=PHONE, sms_opt_in=True, timezone="America/New_York")
    return clinician, patient


def _now() -> datetime:
    """Noon in New York on the next day (not the wall clock): these tests must not depend on whether
    the suite happens to run during the patient's quiet hours."""
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    day = datetime.now(UTC).astimezone(ny).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 12, tzinfo=ny).astimezone(UTC)


def _book(clinician, patient, when: datetime):
    return booking.book(patient, clinician.id, "therapy_session", when, now=_now())


def _at(days: int, hour: int) -> datetime:
    """A slot start `days` ahead at `hour`:00 New York time."""
    from zoneinfo import ZoneInfo

    day = (_now() + timedelta(days=days)).astimezone(ZoneInfo("America/New_York")).date()
    return datetime(day.year, day.month, day.day, hour, tzinfo=ZoneInfo("America/New_York")).astimezone(UTC)


def _outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id)))


def test_booking_writes_confirmation_and_two_reminders_once(world):
    clinician, patient = world
    appointment = _book(clinician, patient, _at(3, 14))
    kinds = sorted(m.kind for m in _outbox())
    assert kinds == ["booking_confirmation", "reminder_24h", "reminder_2h"]
    reminder = next(m for m in _outbox() if m.kind == "reminder_2h")
    assert reminder.due_at == appointment.start_at - timedelta(hours=2) and reminder.status == "queued"
    for m in _outbox():
        assert not any(word in m.body.lower() for word in messages.FORBIDDEN), m.body


def test_a_bookings_texts_carry_their_keys_bodies_due_times_and_number(app, world):
    clinician, patient = world
    start = _at(3, 14)
    appointment = _book(clinician, patient, start)
    link = f"{app.config['PUBLIC_BASE_URL']}/appointments/{appointment.id}"
    expected = {
        "booking_confirmation": (messages.booking_confirmation, _now()),
        "reminder_24h": (partial(messages.reminder, hours=24), start - timedelta(hours=24)),
        "reminder_2h": (partial(messages.reminder, hours=2), start - timedelta(hours=2)),
    }
    written = {m.kind: m for m in _outbox()}
    assert set(written) == set(expected)
    for kind, (build, due) in expected.items():
        m = written[kind]
        assert m.dedupe_key == f"appointment:{appointment.id}:{int(start.timestamp())}:{kind}"
        assert m.body == build(start, "America/New_York", link)
        assert m.due_at == due and (m.status, m.status_reason, m.attempts) == ("queued", None, 0)
        assert (m.patient_id, m.appointment_id, m.to_number) == (patient.id, appointment.id, PHONE)
        assert m.created_at is not None and m.updated_at is not None


def test_a_text_quiet_hours_would_push_past_the_start_is_dropped(world):
    clinician, patient = world
    late_evening = _now() + timedelta(hours=10)  # 22:00 in New York
    start = _at(1, 7)  # 07:00 the next morning
    booking.book(patient, clinician.id, "therapy_session", start, now=late_evening)
    # The confirmation would wait for 08:00, after the visit; the 24 h reminder's time has passed;
    # the 2 h reminder is exempt from quiet hours.
    (only,) = _outbox()
    assert only.kind == "reminder_2h" and only.due_at == start - timedelta(hours=2)


def test_a_number_that_replied_stop_gets_every_booking_text_suppressed(world):
    clinician, patient = world
    db.session.add(SmsNumber(number=PHONE, opted_out=True))
    db.session.commit()
    _book(clinician, patient, _at(3, 14))
    assert len(_outbox()) == 3
    assert {(m.status, m.status_reason) for m in _outbox()} == {("suppressed", "number replied STOP")}


def test_enqueue_all_skips_a_key_already_in_the_outbox_and_writes_the_rest(world):
    _, patient = world
    due = _now()
    enqueue(patient, kind="followup", body="first", due_at=due, dedupe_key="test:a")
    again, new = Text("followup", "second", due, "test:a"), Text("followup", "third", due, "test:b")
    enqueue_all(patient, [again, new])
    assert {m.dedupe_key: m.body for m in _outbox()} == {"test:a": "first", "test:b": "third"}


def test_a_reminder_whose_time_passed_at_booking_is_skipped(world):
    clinician, patient = world
    _book(clinician, patient, _now().replace(second=0, microsecond=0) + timedelta(hours=5, minutes=-_now().minute))
    assert "reminder_24h" not in {m.kind for m in _outbox()}


def test_never_opted_in_gets_nothing_sent(world, make_patient, sms, fake):
    clinician, _ = world
    silent = make_patient(phone="+12125550199", sms_opt_in=False)
    _book(clinician, silent, _at(3, 15))
    assert {m.status for m in _outbox()} == {"suppressed"}
    assert "not opted in" in _outbox()[0].status_reason
    dispatch_due(now=_now() + timedelta(days=5), sms=sms)
    assert fake.requests == []


def test_why_a_text_is_not_sent_is_recorded_in_the_words_the_settings_page_reads(world, make_patient):
    # notifications/texts_list.py turns these exact reasons into "Not sent because …" for the patient.
    # A user without a patient profile (staff) is never texted either: a suppressed row, not an error.
    clinician, _ = world
    no_number = make_patient(sms_opt_in=False)
    not_opted_in = make_patient(phone="+12125550198", sms_opt_in=False)
    for user in (no_number, not_opted_in, clinician):
        enqueue(user, kind="followup", body="hello", due_at=_now(), dedupe_key=f"t:{user.id}")
    rows = {m.patient_id: (m.status, m.status_reason, m.to_number) for m in _outbox()}
    assert rows == {
        no_number.id: ("suppressed", "no mobile number", ""),
        not_opted_in.id: ("suppressed", "patient has not opted in to texts", "+12125550198"),
        clinician.id: ("suppressed", "no mobile number", ""),
    }


def test_a_text_landing_exactly_at_its_not_after_is_dropped_and_one_a_minute_earlier_is_kept(world):
    _, patient = world
    noon = _now()  # outside quiet hours: the send time is the due time
    assert enqueue(patient, kind="followup", body="at", due_at=noon, dedupe_key="t:at", not_after=noon) is False
    kept = enqueue(patient, kind="followup", body="before", due_at=noon, dedupe_key="t:before",
                   not_after=noon + timedelta(minutes=1))  # fmt: skip
    assert kept is True and [m.dedupe_key for m in _outbox()] == ["t:before"]


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("20:59", "20:59"),
        ("21:00", "08:00+1"),
        ("23:30", "08:00+1"),
        ("00:10", "08:00"),
        ("07:59", "08:00"),
        ("08:00", "08:00"),
    ],
)
def test_quiet_hours_in_the_patients_zone(local, expected):
    from zoneinfo import ZoneInfo

    la = ZoneInfo("America/Los_Angeles")
    hour, minute = map(int, local.split(":"))
    due = datetime(2027, 3, 13, hour, minute, tzinfo=la)  # the eve of a spring-forward day
    moved = after_quiet_hours(due.astimezone(UTC), "America/Los_Angeles").astimezone(la)
    want_hm, plus = expected.split("+") if "+" in expected else (expected, "0")
    assert moved.strftime("%H:%M") == want_hm and moved.date() == due.date() + timedelta(days=int(plus))


@pytest.mark.parametrize(
    ("kind", "exempt"),
    [
        ("reminder_2h", True),
        ("reminder_1h", True),
        ("reminder_3h", False),  # only a reminder 2 hours or less before the visit
        ("reminder_24h", False),
        ("reminder_2", False),  # a reminder kind always ends in "h"
        ("2h", False),  # and starts with "reminder_"
        ("followup_2h", False),
        ("reminder_h", False),
        ("reminder_²h", False),  # a digit to str.isdigit, not a number of hours
    ],
)
def test_only_a_reminder_of_2_hours_or_less_is_exempt_from_quiet_hours(kind, exempt):
    from app.sms.outbox import exempt_from_quiet_hours

    assert exempt_from_quiet_hours(kind) is exempt


def test_two_hour_reminder_ignores_quiet_hours_but_24h_does_not(world):
    clinician, patient = world
    appointment = _book(clinician, patient, _at(3, 7))  # 07:00: 2 h before is 05:00
    by_kind = {m.kind: m for m in _outbox()}
    assert by_kind["reminder_2h"].due_at == appointment.start_at - timedelta(hours=2)
    from zoneinfo import ZoneInfo

    local = by_kind["reminder_24h"].due_at.astimezone(ZoneInfo("America/New_York"))
    assert local.strftime("%H:%M") == "08:00"  # 07:00 the day before is quiet time: moved to 08:00


def test_dispatch_sends_through_the_sdk_and_status_is_recorded(world, sms, fake):
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    result = dispatch_due(now=_now(), sms=sms)
    assert result == {"sent": 1}
    (body,) = fake.bodies_to(PHONE)
    assert body.startswith("Harbor Mind: your visit is booked for") and "/appointments/" in body
    assert fake.requests[0]["StatusCallback"].endswith("/sms/twilio/status")
    sent = next(m for m in _outbox() if m.kind == "booking_confirmation")
    assert sent.status == "sent" and sent.provider_sid.startswith("SM")


def test_cancelled_appointment_reminders_are_never_sent(world, sms, fake):
    clinician, patient = world
    appointment = _book(clinician, patient, _at(3, 14))
    booking.cancel(patient, appointment.id, None)
    dispatch_due(now=_now() + timedelta(days=4), sms=sms)
    bodies = fake.bodies_to(PHONE)
    assert not any("reminder" in b for b in bodies)
    assert any("was cancelled" in b for b in bodies)
    assert {m.status for m in _outbox() if m.kind.startswith("reminder")} == {"suppressed"}


def test_reminders_follow_a_reschedule(world):
    clinician, patient = world
    appointment = _book(clinician, patient, _at(3, 14))
    booking.reschedule(patient, appointment.id, _at(4, 15))
    queued = [m for m in _outbox() if m.status == "queued" and m.kind.startswith("reminder")]
    assert len(queued) == 2 and all(m.due_at >= _at(3, 15) for m in queued)


def test_moving_a_visit_back_to_its_first_time_queues_its_reminders_again(world):
    # The reminders' keys carry the start; the ones withdrawn by the first move must not block
    # the same reminders when the visit returns to that start.
    clinician, patient = world
    first = _at(3, 14)
    appointment = _book(clinician, patient, first)
    booking.reschedule(patient, appointment.id, _at(4, 15))
    booking.reschedule(patient, appointment.id, first)
    queued = sorted(m.due_at for m in _outbox() if m.status == "queued" and m.kind.startswith("reminder"))
    assert queued == [first - timedelta(hours=24), first - timedelta(hours=2)]
    withdrawn = [m for m in _outbox() if m.status == "suppressed" and m.kind.startswith("reminder")]
    assert len(withdrawn) == 4 and {m.status_reason for m in withdrawn} == {"appointment moved"}


def test_transient_failures_retry_with_backoff_then_fail_after_five(world, sms, fake):
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    fake.fail_ratio = 1.0
    now = _now()
    dispatch_due(now=now, sms=sms)
    message = next(m for m in _outbox() if m.kind == "booking_confirmation")
    assert message.status == "queued" and message.attempts == 1 and message.due_at > now + timedelta(seconds=20)
    fake.fail_ratio = 0.0
    dispatch_due(now=message.due_at, sms=sms)
    assert len(fake.bodies_to(PHONE)) == 1
    assert next(m for m in _outbox() if m.kind == "booking_confirmation").status == "sent"


def test_gives_up_after_five_retries(world, sms, fake):
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    fake.fail_ratio = 1.0
    now = _now()
    for _ in range(7):
        dispatch_due(now=now, sms=sms)
        now += timedelta(hours=1)
    message = next(m for m in _outbox() if m.kind == "booking_confirmation")
    assert message.status == "failed" and message.attempts == 6


def test_permanent_opt_out_error_marks_the_number(world, sms, fake):
    clinician, patient = world
    fake.error_for[PHONE] = (400, 21610)
    _book(clinician, patient, _at(3, 14))
    dispatch_due(now=_now(), sms=sms)
    message = next(m for m in _outbox() if m.kind == "booking_confirmation")
    assert message.status == "failed" and message.error_code == "21610" and message.attempts == 1
    assert db.session.get(SmsNumber, PHONE).opted_out
    fake.error_for.clear()
    dispatch_due(now=_now() + timedelta(days=4), sms=sms)
    assert fake.requests == []  # the reminders were re-checked and suppressed


def test_a_dead_senders_rows_are_retried_after_the_lease(world, sms, fake):
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    now = _now()
    assert len(claim(now, 10, timedelta(seconds=120))) == 1  # claimed, then the sender "dies"
    assert dispatch_due(now=now + timedelta(seconds=60), sms=sms) == {}
    assert dispatch_due(now=now + timedelta(seconds=121), sms=sms) == {"sent": 1}
    assert len(fake.bodies_to(PHONE)) == 1


def test_a_text_the_dead_sender_got_through_is_not_sent_again(world, sms, fake):
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    now = _now()
    fake.clock = lambda: now.timestamp() + 2  # Twilio's clock agrees with ours
    (message_id,) = claim(now, 10, timedelta(seconds=120))
    message = db.session.get(OutboxMessage, message_id)
    sms.send(message.to_number, message.body, reference=str(message_id))  # accepted, then the sender is killed
    assert dispatch_due(now=now + timedelta(seconds=121), sms=sms) == {"sent": 1}
    assert len(fake.bodies_to(PHONE)) == 1
    db.session.refresh(message)
    assert message.provider_sid == fake.created[0]["sid"] and message.status_reason.startswith("accepted by")


def test_a_text_the_dead_sender_never_sent_is_sent_on_take_over(world, sms, fake):
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    now = _now()
    fake.clock = lambda: now.timestamp() + 2
    sms.send(PHONE, "an older text to the same number", reference="0")
    claim(now, 10, timedelta(seconds=120))
    assert dispatch_due(now=now + timedelta(seconds=121), sms=sms) == {"sent": 1}
    assert len(fake.bodies_to(PHONE)) == 2


def test_take_over_does_not_adopt_a_text_whose_body_merely_starts_with_ours(world, sms, fake):
    """Another sender sent "<our body>x" and has not recorded it yet: it is not our text. Adopting its
    SID would lose our text and break the unique provider SID when the other sender commits."""
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    now = _now()
    fake.clock = lambda: now.timestamp() + 2
    (message_id,) = claim(now, 10, timedelta(seconds=120))  # claimed, then the sender dies unsent
    message = db.session.get(OutboxMessage, message_id)
    body = message.body
    sms.send(PHONE, body + "x", reference="other")  # another row's text, its sender not yet committed
    assert dispatch_due(now=now + timedelta(seconds=121), sms=sms) == {"sent": 1}
    assert fake.bodies_to(PHONE) == [body + "x", body]  # ours really went out, once
    db.session.refresh(message)
    assert message.provider_sid == fake.created[1]["sid"] and message.status_reason is None


def test_take_over_does_not_adopt_the_same_body_sent_before_the_first_claim(world, sms, fake):
    """The same words to the same number an hour earlier (another visit's text) are not our text."""
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    now = _now()
    (message_id,) = claim(now, 10, timedelta(seconds=120))
    body = db.session.get(OutboxMessage, message_id).body
    fake.clock = lambda: now.timestamp() - 3600
    sms.send(PHONE, body, reference="earlier")
    fake.clock = lambda: now.timestamp() + 2
    assert dispatch_due(now=now + timedelta(seconds=121), sms=sms) == {"sent": 1}
    assert fake.bodies_to(PHONE) == [body, body]


def test_a_sender_survives_one_rows_error_and_the_row_is_reconciled_on_take_over(world, make_patient, sms, fake):
    """Twilio accepts a text but the answer cannot be read (the SDK raises): the sender logs it, leaves
    that row under its lease and sends the rest; the take-over later finds the text at Twilio and
    records it instead of sending it twice."""
    clinician, patient = world
    other_phone = "+12125550143"
    other = make_patient(phone=other_phone, sms_opt_in=True, timezone="America/New_York")
    _book(clinician, patient, _at(3, 14))
    _book(clinician, other, _at(3, 15))
    fake.garbled_for.add(PHONE)
    now = _now()
    fake.clock = lambda: now.timestamp() + 2
    assert dispatch_due(now=now, sms=sms) == {"error": 1, "sent": 1}
    assert len(fake.bodies_to(other_phone)) == 1 and len(fake.bodies_to(PHONE)) == 1
    stuck = [m for m in _outbox() if m.to_number == PHONE and m.status != "queued"]
    assert [m.status for m in stuck] == ["sending"]
    fake.garbled_for.clear()
    assert dispatch_due(now=now + timedelta(seconds=121), sms=sms) == {"sent": 1}
    assert len(fake.bodies_to(PHONE)) == 1  # found at Twilio, not sent again
    db.session.refresh(stuck[0])
    (accepted,) = [c["sid"] for c in fake.created if c["to"] == PHONE]
    assert stuck[0].status == "sent" and stuck[0].provider_sid == accepted


def test_a_sender_whose_lease_ran_out_skips_rows_taken_over(world, sms, fake):
    from app.sms.sender import send_one

    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    now, lease = _now(), timedelta(seconds=120)
    (message_id,) = claim(now, 10, lease)  # sender A claims, then stalls past its lease
    later = now + timedelta(seconds=121)
    assert claim(later, 10, lease) == [message_id]  # sender B takes the row over, under its own lease
    # A wakes up while the row is still B's: the lease it holds no longer matches, so it must not
    # send (the row's status alone, still "sending", would not stop it).
    assert send_one(message_id, sms, now, lease_until=now + lease) == "skipped"
    assert fake.requests == []
    assert send_one(message_id, sms, later, lease_until=later + lease) == "sent"  # B goes on
    assert len(fake.bodies_to(PHONE)) == 1


def _signed_post(client, path, form):
    url = "http://127.0.0.1:5000" + path
    signature = RequestValidator(TOKEN).compute_signature(url, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def webhooks(app, monkeypatch):
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", TOKEN)
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "http://127.0.0.1:5000")


def test_inbound_requires_a_valid_signature(client, webhooks):
    form = {"From": PHONE, "Body": "STOP"}
    assert client.post("/sms/twilio/inbound", data=form, headers={"X-Twilio-Signature": "bogus"}).status_code == 403
    assert client.post("/sms/twilio/inbound", data=form).status_code == 403


def test_stop_start_help_and_confirm(client, webhooks, world):
    clinician, patient = world
    appointment = _book(clinician, patient, _at(3, 14))
    stop = _signed_post(client, "/sms/twilio/inbound", {"From": PHONE, "Body": " stop "})
    assert stop.status_code == 200 and "<Message>" not in stop.get_data(as_text=True)
    db.session.expire_all()
    assert not patient.patient.sms_opt_in and db.session.get(SmsNumber, PHONE).opted_out
    assert {m.status for m in _outbox() if m.kind.startswith("reminder")} == {"suppressed"}
    not_keyword = _signed_post(client, "/sms/twilio/inbound", {"From": PHONE, "Body": "start please"})
    assert "<Message>" not in not_keyword.get_data(as_text=True)
    start = _signed_post(client, "/sms/twilio/inbound", {"From": PHONE, "Body": "Start"})
    assert "appointment texts again" in start.get_data(as_text=True)
    db.session.expire_all()
    assert patient.patient.sms_opt_in
    assert "988" in _signed_post(client, "/sms/twilio/inbound", {"From": PHONE, "Body": "help"}).get_data(as_text=True)
    confirm = _signed_post(client, "/sms/twilio/inbound", {"From": PHONE, "Body": "c"})
    assert "confirmed" in confirm.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(type(appointment), appointment.id).patient_confirmed_at is not None
    nobody = _signed_post(client, "/sms/twilio/inbound", {"From": "+12125550000", "Body": "C"})
    assert "could not find" in nobody.get_data(as_text=True)


def _book_by_api(client, headers, clinician, start: datetime) -> None:
    body = {"clinician_id": clinician.id, "type": "therapy_session", "start": start.isoformat()}
    response = client.post("/api/v1/appointments", headers=headers, json=body)
    assert response.status_code == 201, response.get_json()
    # The requests wrote on the test's connection after this session's savepoint began: end it, so
    # a rollback in the services called next (the sender on SQLite) cannot reach back past them.
    db.session.commit()


def test_typing_a_number_that_replied_stop_does_not_undo_its_stop(
    client, webhooks, world, sms, fake, make_patient, browser_login, auth_headers
):
    """Issue 15 §4: a STOP belongs to the number. Another account typing that number into its text
    settings (and ticking consent) must not opt it back in; only START from the number itself does."""
    clinician, _owner = world
    assert _signed_post(client, "/sms/twilio/inbound", {"From": PHONE, "Body": "STOP"}).status_code == 200
    other = make_patient(timezone="America/New_York")
    browser_login(other)
    token = csrf_token_from(client.get("/settings/sms").get_data(as_text=True))
    saved = client.post(
        "/settings/sms", data={"action": "opt_in", "phone": "(212) 555-0142", "consent": "yes", "csrf_token": token}
    )
    assert saved.status_code == 302
    db.session.expire_all()
    assert other.patient.phone == PHONE and other.patient.sms_opt_in  # the account's consent is kept...
    assert db.session.get(SmsNumber, PHONE).opted_out  # ...but the number's STOP stands
    assert "replied STOP" in client.get("/settings/sms").get_data(as_text=True)

    _book_by_api(client, auth_headers(other), clinician, _at(3, 14))
    dispatch_due(now=_now(), sms=sms)
    assert fake.bodies_to(PHONE) == []
    mine = [m for m in _outbox() if m.patient_id == other.id]
    assert mine and {(m.status, m.status_reason) for m in mine} == {("suppressed", "number replied STOP")}

    assert "appointment texts again" in _signed_post(
        client, "/sms/twilio/inbound", {"From": PHONE, "Body": "START"}
    ).get_data(as_text=True)
    _book_by_api(client, auth_headers(other), clinician, _at(4, 14))
    dispatch_due(now=_now(), sms=sms)
    assert len(fake.bodies_to(PHONE)) == 1  # the new visit's confirmation: texts resume


def test_status_reports_never_move_backwards(client, webhooks, world, sms):
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    dispatch_due(now=_now(), sms=sms)
    message = next(m for m in _outbox() if m.status == "sent")
    report = {"MessageSid": message.provider_sid, "AccountSid": SID}
    assert _signed_post(client, "/sms/twilio/status", {**report, "MessageStatus": "delivered"}).status_code == 204
    _signed_post(client, "/sms/twilio/status", {**report, "MessageStatus": "sent"})  # late, older news
    _signed_post(client, "/sms/twilio/status", {**report, "MessageStatus": "sending"})
    db.session.expire_all()
    assert db.session.get(OutboxMessage, message.id).status == "delivered"


def test_undelivered_records_the_carrier_error(client, webhooks, world, sms):
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    dispatch_due(now=_now(), sms=sms)
    message = next(m for m in _outbox() if m.status == "sent")
    _signed_post(
        client,
        "/sms/twilio/status",
        {"MessageSid": message.provider_sid, "MessageStatus": "undelivered", "ErrorCode": "30007"},
    )
    db.session.expire_all()
    stored = db.session.get(OutboxMessage, message.id)
    assert stored.status == "undelivered" and stored.error_code == "30007"


def test_reminder_hours_are_configurable(app, world, monkeypatch):
    clinician, patient = world
    monkeypatch.setitem(app.config, "SMS_REMINDER_HOURS", (48, 1))
    _book(clinician, patient, _at(4, 14))
    assert sorted(m.kind for m in _outbox()) == ["booking_confirmation", "reminder_1h", "reminder_48h"]


def test_reminder_hours_setting_is_validated():
    from app.settings import Settings, SettingsError

    assert Settings.load(environ={"SMS_REMINDER_HOURS": "2, 24"}).SMS_REMINDER_HOURS == (24, 2)
    with pytest.raises(SettingsError):
        Settings.load(environ={"SMS_REMINDER_HOURS": "0"})


# --- the sender's rules, one by one (each kills mutants that survived `make mutate`) -----------------

LEASE = timedelta(seconds=120)
RAW_KEYS = itertools.count()


def _raw(
    now: datetime, count: int = 1, *, body: str = "Harbor: a note {}", status: str = "queued", kind="note", **extra
):
    """Outbox rows with no patient or visit behind them: only the sender's own rules apply."""
    rows = [
        OutboxMessage(to_number=PHONE, body=body.format(i), kind=kind, dedupe_key=f"raw:{next(RAW_KEYS)}",
                      due_at=now - timedelta(minutes=1), status=status, attempts=0, **extra)
        for i in range(count)
    ]  # fmt: skip
    db.session.add_all(rows)
    db.session.commit()
    return rows


def test_backoff_doubles_from_the_base_with_a_quarter_jitter_either_way():
    import random

    from app.sms.sender import backoff

    for attempt in range(1, 6):
        random.seed(attempt)
        got = backoff(attempt)
        random.seed(attempt)
        assert got == timedelta(seconds=30 * 2 ** (attempt - 1) * random.uniform(0.75, 1.25))
    draws = [backoff(1, 100).total_seconds() for _ in range(400)]
    assert 75 <= min(draws) < 80 and 120 < max(draws) <= 125


def test_a_retry_comes_due_after_the_backoff_of_its_base(app, sms, fake):
    import random

    from app.sms.sender import send_one

    fake.fail_ratio = 1.0
    now = _now()

    def due_after(run) -> tuple[timedelta, float]:
        (row,) = _raw(now, body="Harbor: retry " + str(next(RAW_KEYS)) + " {}")
        random.seed(11)
        run(row)
        db.session.refresh(row)
        random.seed(11)
        return row.due_at - now, random.uniform(0.75, 1.25)

    got, draw = due_after(lambda row: dispatch_due(now=now, sms=sms))  # the default base: 30 s
    assert abs(got.total_seconds() - 30 * draw) < 0.01
    got, draw = due_after(lambda row: dispatch_due(now=now, sms=sms, backoff_seconds=10))
    assert abs(got.total_seconds() - 10 * draw) < 0.01
    got, draw = due_after(lambda row: (claim(now, 10, LEASE), send_one(row.id, sms, now)))
    assert abs(got.total_seconds() - 30 * draw) < 0.01


def test_claim_times_read_back_are_utc_aware():
    from zoneinfo import ZoneInfo

    from app.sms.sender import _aware

    assert _aware("2026-03-08 06:30:00") == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    naive = _aware(datetime(2026, 3, 8, 6, 30))
    assert naive.tzinfo is UTC and naive.hour == 6
    aware = datetime(2026, 3, 8, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    assert _aware(aware) is aware


def test_a_round_claims_at_most_its_batch_and_each_console_text_has_its_own_id(app):
    from app.sms.backends import ConsoleSms

    now = _now()
    rows = _raw(now, 53)
    assert dispatch_due(now=now, sms=ConsoleSms(), batch=1) == {"sent": 1}
    assert dispatch_due(now=now, sms=ConsoleSms()) == {"sent": 50}  # the default batch
    assert len(claim(now, 1, LEASE)) == 1  # of the 2 left
    db.session.expire_all()
    sent = [row for row in rows if row.status == "sent"]
    assert len(sent) == 51 and all(row.provider_sid == f"CONSOLE-{row.id}" for row in sent)


def test_a_row_that_is_not_being_sent_is_skipped(app, sms, fake):
    from app.sms.sender import send_one

    now = _now()
    (done,) = _raw(now, status="sent", provider_sid="SMdone")
    assert send_one(done.id, sms, now) == "skipped"
    assert send_one(done.id + 1000, sms, now) == "skipped"
    assert fake.requests == []


def test_a_claimed_text_about_a_visit_no_longer_booked_is_suppressed(world, sms, fake):
    """Cancelled after the sender claimed the texts (so ``suppress_pending`` could not reach them):
    the re-check just before sending stops every text about the visit, reminders included."""
    from app.booking.appointment import Appointment
    from app.sms.sender import send_one

    clinician, patient = world
    appointment = _book(clinician, patient, _at(3, 14))
    now = appointment.start_at - timedelta(minutes=90)  # confirmation and both reminders are due
    ids = claim(now, 10, LEASE)
    db.session.execute(db.update(Appointment).where(Appointment.id == appointment.id).values(status="cancelled"))
    db.session.commit()
    assert [send_one(i, sms, now) for i in ids] == ["suppressed"] * 3
    rows = _outbox()
    assert sorted(m.kind for m in rows) == ["booking_confirmation", "reminder_24h", "reminder_2h"]
    assert {(m.status, m.status_reason) for m in rows} == {("suppressed", "appointment no longer booked")}
    assert fake.requests == []


def test_a_refused_number_is_marked_with_the_carriers_code_and_an_opt_out_with_its_time(world, sms, fake):
    clinician, patient = world
    fake.error_for[PHONE] = (400, 21211)
    _book(clinician, patient, _at(3, 14))
    now = _now()
    dispatch_due(now=now, sms=sms)
    number = db.session.get(SmsNumber, PHONE)
    assert number.permanent_failure_code == "21211" and not number.opted_out
    (row,) = _raw(now, body="Harbor: after the refusal {}", patient_id=patient.id, kind="note2")
    fake.error_for.clear()
    dispatch_due(now=now, sms=sms)
    db.session.refresh(row)
    assert row.status_reason == "number refused by carrier (21211)" and fake.requests == []
    db.session.delete(number)
    db.session.commit()
    fake.error_for[PHONE] = (400, 21610)
    _raw(now, body="Harbor: before the opt-out {}")
    dispatch_due(now=now, sms=sms)
    number = db.session.get(SmsNumber, PHONE)
    assert number.opted_out and number.opted_out_at == now


def test_take_over_sends_when_the_provider_cannot_be_asked_and_logs_why(world, sms, fake, caplog):
    import logging

    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    now = _now()
    (message_id,) = claim(now, 10, LEASE)
    fake.fail_lookups = 1
    with caplog.at_level(logging.WARNING, logger="app.sms"):
        assert dispatch_due(now=now + timedelta(seconds=121), sms=sms) == {"sent": 1}
    assert len(fake.bodies_to(PHONE)) == 1  # at most one duplicate risked, never a loss
    expected = f"outbox {message_id}: could not ask the provider whether it was sent (lookup failed: TwilioException)"
    assert expected in caplog.messages


def test_take_over_does_not_adopt_the_same_body_created_after_the_take_over(world, sms, fake):
    """Twilio created it (by its clock) after our take-over began, beyond the minute of skew: it
    cannot be what the dead sender sent."""
    clinician, patient = world
    _book(clinician, patient, _at(3, 14))
    now, later = _now(), _now() + timedelta(seconds=121)
    (message_id,) = claim(now, 10, LEASE)
    body = db.session.get(OutboxMessage, message_id).body
    fake.clock = lambda: (later + timedelta(minutes=5)).timestamp()
    sms.send(PHONE, body, reference="future")
    assert dispatch_due(now=later, sms=sms) == {"sent": 1}
    assert fake.bodies_to(PHONE) == [body, body]


def test_take_over_does_not_adopt_a_text_another_row_already_recorded(app, sms, fake):
    """The same words to the same number from two rows: the text Twilio holds is already the other
    row's (its SID is recorded), so the row taken over is sent, not merged into it."""
    now = _now()
    (ours,) = _raw(now, body="Harbor: the same words{}")
    assert claim(now, 10, LEASE) == [ours.id]  # its sender dies before sending
    fake.clock = lambda: now.timestamp() + 2
    theirs = sms.send(PHONE, "Harbor: the same words0", reference="theirs")
    _raw(now, body="Harbor: the same words{}", status="sent", provider_sid=theirs.sid)
    assert dispatch_due(now=now + timedelta(seconds=121), sms=sms) == {"sent": 1}
    db.session.refresh(ours)
    assert ours.provider_sid not in (None, theirs.sid) and len(fake.bodies_to(PHONE)) == 2


def test_a_sender_whose_lease_is_taken_mid_batch_skips_the_rest(app, sms, fake):
    """The sender stalls on its first text for longer than its lease; another sender takes the rest of
    its batch over meanwhile. Back from the stall it must not send those (the other sender will)."""
    from app.sms import sender

    now = _now()
    rows = _raw(now, 3)
    later = now + timedelta(seconds=121)

    class Stalling:
        def send(self, to, body, *, reference):
            others = [row.id for row in rows if str(row.id) != reference]
            db.session.execute(db.update(OutboxMessage).where(OutboxMessage.id.in_(others))
                               .values(lease_expires_at=later + LEASE))  # fmt: skip
            Stalling.send = lambda self, to, body, *, reference: sms.send(to, body, reference=reference)
            return sms.send(to, body, reference=reference)

    assert sender.dispatch_due(now=now, sms=Stalling()) == {"sent": 1, "skipped": 2}
    assert len(fake.bodies_to(PHONE)) == 1


def test_a_lease_holds_up_to_and_including_its_expiry_instant(app):
    """A claimed row stays its sender's while ``now <= lease_expires_at``; only after that may another
    sender take it over (claim_rows' ``lease_expires_at < now``)."""
    now = _now()
    (row,) = _raw(now)
    assert claim(now, 10, LEASE) == [row.id]
    expiry = now + LEASE
    assert claim(expiry, 10, LEASE) == []  # the lease's last instant: still the first sender's
    assert claim(expiry + timedelta(microseconds=1), 10, LEASE) == [row.id]


def test_a_round_claims_the_longest_due_texts_first(app):
    """With more due texts than the batch, the ones due earliest go first: not the oldest rows, and a
    text taken over from a dead sender in its turn among the queued ones."""
    now = _now()
    late, early = _raw(now, 2)
    (abandoned,) = _raw(now, status="sending", lease_expires_at=now - timedelta(seconds=1))
    late.due_at, early.due_at = now - timedelta(minutes=1), now - timedelta(minutes=30)
    abandoned.due_at = now - timedelta(minutes=10)
    db.session.commit()
    assert [claim(now, 1, LEASE) for _ in range(3)] == [[early.id], [abandoned.id], [late.id]]


def test_a_rows_error_is_logged_with_its_id_and_the_traceback(app, sms, fake, caplog):
    """Twilio's answer cannot be read (the SDK raises): the log says which row and why."""
    import logging

    now = _now()
    (row,) = _raw(now)
    fake.garbled_for.add(PHONE)
    with caplog.at_level(logging.ERROR, logger="app.sms"):
        assert dispatch_due(now=now, sms=sms) == {"error": 1}
    (record,) = [r for r in caplog.records if r.name == "app.sms"]
    assert record.getMessage() == f"outbox {row.id}: sending failed; left for retry after its lease"
    assert record.levelno == logging.ERROR and record.exc_info is not None


def test_cancelling_a_visit_withdraws_only_its_own_queued_texts_under_a_voided_key(world, sms, fake):
    clinician, patient = world
    first, second = _book(clinician, patient, _at(3, 14)), _book(clinician, patient, _at(4, 14))
    assert dispatch_due(now=_now(), sms=sms) == {"sent": 2}  # both confirmations went out
    booking.cancel(patient, first.id, None)
    by = {(m.appointment_id, m.kind): m for m in _outbox()}
    assert {by[(second.id, k)].status for k in ("reminder_24h", "reminder_2h")} == {"queued"}  # the other visit's
    confirmation = by[(first.id, "booking_confirmation")]
    assert confirmation.status == "sent" and ":void:" not in confirmation.dedupe_key  # history is not rewritten
    for kind in ("reminder_24h", "reminder_2h"):
        withdrawn = by[(first.id, kind)]
        key = f"appointment:{first.id}:{int(first.start_at.timestamp())}:{kind}"
        assert (withdrawn.status, withdrawn.dedupe_key) == ("suppressed", f"{key}:void:{withdrawn.id}")


def test_enqueue_records_the_visit_a_text_is_about_and_suppress_pending_counts_what_it_withdrew(world):
    from app.sms.outbox import suppress_pending

    clinician, patient = world
    appointment = _book(clinician, patient, _at(3, 14))
    assert enqueue(patient, kind="followup_no_show", body="Harbor: we missed you", due_at=_now(),
                   dedupe_key="test:about-a-visit", appointment_id=appointment.id)  # fmt: skip
    db.session.commit()
    text = next(m for m in _outbox() if m.dedupe_key == "test:about-a-visit")
    assert text.appointment_id == appointment.id
    assert suppress_pending(appointment_id=appointment.id, reason="test", kinds=("reminder_2h",)) == 1
    assert suppress_pending(appointment_id=appointment.id, reason="test", kinds=("reminder_2h",)) == 0


def test_enqueue_drops_a_text_that_quiet_hours_would_push_past_its_not_after(world):
    _, patient = world
    late_evening = _now() + timedelta(hours=10)  # 22:00 in New York: quiet hours move it to 08:00
    keys = {"test:too-late": late_evening + timedelta(hours=9), "test:in-time": late_evening + timedelta(hours=11)}
    sent = [enqueue(patient, kind="note", body="Harbor: a note", due_at=late_evening, dedupe_key=key, not_after=until)
            for key, until in keys.items()]  # fmt: skip
    assert sent == [False, True]
    assert [m.dedupe_key for m in _outbox()] == ["test:in-time"]


def _book_at(clinician, patient, start_ny: datetime):
    return booking.book(patient, clinician.id, "therapy_session", start_ny.astimezone(UTC),
                        now=start_ny.astimezone(UTC) - timedelta(days=3))  # fmt: skip


def _reminders() -> dict[str, OutboxMessage]:
    return {m.kind: m for m in _outbox() if m.kind.startswith("reminder_")}


def test_reminders_name_the_day_as_the_patient_reads_it_across_midnight_and_dst(world):
    """Issue 17: the day word is the patient's calendar when the text arrives (after quiet hours)."""
    from zoneinfo import ZoneInfo

    ny = ZoneInfo("America/New_York")
    clinician, patient = world
    _book_at(clinician, patient, datetime(2027, 5, 4, 15, tzinfo=ny))
    texts = _reminders()
    assert "tomorrow at 3:00 PM EDT" in texts["reminder_24h"].body
    assert "today at 3:00 PM EDT" in texts["reminder_2h"].body
    db.session.execute(db.delete(OutboxMessage))
    # 1 AM: the 2 h reminder goes at 11 PM the evening before (exempt from quiet hours): "tomorrow";
    # the 24 h one would be at 1 AM, waits for 8 AM that day: also "tomorrow".
    _book_at(clinician, patient, datetime(2027, 5, 6, 1, tzinfo=ny))
    texts = _reminders()
    assert "tomorrow at 1:00 AM EDT" in texts["reminder_2h"].body
    assert "tomorrow at 1:00 AM EDT" in texts["reminder_24h"].body
    db.session.execute(db.delete(OutboxMessage))
    # Fall back: 24 h before 10 PM EST on Nov 1 2026 is 11 PM EDT Oct 31, quiet hours: sent 8 AM Nov 1.
    _book_at(clinician, patient, datetime(2026, 11, 1, 22, tzinfo=ny))
    texts = _reminders()
    assert texts["reminder_24h"].due_at.astimezone(ny) == datetime(2026, 11, 1, 8, tzinfo=ny)
    assert "today at 10:00 PM EST" in texts["reminder_24h"].body
    db.session.execute(db.delete(OutboxMessage))
    # Spring forward: 24 h before 1 AM EDT on Mar 15 2027 is midnight EST Mar 14, sent 8 AM EDT Mar 14.
    _book_at(clinician, patient, datetime(2027, 3, 15, 1, tzinfo=ny))
    texts = _reminders()
    assert texts["reminder_24h"].due_at.astimezone(ny) == datetime(2027, 3, 14, 8, tzinfo=ny)
    assert "tomorrow at 1:00 AM EDT" in texts["reminder_24h"].body
    assert "tomorrow at 1:00 AM EDT" in texts["reminder_2h"].body  # 11 PM EDT Mar 14

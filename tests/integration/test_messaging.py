"""Secure messaging (issue 17): one thread per patient with the care team. Access per role (404 for
everyone else, billing admins and admins included; break-glass reads but does not write), oldest first,
bodies in plain-word 422s, crisis words → 988 and one urgent task per team member, the text that
announces a message (no content, quiet hours, consent, dropped once read), read receipts and unread
counts, audit rows and "who viewed my record", FHIR ``Communication`` and the pages."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.audit.event import AuditEvent
from app.care_team import fhir
from app.care_team.task import Task, TaskEvent
from app.extensions import db
from app.messaging import service
from app.messaging.message import Message, MessageRead
from app.sms import messages
from app.sms.backends import TwilioSms
from app.sms.outbox_message import OutboxMessage
from app.sms.sender import dispatch_due
from tests.fakes.twilio_server import FakeTwilio
from tests.integration.conftest import csrf_token_from

PHONE = "+12125550177"
NY = ZoneInfo("America/New_York")


def _path(patient) -> str:
    return f"/api/v1/patients/{patient.id}/messages"


def _noon_tomorrow() -> datetime:
    day = datetime.now(UTC).astimezone(NY).date() + timedelta(days=1)
    return datetime(day.year, day.month, day.day, 12, tzinfo=NY).astimezone(UTC)


def _outbox(patient) -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            db.select(OutboxMessage)
            .where(OutboxMessage.patient_id == patient.id, OutboxMessage.kind == "message_nudge")
            .order_by(OutboxMessage.id)
        )
    )


def _urgent_tasks(patient) -> list[Task]:
    db.session.expire_all()
    return list(db.session.scalars(db.select(Task).where(Task.patient_id == patient.id, Task.urgent.is_(True))))


# --- access -----------------------------------------------------------------------------------------


def test_the_patient_and_the_team_read_and_write_oldest_first(client, team):
    p, h = team["patient"], team["h"]
    first = client.post(_path(p), headers=h["patient"], json={"body": "  Can we talk about sleep?  "})
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["body"] == "Can we talk about sleep?"  # trimmed
    assert first.get_json()["sender_id"] == p.id and first.get_json().get("crisis_resources") is None
    reply = client.post(_path(p), headers=h["therapist"], json={"body": "Yes, at Thursday's session."})
    assert reply.status_code == 201
    for who in ("patient", "therapist", "prescriber"):
        listed = client.get(_path(p), headers=h[who])
        assert listed.status_code == 200
        body = listed.get_json()
        assert [m["body"] for m in body] == ["Can we talk about sleep?", "Yes, at Thursday's session."]
        assert {"id", "sender_id", "body", "created_at"} <= set(body[0])
        assert [m["sender_id"] for m in body] == [p.id, team["therapist"].id]


def test_everyone_else_is_told_the_thread_does_not_exist(client, team, make_patient, make_clinician, make_staff,
                                                         auth_headers):  # fmt: skip
    p = team["patient"]
    client.post(_path(p), headers=team["h"]["patient"], json={"body": "Private words"})
    outsiders = [make_patient(), make_clinician("LCSW"), make_clinician("MD"), make_staff("billing_admin"),
                 make_staff("admin")]  # fmt: skip
    for outsider in outsiders:
        h = auth_headers(outsider)
        read = client.get(_path(p), headers=h)
        write = client.post(_path(p), headers=h, json={"body": "hello"})
        assert (read.status_code, write.status_code) == (404, 404), outsider.role
        assert "Private words" not in read.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 1
    assert client.get(_path(p)).status_code == 401


def test_break_glass_reads_the_thread_audited_but_neither_writes_nor_leaves_receipts(client, team, make_clinician,
                                                                                    auth_headers):  # fmt: skip
    p = team["patient"]
    client.post(_path(p), headers=team["h"]["patient"], json={"body": "Message before the emergency"})
    outsider = make_clinician("LCSW")
    h = auth_headers(outsider)
    opened = client.post(f"/api/v1/patients/{p.id}/emergency-access", headers=h,
                         json={"reason": "Patient called the crisis line, team unreachable overnight"})  # fmt: skip
    assert opened.status_code in (200, 201), opened.get_json()
    read = client.get(_path(p), headers=h)
    assert read.status_code == 200 and read.get_json()[0]["body"] == "Message before the emergency"
    assert client.post(_path(p), headers=h, json={"body": "I am covering"}).status_code == 404
    assert db.session.scalar(db.select(MessageRead).where(MessageRead.reader_id == outsider.id)) is None
    rows = db.session.scalars(db.select(AuditEvent).where(AuditEvent.actor_id == outsider.id,
                                                          AuditEvent.action == "message.read"))  # fmt: skip
    assert [r.patient_id for r in rows] == [p.id]


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"body": ""}, "Write a message"),
        ({"body": "   \n "}, "Write a message"),
        ({}, "Write a message"),
        ({"body": "x" * 4001}, "4,000 characters or fewer"),
    ],
)
def test_bodies_are_bounded_and_refused_in_plain_words(client, team, body, words):
    r = client.post(_path(team["patient"]), headers=team["h"]["patient"], json=body)
    assert r.status_code == 422
    assert words in r.get_json()["fields"]["body"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Message)) == 0


def test_the_longest_body_is_kept_whole(client, team):
    text = "y" * 4000
    r = client.post(_path(team["patient"]), headers=team["h"]["patient"], json={"body": text})
    assert r.status_code == 201 and r.get_json()["body"] == text


# --- crisis ---------------------------------------------------------------------------------------------


def test_a_patient_message_in_crisis_words_shows_988_and_opens_one_urgent_task_per_team_member(client, team):
    p = team["patient"]
    r = client.post(_path(p), headers=team["h"]["patient"], json={"body": "Some days I think I’d be better off dead."})
    assert r.status_code == 201
    resources = r.get_json()["crisis_resources"]
    assert resources["lifeline"]["call"] == "988" and resources["emergency"] == "911"
    tasks = _urgent_tasks(p)
    assert sorted(t.owner_id for t in tasks) == sorted([team["therapist"].id, team["prescriber"].id])
    assert all(t.title == service.CRISIS_TASK and t.status == "open" and t.due_at is not None for t in tasks)
    # The message is delivered all the same: the team reads it in the thread.
    listed = client.get(_path(p), headers=team["h"]["therapist"]).get_json()
    assert listed[-1]["body"].startswith("Some days")
    # Again while the tasks are open: still one task per member, its history says when.
    again = client.post(_path(p), headers=team["h"]["patient"], json={"body": "I want to kill myself"})
    assert again.get_json()["crisis_resources"]["lifeline"]["call"] == "988"
    tasks = _urgent_tasks(p)
    assert len(tasks) == 2 and all(t.title == service.CRISIS_TASK for t in tasks)
    for task in tasks:
        kinds = db.session.scalars(db.select(TaskEvent.kind).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id))
        assert list(kinds) == ["opened", "crisis_message"]
    # A positive PHQ-9 item 9 now is the same same-day safety follow-up: added to the open task's history.
    answers = [1, 1, 1, 1, 1, 1, 1, 1, 2]
    screen = client.post(f"/api/v1/patients/{p.id}/assessments", headers=team["h"]["patient"],
                         json={"instrument": "PHQ-9", "answers": answers})  # fmt: skip
    assert screen.status_code == 201 and screen.get_json()["item9_positive"] is True
    tasks = _urgent_tasks(p)
    assert len(tasks) == 2
    for task in tasks:
        kinds = db.session.scalars(db.select(TaskEvent.kind).where(TaskEvent.task_id == task.id).order_by(TaskEvent.id))
        assert list(kinds) == ["opened", "crisis_message", "repeat_positive_screen"]


def test_ordinary_words_and_a_clinicians_safety_question_open_no_task(client, team):
    p = team["patient"]
    calm = client.post(_path(p), headers=team["h"]["patient"], json={"body": "I am killing it at work lately!"})
    assert calm.get_json().get("crisis_resources") is None
    question = client.post(_path(p), headers=team["h"]["therapist"],
                           json={"body": "Any thoughts of suicide since we spoke? If so, call 988."})  # fmt: skip
    assert question.status_code == 201 and question.get_json().get("crisis_resources") is None
    assert _urgent_tasks(p) == []


# --- the text that announces a message ---------------------------------------------------------------


@pytest.fixture
def texting_team(team):
    profile = team["patient"].patient
    profile.phone, profile.sms_opt_in = PHONE, True
    db.session.commit()
    return team


def test_a_team_message_is_announced_to_the_patient_with_no_content(texting_team):
    t = texting_team
    now = _noon_tomorrow()
    service.send(t["therapist"], t["patient"].id, "Your lab results look fine, keep the sertraline dose.", now)
    [text] = _outbox(t["patient"])
    assert text.body == messages.NEW_MESSAGE == "You have a new message in Harbor Mind."
    assert (text.status, text.to_number, text.due_at) == ("queued", PHONE, now)
    for word in (*messages.FORBIDDEN, "sertraline", "lab", t["therapist"].name.lower()):
        assert word not in text.body.lower()


def test_one_waiting_text_is_enough_and_the_patients_own_messages_announce_nothing(texting_team):
    t = texting_team
    now = _noon_tomorrow()
    service.send(t["patient"], t["patient"].id, "Question about my plan", now)
    assert _outbox(t["patient"]) == []
    service.send(t["therapist"], t["patient"].id, "First answer", now)
    service.send(t["prescriber"], t["patient"].id, "Second answer", now + timedelta(minutes=1))
    assert len(_outbox(t["patient"])) == 1


def test_quiet_hours_move_the_text_to_eight_in_the_morning(texting_team):
    t = texting_team
    late = (_noon_tomorrow().astimezone(NY) + timedelta(hours=11, minutes=30)).astimezone(UTC)  # 23:30 in New York
    service.send(t["therapist"], t["patient"].id, "Reply late at night", late)
    [text] = _outbox(t["patient"])
    local = text.due_at.astimezone(NY)
    assert (local.hour, local.minute) == (8, 0) and local.date() == late.astimezone(NY).date() + timedelta(days=1)


def test_a_patient_who_has_not_opted_in_is_not_texted(team):
    team["patient"].patient.phone = PHONE  # a number on file, but no consent to texts
    db.session.commit()
    service.send(team["therapist"], team["patient"].id, "Hello", _noon_tomorrow())
    [text] = _outbox(team["patient"])
    assert text.status == "suppressed" and "not opted in" in text.status_reason


def test_a_text_waiting_for_quiet_hours_is_dropped_once_the_patient_read_the_message(texting_team, client):
    t = texting_team
    late = (_noon_tomorrow().astimezone(NY) + timedelta(hours=11)).astimezone(UTC)
    service.send(t["therapist"], t["patient"].id, "Late reply", late)
    service.thread(t["patient"], t["patient"].id, late + timedelta(minutes=5))  # the patient reads it at once
    fake = FakeTwilio()
    try:
        sms = TwilioSms("AC" + "a" * 32, "token-" + "b" * 26, "+15005550006", "http://127.0.0.1/s",
                        api_base=fake.base_url)  # fmt: skip
        dispatch_due(now=late + timedelta(hours=10), sms=sms)
        assert fake.requests == []
    finally:
        fake.close()
    [text] = _outbox(t["patient"])
    assert (text.status, text.status_reason) == ("suppressed", "message already read")


# --- receipts, counts, audit ---------------------------------------------------------------------------


def test_read_receipts_per_recipient_and_unread_counts(client, team):
    p, h = team["patient"], team["h"]
    client.post(_path(p), headers=h["patient"], json={"body": "Hello team"})
    assert service.unread_total(team["therapist"]) == 1 and service.unread_total(team["prescriber"]) == 1
    assert service.unread_total(p) == 0  # one's own message is never unread
    client.get(_path(p), headers=h["therapist"])
    assert service.unread_total(team["therapist"]) == 0 and service.unread_total(team["prescriber"]) == 1
    listed = client.get(_path(p), headers=h["patient"]).get_json()
    assert [r["user_id"] for r in listed[0]["read_by"]] == [team["therapist"].id]
    client.get(_path(p), headers=h["therapist"])  # reading again keeps the first receipt
    assert db.session.scalar(db.select(db.func.count()).select_from(MessageRead)) == 1
    assert service.unread_counts(team["prescriber"].id, [p.id]) == {p.id: 1}


def test_every_read_is_audited_and_shows_in_who_viewed_my_record(client, team, browser_login):
    p, h = team["patient"], team["h"]
    client.post(_path(p), headers=h["patient"], json={"body": "Hello team"})
    client.get(_path(p), headers=h["therapist"])
    client.get(_path(p), headers=h["prescriber"])
    reads = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "message.read"))
    assert sorted(r.actor_id for r in reads) == sorted([team["therapist"].id, team["prescriber"].id])
    assert all(r.patient_id == p.id for r in db.session.scalars(db.select(AuditEvent).where(
        AuditEvent.action.in_(["message.read", "message.create"]))))  # fmt: skip
    html = browser_login(p).get("/my/record-access").get_data(as_text=True)
    assert "read your messages" in html.lower() and team["therapist"].name in html


# --- FHIR -------------------------------------------------------------------------------------------------


def test_messages_are_in_the_fhir_export_as_communications(client, team):
    p, h = team["patient"], team["h"]
    client.post(_path(p), headers=h["patient"], json={"body": "I don't want to live anymore"})
    client.post(_path(p), headers=h["therapist"], json={"body": "Calling you now."})
    client.get(_path(p), headers=h["patient"])
    bundle = client.get(f"/api/v1/patients/{p.id}/fhir", headers=h["therapist"]).get_json()
    comms = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Communication"]
    assert [c["payload"][0]["contentString"] for c in comms] == ["I don't want to live anymore", "Calling you now."]
    urls = {e["fullUrl"] for e in bundle["entry"]}
    first, second = comms
    assert first["priority"] == "urgent" and second["priority"] == "routine"
    assert all(c["status"] == "completed" and c["subject"]["reference"] in urls for c in comms)
    assert first["sender"]["reference"] == first["subject"]["reference"]  # the patient wrote it
    assert (
        second["sender"]["reference"] in urls and second["recipient"][0]["reference"] == first["subject"]["reference"]
    )
    assert "received" in second and all(r["reference"] in urls for c in comms for r in c["recipient"])
    assert fhir.MODELS["Communication"]  # validated like every other resource


# --- pages --------------------------------------------------------------------------------------------------


def test_the_thread_page_says_it_is_not_for_emergencies_and_sends_and_shows_receipts(team, browser_login):
    p = team["patient"]
    browser = browser_login(p)
    page = browser.get(f"/patients/{p.id}/messages")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "not for emergencies" in html and "tel:988" in html and "tel:911" in html
    token = csrf_token_from(html)
    empty = browser.post(f"/patients/{p.id}/messages", data={"body": " ", "csrf_token": token})
    assert empty.status_code == 422 and "Write a message before sending." in empty.get_data(as_text=True)
    sent = browser.post(f"/patients/{p.id}/messages", data={"body": "Page message", "csrf_token": token})
    assert sent.status_code == 302
    shown = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Page message" in shown and "Not read yet" in shown and 'role="alert"' not in shown


def test_a_crisis_message_from_the_page_shows_988_at_once(team, browser_login):
    p = team["patient"]
    browser = browser_login(p)
    token = csrf_token_from(browser.get(f"/patients/{p.id}/messages").get_data(as_text=True))
    sent = browser.post(
        f"/patients/{p.id}/messages", data={"body": "I keep thinking about suicide", "csrf_token": token}
    )
    html = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert 'id="crisis-box" role="alert"' in html and "tel:988" in html
    assert len(_urgent_tasks(p)) == 2
    again = browser.get(f"/patients/{p.id}/messages").get_data(as_text=True)
    assert 'id="crisis-box"' not in again  # shown once, when it was sent


def test_the_inbox_dashboard_and_caseload_show_unread_counts_and_the_team_replies(team, browser_login, client):
    p, h = team["patient"], team["h"]
    client.post(_path(p), headers=h["patient"], json={"body": "Hello from the patient"})
    client.post(_path(p), headers=h["patient"], json={"body": "And one more"})
    browser = browser_login(team["therapist"])
    inbox = browser.get("/messages").get_data(as_text=True)
    assert p.name in inbox and "2 unread" in inbox and "Hello from the patient" not in inbox  # counts, no content
    assert "2 unread" in browser.get("/dashboard").get_data(as_text=True)
    assert "2 unread" in browser.get("/caseload").get_data(as_text=True)
    thread = browser.get(f"/patients/{p.id}/messages").get_data(as_text=True)
    assert "Hello from the patient" in thread and "Reply to" in thread
    sent = browser.post(f"/patients/{p.id}/messages", data={"body": "Reply from the therapist",
                                                            "csrf_token": csrf_token_from(thread)})  # fmt: skip
    assert sent.status_code == 302
    assert "nothing unread" in browser.get("/dashboard").get_data(as_text=True)
    assert service.unread_total(p) == 1


@pytest.mark.parametrize("role", ["billing_admin", "admin"])
def test_billing_admins_and_admins_get_no_message_pages(team, make_staff, browser_login, role):
    p = team["patient"]
    browser = browser_login(make_staff(role))
    assert browser.get(f"/patients/{p.id}/messages").status_code == 404
    assert browser.get("/messages").status_code == 403
    nav = browser.get("/dashboard").get_data(as_text=True).split("<main")[0]
    assert "/messages" not in nav

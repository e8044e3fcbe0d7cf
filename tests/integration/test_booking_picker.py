"""The patient's booking pages without dead ends (issue 17): the clinician page opens on the week of
the next open time, the directory shows each clinician's next open time, past days are marked, the
default visit is the one the patient can book now, the phone's day strip, the way back to the week
after a refused booking, and a cancel that asks first."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking import openings, service, slot_cache
from app.booking.appointment import Appointment, AppointmentStatus
from app.extensions import db
from app.intake.result import IntakeResult
from tests.integration.conftest import csrf_token_from
from tests.integration.test_booking_statements import statements

EVERY_DAY = {"weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)], "min_notice_minutes": 0}
NY = "America/New_York"


def _today(tz: str = NY) -> date:
    return datetime.now(ZoneInfo(tz)).date()


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _only_on(day: date) -> dict:
    """Availability on one date only (no weekly hours): every other week is empty."""
    return {"weekly": [], "overrides": [{"date": day.isoformat(), "intervals": [{"start": "09:00", "end": "17:00"}]}],
            "min_notice_minutes": 0}  # fmt: skip


def _therapist(make_clinician, availability=None, **kw):
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/Los_Angeles", **kw)
    service.update_availability(therapist, availability or EVERY_DAY, actor=therapist)
    return therapist


def _confirm_links(html: str) -> list[str]:
    return [link.replace("&amp;", "&") for link in re.findall(r'href="(/book/confirm\?[^"]+)"', html)]


def _selected_type(html: str) -> str:
    return re.search(r'<option value="([a-z_]+)" selected>', html).group(1)


def test_clinician_page_opens_on_the_week_of_the_next_open_time(client, make_patient, make_clinician, browser_login):
    later = _today() + timedelta(days=23)
    therapist = _therapist(make_clinician, _only_on(later))
    browser_login(make_patient(timezone=NY))
    html = client.get(f"/clinicians/{therapist.id}").get_data(as_text=True)
    assert f"Week of {_monday(later).strftime('%B %-d, %Y').replace(' 0', ' ')}" in html
    links = _confirm_links(html)
    assert links and all(f"start={later.isoformat()}" in link for link in links)
    # Asking for a week still shows that week, empty or not.
    this_week = client.get(f"/clinicians/{therapist.id}?week={_today().isoformat()}").get_data(as_text=True)
    assert _confirm_links(this_week) == [] and "No open times" in this_week


def test_a_clinician_with_nothing_open_opens_on_this_week(client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician, {"weekly": []})
    browser_login(make_patient(timezone=NY))
    html = client.get(f"/clinicians/{therapist.id}").get_data(as_text=True)
    assert f"Week of {_monday(_today()).strftime('%B %-d, %Y')}" in html


def test_directory_shows_each_clinicians_next_open_time(client, make_patient, make_clinician, browser_login):
    later = _today() + timedelta(days=10)
    soon = _therapist(make_clinician, EVERY_DAY, name="Sonia Soon")
    late = _therapist(make_clinician, _only_on(later), name="Lars Later")
    closed = _therapist(make_clinician, {"weekly": []}, name="Cleo Closed")
    patient = make_patient(timezone=NY, member=False)
    browser_login(patient)
    html = client.get("/clinicians").get_data(as_text=True)
    cards = {name: html[html.index(name) :] for name in (soon.name, late.name, closed.name)}
    first_soon = openings.next_open_times([(soon, "initial_consultation")], NY)[soon.id]
    assert first_soon is not None
    assert first_soon.strftime("%a %b %-d, %-I:%M %p") in cards[soon.name].split("</li>")[0]
    # Lars works 09:00 in Los Angeles on one day: 12:00 PM in the patient's Eastern time.
    assert later.strftime("%a %b %-d") + ", 12:00 PM" in cards[late.name].split("</li>")[0]
    assert "No open time" in cards[closed.name].split("</li>")[0]
    # The time is a link that books it: the confirm page of that very slot.
    link = re.search(r'href="(/book/confirm\?[^"]+)"', cards[late.name]).group(1).replace("&amp;", "&")
    confirm = client.get(link).get_data(as_text=True)
    assert "Confirm your visit" in confirm and "12:00 PM" in confirm and "Initial consultation" in confirm


def test_directory_next_open_times_cost_no_query_per_clinician(app, client, make_clinician):
    """Its schedules are read together: the same statements for 2 clinicians as for 6, cold cache."""
    later = _today() + timedelta(days=30)

    def directory_statements(count: int) -> int:
        language = "Lang " + "abcdefg"[count]
        for n in range(count):
            _therapist(make_clinician, EVERY_DAY if n % 2 else _only_on(later), languages=[language])
        slot_cache.CACHE.clear()
        with statements() as seen:
            answer = client.get(f"/clinicians?state=&language={language}")
        assert answer.status_code == 200 and answer.get_data(as_text=True).count("Next open time") == count
        return len(seen)

    assert directory_statements(2) == directory_statements(6)


def test_past_days_of_this_week_are_marked(client, make_clinician):
    # Of two zones a day apart, at least one is past Monday of its week today.
    tz = next(z for z in ("Pacific/Kiritimati", "Pacific/Pago_Pago") if _today(z).weekday() > 0)
    therapist = _therapist(make_clinician)
    today = _today(tz)
    html = client.get(f"/clinicians/{therapist.id}?tz={tz}&week={today.isoformat()}").get_data(as_text=True)
    for offset in range(7):
        day = _monday(today) + timedelta(days=offset)
        section = re.search(rf'<section class="day([^"]*)" data-day="{day.isoformat()}"', html)
        assert section, day
        assert ("past" in section.group(1)) == (day < today), day
    assert "This day has passed" in html


def test_default_visit_is_the_one_the_patient_can_book_now(client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    prescriber = make_clinician("PMHNP", licensed_states=["NY"])
    assert _selected_type(client.get(f"/clinicians/{prescriber.id}").get_data(as_text=True)) == "initial_consultation"
    newcomer = make_patient(member=False)
    browser_login(newcomer)
    for clinician in (therapist, prescriber):
        html = client.get(f"/clinicians/{clinician.id}").get_data(as_text=True)
        assert _selected_type(html) == "initial_consultation"
    client.post("/logout", data={"csrf_token": csrf_token_from(html)})

    member = make_patient()
    browser_login(member)
    assert _selected_type(client.get(f"/clinicians/{prescriber.id}").get_data(as_text=True)) == "medication_management"
    db.session.add(IntakeResult(patient_id=member.id, care="psychiatric_evaluation", signs=["medication"], reasons=[]))
    db.session.commit()
    html = client.get(f"/clinicians/{prescriber.id}").get_data(as_text=True)
    assert _selected_type(html) == "psychiatric_evaluation"
    assert _selected_type(client.get(f"/clinicians/{therapist.id}").get_data(as_text=True)) == "therapy_session"
    # A type asked for in the address still wins.
    asked = client.get(f"/clinicians/{prescriber.id}?type=initial_consultation").get_data(as_text=True)
    assert _selected_type(asked) == "initial_consultation"


def test_day_strip_chooses_a_day_without_script(client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    browser_login(make_patient(timezone=NY))
    week = _monday(_today()) + timedelta(days=7)
    html = client.get(f"/clinicians/{therapist.id}?week={week.isoformat()}").get_data(as_text=True)
    strip = re.search(r'<nav class="day-strip"[^>]*data-day-strip>(.*?)</nav>', html, re.S).group(1)
    assert len(re.findall(r'class="strip-day', strip)) == 7
    assert re.search(rf'class="strip-day chosen" data-day="{week.isoformat()}" aria-current="date"', strip)
    thursday = week + timedelta(days=3)
    assert f"day={thursday.isoformat()}" in strip.replace("&amp;", "&")
    chosen = client.get(f"/clinicians/{therapist.id}?week={week.isoformat()}&day={thursday.isoformat()}")
    sections = re.findall(r'<section class="day( chosen)?" data-day="([0-9-]+)"', chosen.get_data(as_text=True))
    assert [day for mark, day in sections if mark] == [thursday.isoformat()]
    # The enhancement is a file under the page's CSP: no inline script or style on the page.
    assert "js/day-strip.js" in html and "<script>" not in html and " style=" not in html


def test_already_booked_then_back_to_the_week(client, make_patient, make_clinician, browser_login):
    first, second = _therapist(make_clinician), _therapist(make_clinician)
    patient = make_patient(timezone=NY)
    week = _monday(_today()) + timedelta(days=14)
    start = openings.open_slots(first, "therapy_session", week, week, NY)[0][0]
    service.book(patient, first.id, "therapy_session", start)
    browser_login(patient)
    html = client.get(f"/clinicians/{second.id}?type=therapy_session&week={week.isoformat()}").get_data(as_text=True)
    link = next(link for link in _confirm_links(html) if start.isoformat().replace("+", "%2B") in link)
    confirm = client.get(link).get_data(as_text=True)
    form = dict(re.findall(r'name="(clinician|type|start|tz|csrf_token|care_consent)" value="([^"]*)"', confirm))
    form["care_consent"] = "yes"
    refused = client.post("/book/confirm", data=form)
    assert refused.status_code == 302
    back = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "You already have an appointment at that time." in back
    assert f"Week of {week.strftime('%B %-d, %Y')}" in back


def test_cancel_asks_first_and_states_the_late_rule(client, make_patient, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    patient = make_patient(timezone=NY)
    day = _today() + timedelta(days=3)
    start = openings.open_slots(therapist, "therapy_session", day, day, NY)[0][0]
    appointment = service.book(patient, therapist.id, "therapy_session", start)
    browser_login(patient)
    detail = client.get(f"/appointments/{appointment.id}").get_data(as_text=True)
    assert f'action="/appointments/{appointment.id}/cancel"' not in detail  # no one-click cancel
    assert f'href="/appointments/{appointment.id}/cancel"' in detail
    ask = client.get(f"/appointments/{appointment.id}/cancel")
    text = ask.get_data(as_text=True)
    assert ask.status_code == 200
    rule = text.index("less than 24 hours before the start counts as a late cancellation")
    assert rule < text.index("Yes, cancel this visit")
    assert "Keep this visit" in text
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.BOOKED
    done = client.post(f"/appointments/{appointment.id}/cancel", data={"csrf_token": csrf_token_from(text)})
    assert done.status_code == 302
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).status == AppointmentStatus.CANCELLED
    # Someone else's visit has no cancel page either.
    client.post("/logout", data={"csrf_token": csrf_token_from(text)})
    browser_login(make_patient())
    assert client.get(f"/appointments/{appointment.id}/cancel").status_code == 404


def test_calendar_feed_address_survives_a_reload(client, make_clinician, browser_login):
    therapist = _therapist(make_clinician)
    browser_login(therapist)
    page = client.get("/schedule/availability").get_data(as_text=True)
    created = client.post("/schedule/calendar-feed", data={"csrf_token": csrf_token_from(page), "action": "create"})
    assert created.status_code == 303 and created.headers["Location"].endswith("/schedule/availability")
    shown = client.get(created.headers["Location"]).get_data(as_text=True)
    url = re.search(r'<code class="wrap">([^<]+)</code>', shown).group(1)
    path = "/" + url.split("://", 1)[1].split("/", 1)[1]
    again = client.get("/schedule/availability").get_data(as_text=True)  # a reload: the address is not shown again
    assert url not in again and "Make a new address" in again
    assert client.get(path).status_code == 200  # and it still works: nothing rotated it

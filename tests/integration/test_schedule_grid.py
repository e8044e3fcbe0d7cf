"""The clinician's schedule grid (day and week in their zone, DST weeks), the appointment page naming
the patient with links to the chart and the note, and who may see which schedule."""

from __future__ import annotations

import re
import secrets
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking import service
from app.booking.appointment import Appointment, AppointmentStatus
from app.care_team.member import CareTeamMember
from app.extensions import db
from app.notes import service as notes

LA = ZoneInfo("America/Los_Angeles")


def _visit(clinician, patient, start: datetime, minutes: int = 60, kind: str = "psychiatric_evaluation",
           status: str = AppointmentStatus.BOOKED) -> Appointment:  # fmt: skip
    """A visit row at any instant (the booking rules forbid the past; the schedule shows it anyway)."""
    end = start + timedelta(minutes=minutes)
    row = Appointment(patient_id=patient.id, clinician_id=clinician.id, type=kind, start_at=start, end_at=end,
                      blocked_until=end, status=str(status), visit_token=secrets.token_urlsafe(24))  # fmt: skip
    db.session.add(row)
    db.session.commit()
    return row


def _blocks(html: str, day: str) -> list[str]:
    """The text of each block in the column of ``day`` (YYYY-MM-DD)."""
    column = html.split(f'id="day-{day}"', 1)[1].split("</section>", 1)[0]
    return [
        re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", b)).strip()
        for b in re.findall(r'<li class="block[^>]*>(.*?)</li>', column, re.S)
    ]


def _prescriber(make_clinician):
    doc = make_clinician("MD", name="Dr Prescriber", timezone="America/Los_Angeles")
    service.update_availability(
        doc,
        {
            "timezone": "America/Los_Angeles",
            "weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)],
        },
        actor=doc,
    )
    return doc


def test_week_grid_places_visits_in_the_clinicians_zone_with_names_on_past_and_cancelled(
    client, make_clinician, make_patient, browser_login
):
    doc = _prescriber(make_clinician)
    alex, sam = make_patient(name="Alex Rivera"), make_patient(name="Sam Park")
    past = _visit(doc, alex, datetime(2025, 1, 14, 18, 0, tzinfo=UTC))  # Tue 10:00 PST
    cancelled = _visit(doc, sam, datetime(2025, 1, 15, 22, 30, tzinfo=UTC), 30, "medication_management",
                       AppointmentStatus.CANCELLED)  # fmt: skip
    browser_login(doc)
    page = client.get("/schedule?view=week&date=2025-01-15")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Week of January 13" in html
    assert _blocks(html, "2025-01-14") == ["10:00–11:00 Alex Rivera, psychiatric evaluation, booked"]
    assert _blocks(html, "2025-01-15") == ["14:30–15:00 Sam Park, medication management, cancelled"]
    assert f'href="/appointments/{past.id}"' in html and f'href="/appointments/{cancelled.id}"' in html
    assert "Open hours: 09:00–17:00" in html  # shaded, and said in words
    assert "date=2025-01-06" in html and "date=2025-01-20" in html  # previous and next week
    listing = client.get("/appointments").get_data(as_text=True).split("Past and cancelled", 1)[1]
    assert "with Alex Rivera" in listing and "with Sam Park" in listing


def test_day_view_is_in_the_url_and_marks_today(client, make_clinician, make_patient, browser_login):
    doc = _prescriber(make_clinician)
    today = datetime.now(LA).date()
    start = datetime.combine(today, datetime.min.time(), tzinfo=LA).replace(hour=23).astimezone(UTC)
    _visit(doc, make_patient(name="Late Owl"), start, 30, "medication_management")
    browser_login(doc)
    html = client.get("/schedule?view=day").get_data(as_text=True)
    assert 'aria-current="page">Day<' in html and "Today</span>" in html
    assert _blocks(html, today.isoformat()) == ["23:00–23:30 Late Owl, medication management, booked"]
    assert "Previous day" in html and f"date={(today - timedelta(days=1)).isoformat()}" in html


def test_dst_week_keeps_wall_clock_rows(client, make_clinician, make_patient, browser_login):
    """US clocks spring forward on Sunday 2027-03-14: 10:00 is 18:00 UTC on Saturday, 17:00 UTC on Sunday."""
    doc = _prescriber(make_clinician)
    patient = make_patient(name="Alex Rivera")
    _visit(doc, patient, datetime(2027, 3, 13, 18, 0, tzinfo=UTC))
    _visit(doc, patient, datetime(2027, 3, 14, 17, 0, tzinfo=UTC))
    _visit(doc, patient, datetime(2027, 3, 15, 7, 30, tzinfo=UTC), 30, "medication_management")  # Mon 00:30 PDT
    browser_login(doc)
    html = client.get("/schedule?view=week&date=2027-03-10").get_data(as_text=True)
    saturday, sunday = _blocks(html, "2027-03-13"), _blocks(html, "2027-03-14")
    assert saturday == sunday == ["10:00–11:00 Alex Rivera, psychiatric evaluation, booked"]
    row = re.compile(r'<li class="block status-booked (gs-\d+ ge-\d+)')
    rows = [
        row.findall(html.split(f'id="day-{d}"', 1)[1].split("</section>", 1)[0]) for d in ("2027-03-13", "2027-03-14")
    ]
    assert rows[0] == rows[1] and rows[0]  # the same rows on both sides of the change
    assert "2027-03-15" not in html.split("Week of", 1)[1].split("</h2>", 1)[0]  # Mon 15th is next week
    nxt = client.get("/schedule?view=week&date=2027-03-15").get_data(as_text=True)
    assert _blocks(nxt, "2027-03-15") == ["00:30–01:00 Alex Rivera, medication management, booked"]


def test_a_clinician_sees_only_their_own_schedule(client, make_clinician, make_patient, browser_login):
    mine, theirs = _prescriber(make_clinician), make_clinician("LCSW", name="Other Therapist")
    patient = make_patient(name="Hidden Person")
    _visit(theirs, patient, datetime(2025, 1, 14, 18, 0, tzinfo=UTC), 50, "therapy_session")
    browser_login(mine)
    html = client.get("/schedule?date=2025-01-14").get_data(as_text=True)
    assert "Hidden Person" not in html and "0 appointments" in html


def test_patients_do_not_have_a_schedule(client, make_patient, browser_login):
    browser_login(make_patient())
    assert client.get("/schedule").status_code == 403


def test_appointment_page_names_the_patient_and_links_chart_and_note(
    client, make_clinician, make_patient, browser_login
):
    doc = _prescriber(make_clinician)
    alex = make_patient(name="Alex Rivera")
    visit = _visit(doc, alex, datetime(2025, 1, 14, 18, 0, tzinfo=UTC))
    db.session.add(
        CareTeamMember(patient_id=alex.id, clinician_id=doc.id, added_at=visit.start_at)
    )  # booking does this
    db.session.commit()
    browser_login(doc)
    html = client.get(f"/appointments/{visit.id}").get_data(as_text=True)
    assert f'href="/patients/{alex.id}/chart">Alex Rivera</a>' in html
    assert f'href="/appointments/{visit.id}/note">Start note</a>' in html
    notes.start_note(doc, visit.id, "psychiatric_evaluation", {"chief_complaint": "Low mood"})
    html = client.get(f"/appointments/{visit.id}").get_data(as_text=True)
    assert ">Open note</a>" in html and "Start note" not in html
    week = client.get("/schedule?date=2025-01-14").get_data(as_text=True)
    assert "(note draft)" in week


def test_the_patient_sees_the_clinicians_name_on_past_visits(client, make_clinician, make_patient, browser_login):
    doc = _prescriber(make_clinician)
    alex = make_patient(name="Alex Rivera")
    _visit(doc, alex, datetime(2025, 1, 14, 18, 0, tzinfo=UTC))
    browser_login(alex)
    listing = client.get("/appointments").get_data(as_text=True).split("Past and cancelled", 1)[1]
    assert "with Dr Prescriber" in listing and "Start note" not in listing

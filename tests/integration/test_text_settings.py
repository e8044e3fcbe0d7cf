"""Text settings in words (issue 17): "Texts to you" with each text's status said plainly (sent, waiting
for quiet hours to end, not sent because texts are off) and the time it was or will be sent in the
patient's zone; the consent box shows the consent on file (when, to which number)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from app.booking import service as booking
from app.extensions import db
from app.notifications import preferences
from app.sms.outbox_message import OutboxMessage, OutboxStatus

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
PHONE = "+12125550142"
CHICAGO = ZoneInfo("America/Chicago")


def _page(client) -> str:
    return client.get("/settings/sms").get_data(as_text=True)


def test_texts_to_you_in_words_with_times_in_the_patients_zone(client, make_patient, make_clinician, browser_login):
    clinician = make_clinician("LCSW", licensed_states=["NY"])
    booking.update_availability(clinician, EVERY_DAY, actor=clinician)
    patient = make_patient(timezone="America/Chicago")
    preferences.opt_in(patient, PHONE, source="settings")
    # Two days ahead at 7:30 AM Chicago: the day-before reminder falls at 7:30 AM, in quiet hours.
    day = (datetime.now(UTC).astimezone(CHICAGO) + timedelta(days=3)).date()
    start = datetime(day.year, day.month, day.day, 7, 30, tzinfo=CHICAGO).astimezone(UTC)
    booking.book(patient, clinician.id, "therapy_session", start)
    rows = {
        m.kind: m for m in db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.patient_id == patient.id))
    }
    confirmation = rows["booking_confirmation"]
    confirmation.status, confirmation.sent_at = OutboxStatus.SENT, datetime(2026, 12, 1, 21, 15, tzinfo=UTC)
    db.session.commit()
    browser_login(patient)
    html = _page(client)
    texts = html.split('id="texts-h"')[1]
    assert "Texts to you" in html
    texts = re.sub(r"<[^>]+>", "", texts)  # the words as read
    assert "Booking confirmation" in texts and "Sent Tue Dec 1 at 3:15 PM CST" in texts
    day_before = texts.split("Reminder the day before")[1].split("</li>")[0]
    assert "Waiting for quiet hours to end" in day_before
    assert f"To be sent {day - timedelta(days=1):%a %b %-d} at 8:00 AM" in day_before
    assert "tomorrow at 7:30 AM" in day_before
    last = texts.split("Reminder 2 hours before")[1].split("</li>")[0]
    assert "Waiting to be sent" in last and "today at 7:30 AM" in last  # exempt from quiet hours
    for raw in ("queued", "suppressed", ">sent<"):
        assert raw not in texts
    consent = html.split('id="consent-on-file"')[1].split("</p>")[0]
    assert "Consent on file" in consent and "(212) 555-0142" in consent and "on this page" in consent
    given = patient.patient.sms_consent_at.astimezone(CHICAGO)
    assert f"{given:%B %-d, %Y at %-I:%M %p %Z}" in consent


def test_a_text_held_back_because_texts_are_off_says_so(client, make_patient, make_clinician, browser_login):
    clinician = make_clinician("LCSW", licensed_states=["NY"])
    booking.update_availability(clinician, EVERY_DAY, actor=clinician)
    patient = make_patient(phone=PHONE, sms_opt_in=False)
    day = (datetime.now(UTC) + timedelta(days=3)).date()
    booking.book(patient, clinician.id, "therapy_session", datetime(day.year, day.month, day.day, 18, tzinfo=UTC))
    browser_login(patient)
    html = _page(client)
    assert "Not sent because texts are off" in html.split('id="texts-h"')[1]
    assert "No consent on file" in html

"""iCalendar (RFC 5545) files for appointments, and the HTTP answer that carries one (``ics_response``,
for the API's single visit and the pages' private calendar feed alike). The event names no
appointment type, diagnosis or specialty: a calendar is often shared or synced to places a patient
does not control."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from urllib.parse import urlsplit

from flask import Response, current_app
from icalendar import Calendar, Event

from app.booking import video
from app.booking.appointment import Appointment, AppointmentStatus
from app.db import utcnow

PRODID = "-//Harbor Mind//Telehealth//EN"


def _event(appointment: Appointment, join_url: str, host: str, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"appointment-{appointment.id}@{host}")
    event.add("dtstamp", now)
    event.add("dtstart", appointment.start_at)
    event.add("dtend", appointment.end_at)
    event.add("summary", "Video visit")
    event.add("location", join_url)
    event.add("url", join_url)
    event.add("description", f"Join from 15 minutes before the start: {join_url}")
    event.add("status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED")
    return event


def calendar_for(appointments: Iterable[tuple[Appointment, str]], host: str, now: datetime) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    for appointment, url in appointments:
        cal.add_component(_event(appointment, url, host, now))
    ical: bytes = cal.to_ical()
    return ical


def ics_response(appointments: list[Appointment], filename: str) -> Response:
    """These appointments as a downloadable calendar file, each with its visit link."""
    host = urlsplit(current_app.config["PUBLIC_BASE_URL"]).hostname or "localhost"
    body = calendar_for(((a, video.visit_url(a)) for a in appointments), host, utcnow())
    return Response(body, mimetype="text/calendar",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})  # fmt: skip

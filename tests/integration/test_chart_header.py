"""The chart header (issue 16): who the patient is at a glance on the chart page, loaded inside the
chart's one read use case; the age counted on the patient's calendar day around the birthday."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from app.booking import care_consent, openings
from app.booking import service as booking
from app.care_team import chart_view, handoff
from app.care_team import service as care
from app.care_team.chart_header import age_on
from app.db import utcnow
from app.extensions import db

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


@pytest.mark.parametrize(
    ("today", "age"),
    [
        (date(2026, 6, 14), 35),  # the day before the birthday
        (date(2026, 6, 15), 36),  # on the birthday
        (date(2026, 6, 16), 36),
        (date(2026, 12, 31), 36),
        (date(2027, 1, 1), 36),
    ],
)
def test_the_age_counts_the_birthday_itself(today, age):
    assert age_on(date(1990, 6, 15), today) == age


def test_a_leap_day_birthday_counts_from_the_first_of_march_in_common_years():
    assert age_on(date(2000, 2, 29), date(2027, 2, 28)) == 26
    assert age_on(date(2000, 2, 29), date(2027, 3, 1)) == 27
    assert age_on(date(2000, 2, 29), date(2028, 2, 29)) == 28


@pytest.fixture
def people(make_patient, make_clinician):
    patient = make_patient(name="Harper Header", phone="+12125550142", date_of_birth=date(1990, 6, 15))
    prescriber = make_clinician("PMHNP", licensed_states=["NY"], name="Pat Prescriber")
    booking.update_availability(prescriber, EVERY_DAY, actor=prescriber)
    day = (utcnow() + timedelta(days=3)).date()
    start = openings.open_slots(prescriber, "initial_consultation", day, day, "America/New_York")[0][0]
    booking.book(patient, prescriber.id, "initial_consultation", start, care_consent_from="booking")
    care.add_assessment(patient, patient.id, "PHQ-9", [2, 2, 2, 2, 2, 2, 1, 1, 1])
    care.add_assessment(patient, patient.id, "GAD-7", [1, 1, 1, 1, 1, 1, 1])
    return patient, prescriber


def test_the_chart_page_shows_every_header_field(client, people, browser_login):
    patient, prescriber = people
    browser_login(prescriber)
    html = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    header = html.split('class="card chart-header"', 1)[1].split("</section>", 1)[0]
    assert "<dl" in header
    for text in (
        "Harper Header", "born 1990-06-15", "+12125550142", "NY", "Pat Prescriber (prescriber)",
        "initial consultation", "None yet", "15 (moderately severe)", "7 (mild)",
        "Flag: latest PHQ-9 item 9 above 0", "Given",
    ):  # fmt: skip
        assert text in header, text


def test_the_use_case_counts_the_age_on_the_day_it_is_given(people):
    patient, prescriber = people
    # 2026-06-15 03:00 UTC is still 14 June in New York: the day before the birthday there.
    before = chart_view.chart(prescriber, patient.id, now=datetime(2026, 6, 15, 3, 0, tzinfo=UTC))
    on = chart_view.chart(prescriber, patient.id, now=datetime(2026, 6, 15, 5, 0, tzinfo=UTC))
    assert (before.header.age, on.header.age) == (35, 36)


def test_the_patient_sees_their_own_header_without_a_date_of_birth(client, make_patient, browser_login):
    patient = make_patient(date_of_birth=None)
    browser_login(patient)
    html = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "Date of birth not given" in html and "No one yet" in html and "Not given" in html
    assert handoff.team_members(patient.id) == []


def _intake(patient):
    from app.intake import service as intake

    phq9 = [1, 1, 1, 1, 1, 1, 1, 1, 0]
    intake.save(patient, {"medication"}, phq9, None, intake.evaluate({"medication"}, phq9, None))


def test_the_intake_result_reaches_the_team_only_after_consent(client, make_patient, make_clinician, browser_login):
    patient = make_patient(name="Ivy Intake")
    _intake(patient)
    prescriber = make_clinician("MD", licensed_states=["NY"])
    booking.update_availability(prescriber, EVERY_DAY, actor=prescriber)
    day = (utcnow() + timedelta(days=3)).date()
    start = openings.open_slots(prescriber, "initial_consultation", day, day, "America/New_York")[0][0]
    booking.book(patient, prescriber.id, "initial_consultation", start)  # on the team, no consent yet
    assert chart_view.chart(prescriber, patient.id).header.intake is None
    browser_login(prescriber)
    html = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "I take, or want to discuss, medication" not in html and "Intake (" not in html
    care_consent.record(patient, "booking")
    db.session.commit()
    header = chart_view.chart(prescriber, patient.id).header
    assert header.intake is not None and header.intake.recommendation == "psychiatric_evaluation"
    html = client.get(f"/patients/{patient.id}/chart").get_data(as_text=True)
    assert "Intake (" in html and "psychiatric evaluation recommended" in html
    assert "I take, or want to discuss, medication for a mental health condition" in html
    assert "PHQ-9 8" in html and "GAD-7 skipped" in html
    assert header.intake.reasons and header.intake.reasons[0] in html.replace("&#39;", "'")


def test_without_a_team_the_consented_intake_stays_out_of_the_header(make_patient):
    patient = make_patient()
    _intake(patient)
    care_consent.record(patient, "booking")
    db.session.commit()
    assert chart_view.chart(patient, patient.id).header.intake is None


@pytest.mark.parametrize("sub", ["/chart/history", "/chart/scores", "/minutes"])
def test_every_chart_sub_page_carries_the_header(client, people, browser_login, sub):
    patient, prescriber = people
    browser_login(prescriber)
    response = client.get(f"/patients/{patient.id}{sub}")
    assert response.status_code == 200
    header = response.get_data(as_text=True).split('class="card chart-header"', 1)[1].split("</section>", 1)[0]
    assert (
        "born 1990-06-15" in header and "Pat Prescriber (prescriber)" in header and "15 (moderately severe)" in header
    )

"""The "Which care fits me?" intake page."""

from __future__ import annotations

from app.extensions import db
from app.intake.result import IntakeResult
from tests.integration.conftest import csrf_token_from


def _submit(client, **fields):
    token = csrf_token_from(client.get("/care-finder").get_data(as_text=True))
    return client.post("/care-finder", data={"csrf_token": token, **fields})


def test_anonymous_visitor_gets_a_recommendation_with_reasons(client):
    response = _submit(client, signs=["medication", "skills"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "a psychiatric evaluation and psychotherapy" in html
    assert "clinical_role=prescriber" in html and "clinical_role=therapist" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(IntakeResult)) == 0


def test_patient_result_is_saved_with_scores(client, make_patient, browser_login):
    patient = make_patient()
    browser_login(patient)
    phq9 = {f"phq9_{i}": "2" for i in range(9)} | {"phq9_8": "0"}
    response = _submit(client, signs=["patterns"], **phq9)
    assert "PHQ-9): 16 of 27" in response.get_data(as_text=True)
    saved = db.session.scalars(db.select(IntakeResult)).one()
    assert saved.patient_id == patient.id and saved.care == "both" and saved.phq9_total == 16 and not saved.crisis


def test_item9_shows_crisis_lines_first(client):
    phq9 = {f"phq9_{i}": "0" for i in range(9)} | {"phq9_8": "2"}
    html = _submit(client, **phq9).get_data(as_text=True)
    assert html.index("988") < html.index("<h1>")
    assert 'href="tel:911"' in html


def test_a_half_answered_questionnaire_is_shown_again(client):
    response = _submit(client, phq9_0="1", phq9_1="2")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "7 left" in html
    assert 'name="phq9_1" value="2" checked' in html


def test_out_of_range_answers_are_refused(client):
    response = _submit(client, **{f"gad7_{i}": "7" for i in range(7)})
    assert response.status_code == 422

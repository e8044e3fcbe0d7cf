"""FHIR R4 export: ``GET /api/v1/patients/{id}/fhir`` is a Bundle (collection) whose resources validate
with the fhir.resources R4B models, whose references all resolve inside the bundle, with our status
mappings and LOINC codes; the patient and team members only (everyone else 404); audited; in OpenAPI."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from sqlalchemy import select

from app.audit.event import AuditEvent
from app.booking import openings
from app.booking import service as booking
from app.care_team import consent, fhir
from app.care_team import service as care
from app.care_team.measures import GAD7_PANEL_LOINC, GAD7_TOTAL_LOINC, PHQ9_PANEL_LOINC, PHQ9_TOTAL_LOINC
from app.db import utcnow
from app.extensions import db

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


@pytest.fixture
def record(make_patient, make_clinician):
    patient = make_patient(name="Frankie Fhir")
    prescriber = make_clinician("MD", licensed_states=["NY"], name="Dr Pat Rx")
    therapist = make_clinician("LCSW", licensed_states=["NY"], name="Theo Rapist")
    day = (utcnow() + timedelta(days=3)).date()
    for n, clinician in enumerate((prescriber, therapist)):
        booking.update_availability(clinician, EVERY_DAY, actor=clinician)
        start = openings.open_slots(clinician, "initial_consultation", day, day, "America/New_York")[n * 3][0]
        booking.book(patient, clinician.id, "initial_consultation", start)
    care.patch_plan(
        therapist,
        patient.id,
        0,
        {
            "problems": [{"text": "Low mood", "code": "F32.1"}],
            "goals": [
                {"text": "Sleep through the night", "target": "5 nights a week", "status": "active"},
                {"text": "Walk daily", "target": None, "status": "met"},
                {"text": "Return to work", "target": None, "status": "not_met"},
                {"text": "Join a choir", "target": None, "status": "on_hold"},
            ],
            "interventions": [{"text": "Weekly CBT", "modality": "CBT", "owner_id": therapist.id}],
        },
    )
    active = care.add_medication(prescriber, patient.id, {"name": "Sertraline", "dose": "50 mg", "frequency": "daily",
                                                          "instructions": "with food"})  # fmt: skip
    stopped = care.add_medication(prescriber, patient.id, {"name": "Hydroxyzine", "dose": "25 mg",
                                                           "frequency": "as needed", "instructions": ""})  # fmt: skip
    care.discontinue_medication(prescriber, patient.id, stopped.id, "drowsiness")
    care.add_assessment(patient, patient.id, "PHQ-9", [1, 2, 1, 2, 1, 1, 0, 0, 1])
    care.add_assessment(therapist, patient.id, "GAD-7", [1, 1, 1, 1, 1, 1, 1])
    consent.give(patient, "booking", now=utcnow() - timedelta(days=30))
    consent.withdraw(patient, patient.id, now=utcnow() - timedelta(days=2))
    consent.give(patient, "care_plan")
    return {"patient": patient, "prescriber": prescriber, "therapist": therapist, "active": active, "stopped": stopped}


def _references(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["reference"]] if isinstance(node.get("reference"), str) else []
        return found + [r for key, value in node.items() if key != "reference" for r in _references(value)]
    if isinstance(node, list):
        return [r for item in node for r in _references(item)]
    return []


def _by_type(bundle: dict) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for entry in bundle["entry"]:
        out.setdefault(entry["resource"]["resourceType"], []).append(entry["resource"])
    return out


def test_bundle_validates_and_references_resolve(client, record, auth_headers):
    pid = record["patient"].id
    response = client.get(f"/api/v1/patients/{pid}/fhir", headers=auth_headers(record["patient"]))
    assert response.status_code == 200 and response.mimetype == "application/fhir+json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    data = response.get_json()
    bundle = Bundle.model_validate(data)  # the R4B models: structure, cardinality, choice types
    assert bundle.type == "collection" and data["resourceType"] == "Bundle"
    for entry in bundle.entry:  # every resource is one of the R4B models, validated again on its own
        type(entry.resource).model_validate(entry.resource.model_dump(mode="json", exclude_none=True))

    full_urls = [e["fullUrl"] for e in data["entry"]]
    assert len(full_urls) == len(set(full_urls)) and all(u.startswith("urn:uuid:") for u in full_urls)
    refs = _references(data["entry"])
    assert refs and set(refs) <= set(full_urls)

    kinds = _by_type(data)
    assert {k: len(v) for k, v in kinds.items()} == {
        "Patient": 1, "Practitioner": 2, "CareTeam": 1, "Goal": 4, "CarePlan": 1, "MedicationStatement": 2,
        "QuestionnaireResponse": 2, "Consent": 2,
    }  # fmt: skip
    urls = {(e["resource"]["resourceType"], e["resource"]["id"]): e["fullUrl"] for e in data["entry"]}
    patient_url = urls[("Patient", str(pid))]
    [plan] = kinds["CarePlan"]
    assert plan["status"] == "active" and plan["intent"] == "plan" and plan["subject"]["reference"] == patient_url
    assert {g["reference"] for g in plan["goal"]} == {urls[("Goal", g["id"])] for g in kinds["Goal"]}
    assert plan["careTeam"][0]["reference"] == urls[("CareTeam", kinds["CareTeam"][0]["id"])]
    assert (
        plan["activity"][0]["detail"]["performer"][0]["reference"]
        == urls[("Practitioner", str(record["therapist"].id))]
    )
    assert "F32.1" in plan["note"][0]["text"]
    assert len(kinds["CareTeam"][0]["participant"]) == 3  # the patient and two clinicians


def test_status_mappings_and_loinc(client, record, auth_headers):
    data = client.get(f"/api/v1/patients/{record['patient'].id}/fhir", headers=auth_headers(record["therapist"]))
    kinds = _by_type(data.get_json())
    meds = {m["medicationCodeableConcept"]["text"]: m for m in kinds["MedicationStatement"]}
    assert meds["Sertraline"]["status"] == "active" and "end" not in meds["Sertraline"]["effectivePeriod"]
    assert meds["Hydroxyzine"]["status"] == "stopped" and meds["Hydroxyzine"]["statusReason"][0]["text"] == "drowsiness"
    assert "end" in meds["Hydroxyzine"]["effectivePeriod"]
    goals = {g["description"]["text"]: g for g in kinds["Goal"]}
    assert goals["Sleep through the night"]["lifecycleStatus"] == "active"
    assert goals["Sleep through the night"]["target"][0]["detailString"] == "5 nights a week"
    assert goals["Walk daily"]["lifecycleStatus"] == "completed"
    assert goals["Walk daily"]["achievementStatus"]["coding"][0]["code"] == "achieved"
    assert goals["Return to work"]["lifecycleStatus"] == "cancelled"
    assert goals["Join a choir"]["lifecycleStatus"] == "on-hold"
    answers = {q["questionnaire"]: q for q in kinds["QuestionnaireResponse"]}
    phq = answers[f"http://loinc.org/q/{PHQ9_PANEL_LOINC}"]
    gad = answers[f"http://loinc.org/q/{GAD7_PANEL_LOINC}"]
    assert phq["status"] == "completed" and len(phq["item"]) == 10 and len(gad["item"]) == 8
    assert phq["item"][-1] == {"linkId": PHQ9_TOTAL_LOINC, "text": "PHQ-9 total score", "answer": [{"valueInteger": 9}]}
    assert gad["item"][-1]["linkId"] == GAD7_TOTAL_LOINC and gad["item"][-1]["answer"] == [{"valueInteger": 7}]
    assert phq["item"][8]["text"].startswith("Thoughts that you would be better off dead")
    assert sorted(c["status"] for c in kinds["Consent"]) == ["active", "inactive"]
    withdrawn = next(c for c in kinds["Consent"] if c["status"] == "inactive")
    assert "end" in withdrawn["provision"]["period"] and withdrawn["scope"]["coding"][0]["code"] == "treatment"
    assert base64.b64decode(withdrawn["sourceAttachment"]["data"]).decode() == consent.CONSENT_TEXT
    # Who answered: the patient themselves for the PHQ-9, the therapist entering a GAD-7 from a visit.
    assert phq["author"] == phq["subject"] and gad["author"] != gad["subject"]


def test_every_status_we_write_is_in_its_value_set():
    for ours in ("active", "met", "not_met", "on_hold", "anything else"):
        lifecycle, _ = fhir.goal_status(ours)
        assert lifecycle in fhir.VALUE_SETS[("Goal", "lifecycleStatus")]
    assert fhir.medication_status("discontinued") == "stopped" and fhir.medication_status("weird") == "unknown"
    with pytest.raises(fhir.InvalidStatus):
        fhir.check_status("MedicationStatement", "status", "discontinued")


def test_an_empty_record_is_a_draft_plan(client, make_patient, auth_headers):
    patient = make_patient()
    data = client.get(f"/api/v1/patients/{patient.id}/fhir", headers=auth_headers(patient)).get_json()
    kinds = _by_type(data)
    assert kinds["CarePlan"][0]["status"] == "draft" and kinds["CareTeam"][0]["status"] == "inactive"
    Bundle.model_validate(data)


def test_outsiders_get_404(client, record, make_patient, make_clinician, make_staff, auth_headers):
    pid = record["patient"].id
    stranger = make_clinician("MD")
    care.break_glass(stranger, pid, "patient in crisis, team unreachable")
    for outsider in (
        make_patient(),
        make_clinician("LCSW"),
        make_staff("billing_admin"),
        make_staff("admin"),
        stranger,
    ):
        assert client.get(f"/api/v1/patients/{pid}/fhir", headers=auth_headers(outsider)).status_code == 404
    assert client.get("/api/v1/patients/999999/fhir", headers=auth_headers(record["prescriber"])).status_code == 404
    assert client.get(f"/api/v1/patients/{pid}/fhir").status_code == 401
    care.remove_member(record["patient"], pid, record["therapist"].id)
    assert client.get(f"/api/v1/patients/{pid}/fhir", headers=auth_headers(record["therapist"])).status_code == 404


def test_export_is_audited_listed_in_openapi_and_linked_from_the_care_plan(client, record, auth_headers,
                                                                           browser_login):  # fmt: skip
    pid = record["patient"].id
    client.get(f"/api/v1/patients/{pid}/fhir", headers=auth_headers(record["prescriber"]))
    assert db.session.scalar(
        select(AuditEvent.id).where(
            AuditEvent.action == "fhir_export.read",
            AuditEvent.patient_id == pid,
            AuditEvent.actor_id == record["prescriber"].id,
        )
    )
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "get" in spec["paths"]["/api/v1/patients/{patient_id}/fhir"]
    browser_login(record["patient"])
    page = client.get(f"/patients/{pid}/chart").get_data(as_text=True)
    assert f'href="/api/v1/patients/{pid}/fhir"' in page
    # The browser download uses the session cookie.
    download = client.get(f"/api/v1/patients/{pid}/fhir")
    assert download.status_code == 200 and download.get_json()["type"] == "collection"

"""Issue 16, medications: start, change (earlier doses kept), discontinue with a reason, the
duplicate-active guard; prescribers on the team only, therapists read-only. API and pages."""

from __future__ import annotations

from sqlalchemy import select

from app.care_team.medication import Medication
from app.extensions import db

from .conftest import csrf_token_from


def _start(client, team, name="Sertraline", **more):
    body = {"name": name, "dose": "50 mg", "frequency": "once daily"} | more
    return client.post(
        f"/api/v1/patients/{team['patient'].id}/care-plan/medications", headers=team["h"]["prescriber"], json=body
    )


def test_a_dose_change_keeps_the_earlier_dose_with_who_when_and_why(client, team):
    pid, h = team["patient"].id, team["h"]
    started = _start(client, team, route="oral", started_on="2026-11-02")
    assert started.status_code == 201, started.get_json()
    med = started.get_json()
    assert med["route"] == "oral" and med["started_at"].startswith("2026-11-02") and med["history"] == []
    url = f"/api/v1/patients/{pid}/care-plan/medications/{med['id']}/change"
    first = client.post(url, headers=h["prescriber"], json={"dose": "100 mg", "reason": "partial response"})
    assert first.status_code == 200, first.get_json()
    second = client.post(
        url, headers=h["prescriber"], json={"dose": "150 mg", "frequency": "every morning", "reason": "still low"}
    )
    out = second.get_json()
    assert (out["dose"], out["frequency"], out["route"]) == ("150 mg", "every morning", "oral")
    assert [(d["dose"], d["frequency"], d["reason"]) for d in out["history"]] == [
        ("50 mg", "once daily", "partial response"),
        ("100 mg", "once daily", "still low"),
    ]
    assert {d["changed_by"] for d in out["history"]} == {team["prescriber"].id}
    assert out["history"][0]["set_by"] == team["prescriber"].id
    assert out["history"][1]["since"] == out["history"][0]["until"]
    # The plan read by anyone on the team (and the patient) shows the same history.
    for who in ("patient", "therapist"):
        plan = client.get(f"/api/v1/patients/{pid}/care-plan", headers=h[who]).get_json()
        assert [d["dose"] for d in plan["medications"][0]["history"]] == ["50 mg", "100 mg"]
    # A later plan change (a goal) carries the history forward.
    version = client.get(f"/api/v1/patients/{pid}/care-plan", headers=h["therapist"]).get_json()["version"]
    client.patch(
        f"/api/v1/patients/{pid}/care-plan", headers=h["therapist"], json={"base_version": version, "goals": []}
    )
    plan = client.get(f"/api/v1/patients/{pid}/care-plan", headers=h["prescriber"]).get_json()
    assert len(plan["medications"][0]["history"]) == 2 and plan["medications"][0]["route"] == "oral"
    versions = client.get(f"/api/v1/patients/{pid}/care-plan/versions", headers=h["prescriber"])
    assert versions.status_code == 200


def test_change_is_for_prescribers_on_the_team_and_needs_a_reason(client, team):
    pid, h = team["patient"].id, team["h"]
    med_id = _start(client, team).get_json()["id"]
    url = f"/api/v1/patients/{pid}/care-plan/medications/{med_id}/change"
    denied = client.post(url, headers=h["therapist"], json={"dose": "100 mg", "reason": "x"})
    assert denied.status_code == 403 and denied.get_json()["error"] == "prescriber_only"
    assert client.post(url, headers=h["prescriber"], json={"dose": "100 mg"}).status_code == 422
    assert client.post(url, headers=h["patient"], json={"dose": "1 mg", "reason": "x"}).status_code in (403, 404)
    missing = f"/api/v1/patients/{pid}/care-plan/medications/{med_id + 999}/change"
    assert client.post(missing, headers=h["prescriber"], json={"dose": "1 mg", "reason": "x"}).status_code == 404
    assert db.session.get(Medication, med_id, populate_existing=True).dose == "50 mg"


def test_discontinue_with_a_reason_then_no_more_changes(client, team):
    pid, h = team["patient"].id, team["h"]
    med_id = _start(client, team).get_json()["id"]
    base = f"/api/v1/patients/{pid}/care-plan/medications/{med_id}"
    assert client.post(base + "/discontinue", headers=h["prescriber"], json={}).status_code == 422
    client.post(base + "/change", headers=h["prescriber"], json={"dose": "75 mg", "reason": "tolerating"})
    done = client.post(base + "/discontinue", headers=h["prescriber"], json={"reason": "nausea"})
    out = done.get_json()
    assert done.status_code == 200 and (out["status"], out["reason"]) == ("discontinued", "nausea")
    assert out["discontinued_by"] == team["prescriber"].id and out["discontinued_at"]
    assert [d["dose"] for d in out["history"]] == ["50 mg"] and out["dose"] == "75 mg"
    late = client.post(base + "/change", headers=h["prescriber"], json={"dose": "1 mg", "reason": "x"})
    assert late.status_code == 409


def test_a_second_active_medication_of_the_same_name_needs_confirmation(client, team):
    pid, h = team["patient"].id, team["h"]
    first = _start(client, team, name="Sertraline")
    assert first.status_code == 201
    again = _start(client, team, name="  sERTRALINE ")
    assert again.status_code == 409 and again.get_json()["error"] == "duplicate_active"
    assert _start(client, team, name="sertraline", confirm_duplicate=True).status_code == 201
    # Once the first is discontinued (and the second too), the name is free again.
    for med in client.get(f"/api/v1/patients/{pid}/care-plan", headers=h["prescriber"]).get_json()["medications"]:
        client.post(
            f"/api/v1/patients/{pid}/care-plan/medications/{med['id']}/discontinue",
            headers=h["prescriber"],
            json={"reason": "switching"},
        )
    assert _start(client, team, name="Sertraline").status_code == 201


def test_openapi_declares_the_new_endpoints(client):
    doc = client.get("/api/v1/openapi.json").get_json()
    change = doc["paths"]["/api/v1/patients/{patient_id}/care-plan/medications/{med_id}/change"]["post"]
    assert {"200", "403", "404", "409", "422"} <= set(change["responses"])
    assert "409" in doc["paths"]["/api/v1/patients/{patient_id}/care-plan/medications"]["post"]["responses"]


def _meds(patient_id: int) -> list[Medication]:
    return list(
        db.session.scalars(select(Medication).where(Medication.patient_id == patient_id).order_by(Medication.id))
    )


def test_the_whole_lifecycle_in_the_pages(client, team, browser_login):
    pid = team["patient"].id
    browser = browser_login(team["prescriber"])
    chart = browser.get(f"/patients/{pid}/chart").get_data(as_text=True)
    for key in ("name", "dose", "route", "frequency", "instructions", "started_on"):
        assert f'for="med-{key}"' in chart
    token = csrf_token_from(chart)
    start = {"csrf_token": token, "name": "Sertraline", "dose": "50 mg", "route": "by mouth", "frequency": "daily"}
    saved = browser.post(f"/patients/{pid}/chart/medications", data=start | {"started_on": "2026-11-02"})
    assert saved.status_code == 302
    (med,) = _meds(pid)
    assert med.started_at.date().isoformat() == "2026-11-02"
    base = f"/patients/{pid}/chart/medications/{med.id}"
    no_reason = browser.post(base + "/change", data={"csrf_token": token, "dose": "100 mg", "reason": ""})
    assert no_reason.status_code == 422 and f'id="med-{med.id}-reason-error"' in no_reason.get_data(as_text=True)
    assert "Say why, in a few words." in no_reason.get_data(as_text=True)
    changed = browser.post(
        base + "/change",
        data={"csrf_token": token, "dose": "100 mg", "frequency": "daily", "reason": "partial response"},
    )
    assert changed.status_code == 302
    page = browser.get(f"/patients/{pid}/chart").get_data(as_text=True)
    assert "Sertraline</strong> 100 mg, by mouth, daily" in page
    assert "Earlier doses (1)" in page and "50 mg, daily" in page and "partial response" in page
    stopped = browser.post(base + "/discontinue", data={"csrf_token": token, "reason": "nausea at 100 mg"})
    assert stopped.status_code == 302
    page = browser.get(f"/patients/{pid}/chart").get_data(as_text=True)
    past = page[page.index("<h3>Past</h3>") :]
    assert "Sertraline" in past and "nausea at 100 mg" in past and f"by {team['prescriber'].name}" in past
    assert "No current medications." in page


def test_a_duplicate_in_the_pages_asks_for_confirmation_and_keeps_the_values(client, team, browser_login):
    pid = team["patient"].id
    browser = browser_login(team["prescriber"])
    token = csrf_token_from(browser.get(f"/patients/{pid}/chart").get_data(as_text=True))
    form = {"csrf_token": token, "name": "Bupropion", "dose": "150 mg", "frequency": "every morning"}
    assert browser.post(f"/patients/{pid}/chart/medications", data=form).status_code == 302
    again = browser.post(f"/patients/{pid}/chart/medications", data=form | {"name": "bupropion", "dose": "300 mg"})
    page = again.get_data(as_text=True)
    assert again.status_code == 409
    assert 'name="confirm_duplicate"' in page and 'for="med-confirm"' in page
    assert 'value="bupropion"' in page and 'value="300 mg"' in page
    assert len(_meds(pid)) == 1
    confirmed = browser.post(
        f"/patients/{pid}/chart/medications", data=form | {"name": "bupropion", "confirm_duplicate": "yes"}
    )
    assert confirmed.status_code == 302 and len(_meds(pid)) == 2
    missing = browser.post(f"/patients/{pid}/chart/medications", data=form | {"name": "Lithium", "dose": ""})
    assert missing.status_code == 422 and "Enter the dose, for example 50 mg." in missing.get_data(as_text=True)


def test_therapists_see_the_list_read_only(client, team, browser_login):
    pid = team["patient"].id
    med_id = _start(client, team).get_json()["id"]
    browser = browser_login(team["therapist"])
    page = browser.get(f"/patients/{pid}/chart").get_data(as_text=True)
    assert "Sertraline" in page and "read-only" in page
    assert "/chart/medications" not in page  # no start, change or discontinue form
    token = csrf_token_from(page)
    for path, data in (
        ("", {"name": "Lithium", "dose": "300 mg", "frequency": "daily"}),
        (f"/{med_id}/change", {"dose": "1 mg", "reason": "x"}),
        (f"/{med_id}/discontinue", {"reason": "x"}),
    ):
        refused = browser.post(f"/patients/{pid}/chart/medications{path}", data=data | {"csrf_token": token})
        assert refused.status_code == 302  # back to the chart, told only a prescriber changes medications
    (med,) = _meds(pid)
    assert (med.dose, med.status) == ("50 mg", "active")
    told = browser.get(f"/patients/{pid}/chart").get_data(as_text=True)
    assert "Only a prescriber on the care team changes medications." in told

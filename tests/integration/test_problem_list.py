"""Problems and diagnoses in the chart (issue 16): add, edit and resolve a problem with an ICD-10-CM code
found by code or words, from the chart pages, for the care team only (prescribers and therapists); a bad
code is told next to its field in plain words; a resolved problem stays on the list and in the history;
the psychiatric evaluation's coded diagnoses go on the problem list when it is signed (once); the chart
header on the visit-note pages."""

from __future__ import annotations

import html as html_lib
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.audit.event import AuditEvent
from app.booking import openings
from app.booking import service as booking
from app.care_team import service as care
from app.care_team.plan import CarePlan, CarePlanVersion
from app.db import utcnow
from app.extensions import db
from app.notes import service as notes
from app.notes.note import VisitNote
from tests.integration.actors import EVERY_DAY, sign_in
from tests.integration.conftest import csrf_token_from

MDD = "Major depressive disorder, recurrent, moderate"


@pytest.fixture
def clinic(make_patient, make_clinician, make_staff):
    patient = make_patient(name="Rowan Patient")
    prescriber = make_clinician("MD", name="Dr. Presc")
    therapist = make_clinician("LCSW", name="Thera Pist")
    for c in (prescriber, therapist):
        booking.update_availability(c, EVERY_DAY, actor=c)

    def book(clinician, kind, day_offset, n=0):
        day = (utcnow() + timedelta(days=day_offset)).date()
        start = openings.open_slots(clinician, kind, day, day, "America/New_York")[n][0]
        return booking.book(patient, clinician.id, kind, start)

    return {
        "patient": patient,
        "prescriber": prescriber,
        "therapist": therapist,
        "admin": make_staff("admin"),
        "billing": make_staff("billing_admin"),
        "stranger": make_clinician("PsyD", name="Off Team"),
        "evaluation": book(prescriber, "psychiatric_evaluation", 2),
        "therapy": book(therapist, "therapy_session", 2, 6),
        "book": book,
    }


def _plan(patient_id):
    db.session.expire_all()
    return db.session.get(CarePlan, patient_id)


def _version(patient_id):
    plan = _plan(patient_id)
    return str(plan.version if plan else 0)


def _chart(browser, patient_id, **args):
    page = browser.get(f"/patients/{patient_id}/chart", query_string=args)
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_the_team_adds_edits_and_resolves_problems_with_codes_from_the_search(app, clinic):
    pat = clinic["patient"]
    browser = sign_in(app, clinic["therapist"])  # therapists keep the problem list too
    # The search without JavaScript: words find the code, the result picks it into the form.
    found = _chart(browser, pat.id, icd_q="recurrent depression")
    assert "Use F33.1" in found and MDD in found
    picked = _chart(browser, pat.id, icd_q="recurrent depression", code="f331")
    assert 'id="problem-code" name="code" type="text" maxlength="10" value="F33.1"' in picked
    assert f'value="{MDD}"' in picked  # the description fills the problem when it is empty
    token = csrf_token_from(picked)
    url = f"/patients/{pat.id}/chart/problems"

    added = browser.post(url, data={"csrf_token": token, "base_version": _version(pat.id), "text": "", "code": "F33.1"})
    assert added.status_code == 302
    assert _plan(pat.id).problems == [
        {"text": MDD, "code": "F33.1", "description": MDD, "status": "active", "resolved_on": None}
    ]
    worry = browser.post(
        url, data={"csrf_token": token, "base_version": _version(pat.id), "text": "Worry", "code": "f41.1"}
    )
    assert worry.status_code == 302 and _plan(pat.id).problems[1]["code"] == "F41.1"

    edited = browser.post(f"{url}/1", data={"csrf_token": token, "base_version": _version(pat.id),
                                            "text": "Worry most days", "code": "F41.1"})  # fmt: skip
    assert edited.status_code == 302 and _plan(pat.id).problems[1]["text"] == "Worry most days"

    resolved = browser.post(f"{url}/1/resolve", data={"csrf_token": token, "base_version": _version(pat.id)})
    assert resolved.status_code == 302
    problems = _plan(pat.id).problems
    assert [p["status"] for p in problems] == ["active", "resolved"]  # kept, not removed
    assert problems[1]["resolved_on"] and problems[1]["code"] == "F41.1"
    page = _chart(browser, pat.id)
    assert "Resolved" in page and "Worry most days" in page and "No active problems" not in page
    # The history says what happened, in words, each change by whom.
    summaries = list(db.session.scalars(
        select(CarePlanVersion.summary).where(CarePlanVersion.patient_id == pat.id).order_by(CarePlanVersion.version)
    ))  # fmt: skip
    assert summaries == [
        f"problem added: F33.1 {MDD}",
        "problem added: F41.1 Worry",
        "problem edited: F41.1 Worry → F41.1 Worry most days",
        "problem resolved: F41.1 Worry most days",
    ]
    history = browser.get(f"/patients/{pat.id}/chart/history").get_data(as_text=True)
    assert "Worry most days" in history and "status active → resolved" in html_lib.unescape(history)
    writes = db.session.scalar(
        select(db.func.count()).select_from(AuditEvent).where(
            AuditEvent.patient_id == pat.id, AuditEvent.action == "care_plan.update",
            AuditEvent.actor_id == clinic["therapist"].id,
        )
    )  # fmt: skip
    assert writes == 4  # audited like every chart write


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("F99.99", "F99.99 is not an ICD-10-CM diagnosis code"),
        ("F33", "F33 is a group of codes, not one diagnosis: pick one of F33.0"),
        ("banana", "is not an ICD-10-CM diagnosis code"),
    ],
)
def test_a_bad_code_is_told_next_to_its_field_in_plain_words(app, clinic, code, words):
    pat = clinic["patient"]
    browser = sign_in(app, clinic["prescriber"])
    token = csrf_token_from(_chart(browser, pat.id))
    form = {"csrf_token": token, "base_version": _version(pat.id), "text": "Low mood", "code": code}
    sent = browser.post(f"/patients/{pat.id}/chart/problems", data=form)
    assert sent.status_code == 422
    page = html_lib.unescape(sent.get_data(as_text=True))
    error = page.split('id="problem-code-error">', 1)[1].split("</p>", 1)[0]
    assert words in error
    assert 'value="Low mood"' in page  # what was typed is kept
    assert _plan(pat.id) is None or _plan(pat.id).problems == []


def test_an_empty_problem_is_refused_and_a_stale_form_is_not_applied(app, clinic):
    pat = clinic["patient"]
    browser = sign_in(app, clinic["prescriber"])
    token = csrf_token_from(_chart(browser, pat.id))
    url = f"/patients/{pat.id}/chart/problems"
    empty = browser.post(url, data={"csrf_token": token, "base_version": _version(pat.id), "text": "", "code": ""})
    assert empty.status_code == 422 and "Name the problem" in empty.get_data(as_text=True)
    assert browser.post(url, data={"csrf_token": token, "base_version": "0", "text": "Sleep"}).status_code == 302
    stale = browser.post(url, data={"csrf_token": token, "base_version": "0", "text": "Appetite"})
    assert stale.status_code == 302 and "changed since you opened it" in _chart(browser, pat.id)
    assert [p["text"] for p in _plan(pat.id).problems] == ["Sleep"]
    gone = browser.post(f"{url}/5/resolve", data={"csrf_token": token, "base_version": _version(pat.id)})
    assert gone.status_code == 302 and "no longer on the list" in _chart(browser, pat.id)


def test_outsiders_get_404_and_the_patient_403(app, clinic):
    pat = clinic["patient"]
    care.patch_plan(clinic["prescriber"], pat.id, 0, {"problems": [{"text": "Sleep", "code": None}]})
    before = _plan(pat.id).version
    for who, status in (("stranger", 404), ("billing", 404), ("admin", 404), ("patient", 403)):
        browser = sign_in(app, clinic[who])
        token = csrf_token_from(browser.get("/account").get_data(as_text=True))
        url = f"/patients/{pat.id}/chart/problems"
        form = {"csrf_token": token, "base_version": str(before), "text": "Intruder", "code": "F33.1"}
        assert browser.post(url, data=form).status_code == status, who
        assert browser.post(f"{url}/0", data=form).status_code == status, who
        assert browser.post(f"{url}/0/resolve", data=form).status_code == status, who
    assert _plan(pat.id).version == before and _plan(pat.id).problems[0]["text"] == "Sleep"


def test_the_pages_code_search_is_json_for_signed_in_clinicians(app, clinic):
    browser = sign_in(app, clinic["prescriber"])
    rows = browser.get("/icd10/search", query_string={"q": "recurrent depression"}).get_json()
    assert {"code": "F33.1", "description": MDD} in rows and len(rows) <= 20
    assert browser.get("/icd10/search", query_string={"q": "f33.1"}).get_json()[0]["code"] == "F33.1"
    assert browser.get("/icd10/search", query_string={"q": "x"}).get_json() == []
    assert sign_in(app, clinic["patient"]).get("/icd10/search?q=F33").status_code == 403
    assert sign_in(app, None).get("/icd10/search?q=F33").status_code in (302, 401)


def test_the_api_resolves_through_the_patch_and_documents_the_fields(client, auth_headers, clinic):
    pat, h = clinic["patient"], auth_headers(clinic["prescriber"])
    path = f"/api/v1/patients/{pat.id}/care-plan"
    sent = client.patch(path, headers=h, json={"base_version": 0, "problems": [
        {"text": "Depression", "code": "F33.1"},
        {"text": "Worry", "code": "F41.1", "status": "resolved", "resolved_on": "2026-11-30"},
    ]})  # fmt: skip
    assert sent.status_code == 200
    problems = sent.get_json()["problems"]
    assert problems[0]["status"] == "active" and problems[0]["resolved_on"] is None
    assert problems[1]["status"] == "resolved" and problems[1]["resolved_on"] == "2026-11-30"
    bundle = client.get(f"/api/v1/patients/{pat.id}/fhir", headers=h).get_json()
    notes_ = [n["text"] for e in bundle["entry"] if e["resource"]["resourceType"] == "CarePlan"
              for n in e["resource"]["note"]]  # fmt: skip
    assert notes_ == ["Problem: Depression (ICD-10 F33.1)", "Problem: Worry (ICD-10 F41.1), resolved 2026-11-30"]
    bad = client.patch(path, headers=h, json={"base_version": 1, "problems": [{"text": "x", "status": "gone"}]})
    assert bad.status_code == 422 and "problems.0.status" in bad.get_json()["fields"]
    schema = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]["Problem"]["properties"]
    assert {"status", "resolved_on", "code", "description"} <= set(schema)


def _evaluation_page(browser, appt_id):
    page = browser.get(f"/appointments/{appt_id}/note")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_signing_the_evaluation_puts_its_coded_diagnoses_on_the_problem_list_once(app, clinic):
    pat, pres = clinic["patient"], clinic["prescriber"]
    care.patch_plan(pres, pat.id, 0, {"problems": [{"text": "Worry", "code": "F41.1", "status": "active"}]})
    appt = clinic["evaluation"]
    browser = sign_in(app, pres)
    html = _evaluation_page(browser, appt.id)
    assert "Find an ICD-10-CM code" in html and "About the patient" in html  # the search and the chart header
    token = csrf_token_from(html)
    url = f"/appointments/{appt.id}/note"
    form = {"csrf_token": token, "template": "psychiatric_evaluation", "section_chief_complaint": "Low mood"}
    # Without JavaScript: "Search codes" saves the draft and lists codes; a result adds its line.
    searched = browser.post(url, data=form | {"icd_search": "1", "icd_q": "recurrent depression"})
    assert searched.status_code == 302 and "icd_q=recurrent" in searched.headers["Location"]
    results = browser.get(searched.headers["Location"]).get_data(as_text=True)
    assert 'name="add_code" value="F33.1"' in results
    picked = browser.post(url, data=form | {"add_code": "F33.1", "section_diagnosis": "F41.1 worry most days"})
    assert picked.status_code == 302
    note = db.session.scalar(select(VisitNote).where(VisitNote.appointment_id == appt.id))
    assert note.sections["diagnosis"] == f"F41.1 worry most days\nF33.1 {MDD}"
    assert note.sections["chief_complaint"] == "Low mood"  # the search kept what was typed
    # A bad code: told next to the diagnosis, nothing saved.
    bad = browser.post(url, data=form | {"section_diagnosis": "F33 depression\nrule out bipolar II"})
    assert bad.status_code == 422
    error = html_lib.unescape(bad.get_data(as_text=True)).split('id="section_diagnosis-error">', 1)[1].split("</p>")[0]
    assert "line 1: F33 is a group of codes" in error and "F33.0" in error
    db.session.expire_all()
    assert db.session.get(VisitNote, note.id).sections["diagnosis"].startswith("F41.1")

    signed = browser.post(f"/visit-notes/{note.id}/sign", data={"csrf_token": token, "confirm": "yes"})
    assert signed.status_code == 302
    problems = _plan(pat.id).problems
    assert [(p["code"], p["status"]) for p in problems] == [("F41.1", "active"), ("F33.1", "active")]  # F41.1 once
    assert problems[1]["text"] == MDD and problems[1]["description"] == MDD
    last = db.session.scalars(
        select(CarePlanVersion).where(CarePlanVersion.patient_id == pat.id).order_by(CarePlanVersion.version.desc())
    ).first()
    assert "psychiatric evaluation note" in last.summary and last.summary.endswith(": F33.1")
    assert last.updated_by == pres.id
    assert browser.post(f"/visit-notes/{note.id}/sign", data={"csrf_token": token, "confirm": "yes"}).status_code == 409
    assert len(_plan(pat.id).problems) == 2
    # The team sees the header on the signed note and on the notes list.
    therapist = sign_in(app, clinic["therapist"])
    for page_url in (url, f"/patients/{pat.id}/visit-notes"):
        page = therapist.get(page_url).get_data(as_text=True)
        assert "About the patient" in page and "Rowan Patient" in page
    assert "About the patient" not in sign_in(app, pat).get(f"/patients/{pat.id}/visit-notes").get_data(as_text=True)


def test_a_second_evaluation_with_the_same_code_adds_no_duplicate_and_a_resolved_code_comes_back(clinic):
    pat, pres = clinic["patient"], clinic["prescriber"]
    now = utcnow()
    first = notes.start_note(pres, clinic["evaluation"].id, "psychiatric_evaluation",
                             {"diagnosis": "F33.1\nF41.1 anxiety"}, now=now)  # fmt: skip
    notes.sign(pres, first.id, now=now)
    assert [p["code"] for p in _plan(pat.id).problems] == ["F33.1", "F41.1"]
    version = _plan(pat.id).version
    problems = [dict(p) for p in _plan(pat.id).problems]
    problems[1] |= {"status": "resolved", "resolved_on": now.date().isoformat()}
    care.patch_plan(pres, pat.id, version, {"problems": problems})
    second_visit = clinic["book"](pres, "psychiatric_evaluation", 5)
    second = notes.start_note(pres, second_visit.id, "psychiatric_evaluation",
                              {"diagnosis": "F33.1 still\nF41.1 back again"}, now=now)  # fmt: skip
    notes.sign(pres, second.id, now=now)
    codes = [(p["code"], p["status"]) for p in _plan(pat.id).problems]
    assert codes == [("F33.1", "active"), ("F41.1", "resolved"), ("F41.1", "active")]


def test_the_api_refuses_a_bad_code_in_the_evaluation_diagnosis(client, auth_headers, clinic):
    h = auth_headers(clinic["prescriber"])
    appt = clinic["evaluation"]
    url = f"/api/v1/appointments/{appt.id}/note"
    sent = client.post(url, headers=h, json={"template": "psychiatric_evaluation",
                                             "sections": {"diagnosis": "F99.99 something"}})  # fmt: skip
    assert sent.status_code == 422
    assert "F99.99 is not an ICD-10-CM diagnosis code" in sent.get_json()["fields"]["sections.diagnosis"]
    free = client.post(url, headers=h, json={"template": "psychiatric_evaluation",
                                             "sections": {"diagnosis": "A1c 5.4, rule out MDD"}})  # fmt: skip
    assert free.status_code == 201  # free text without a leading code is not a coded diagnosis

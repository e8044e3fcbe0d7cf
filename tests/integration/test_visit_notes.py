"""Visit notes (contract "Visit notes, problems, tasks, messages, invitations"): one note per visit with a
template that fits the visit type; a draft only its author sees; signed, then locked for everyone (API,
pages and the database); addenda appended, never editing; the patient reads signed notes unless the
signer withheld one; every read audited; unsigned notes older than 72 hours flagged on the dashboard."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.exc import DBAPIError

from app.audit.event import AuditEvent
from app.booking import openings
from app.booking import service as booking
from app.care_team import service as care
from app.db import utcnow
from app.extensions import db
from app.notes import service as notes
from app.notes.addendum import NoteAddendum
from app.notes.note import VisitNote
from app.web.record_access import record_access
from tests.integration.actors import EVERY_DAY, sign_in
from tests.integration.conftest import csrf_token_from

EVAL_SECTIONS = {"chief_complaint": "Low mood for months", "plan": "Start sertraline 50 mg"}


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

    evaluation = book(prescriber, "psychiatric_evaluation", 2)
    therapy = book(therapist, "therapy_session", 2, 6)
    return {
        "patient": patient,
        "prescriber": prescriber,
        "therapist": therapist,
        "admin": make_staff("admin"),
        "billing": make_staff("billing_admin"),
        "stranger": make_clinician("PsyD", name="Off Team"),
        "evaluation": evaluation,
        "therapy": therapy,
    }


def _reads(actor, patient_id):
    return db.session.scalar(
        select(db.func.count()).select_from(AuditEvent).where(
            AuditEvent.actor_id == actor.id, AuditEvent.patient_id == patient_id,
            AuditEvent.action == "visit_note.read",
        )
    )  # fmt: skip


def test_draft_sign_lock_addenda_and_withhold_through_the_api(client, auth_headers, clinic):
    pres, ther, pat = clinic["prescriber"], clinic["therapist"], clinic["patient"]
    p = pres
    h = {k: auth_headers(clinic[k]) for k in ("prescriber", "therapist", "patient", "admin", "billing", "stranger")}
    appt = clinic["evaluation"]
    url = f"/api/v1/appointments/{appt.id}/note"

    wrong = client.post(url, headers=h["prescriber"], json={"template": "soap", "sections": {}})
    assert wrong.status_code == 422 and "template" in wrong.get_json()["fields"]
    bad_key = client.post(url, headers=h["prescriber"], json={"template": "psychiatric_evaluation",
                                                              "sections": {"nonsense": "x"}})  # fmt: skip
    assert bad_key.status_code == 422 and "sections.nonsense" in bad_key.get_json()["fields"]
    assert client.post(url, headers=h["therapist"], json={"template": "psychiatric_evaluation"}).status_code == 404
    assert client.post(url, headers=h["patient"], json={"template": "psychiatric_evaluation"}).status_code == 403

    made = client.post(
        url, headers=h["prescriber"], json={"template": "psychiatric_evaluation", "sections": EVAL_SECTIONS}
    )
    assert made.status_code == 201, made.get_json()
    note = made.get_json()
    assert {k: note[k] for k in ("appointment_id", "template", "status", "author_id")} == {
        "appointment_id": appt.id, "template": "psychiatric_evaluation", "status": "draft", "author_id": p.id,
    }  # fmt: skip
    assert note["sections"]["chief_complaint"] == "Low mood for months" and note["sections"]["hpi"] == ""
    again = client.post(url, headers=h["prescriber"], json={"template": "psychiatric_evaluation", "sections": {}})
    assert again.status_code == 409 and again.get_json()["error"] == "note_exists"

    note_url = f"/api/v1/visit-notes/{note['id']}"
    patched = client.patch(note_url, headers=h["prescriber"], json={"sections": {"hpi": "Worse since spring"}})
    assert patched.status_code == 200
    assert patched.get_json()["sections"] | {} == EVAL_SECTIONS | patched.get_json()["sections"]
    assert patched.get_json()["sections"]["hpi"] == "Worse since spring"

    # A draft is its author's alone.
    listing = f"/api/v1/patients/{pat.id}/visit-notes"
    assert [n["id"] for n in client.get(listing, headers=h["prescriber"]).get_json()] == [note["id"]]
    assert client.get(listing, headers=h["therapist"]).get_json() == []
    assert client.get(listing, headers=h["patient"]).get_json() == []
    for who in ("therapist", "patient", "admin", "stranger"):
        assert client.patch(note_url, headers=h[who], json={"sections": {"plan": "x"}}).status_code == 404, who
        assert client.post(note_url + "/sign", headers=h[who]).status_code == 404, who
    drafty = client.post(note_url + "/addenda", headers=h["prescriber"], json={"text": "too early"})
    assert drafty.status_code == 409 and drafty.get_json()["error"] == "note_not_signed"

    signed = client.post(note_url + "/sign", headers=h["prescriber"])
    assert signed.status_code == 200
    assert signed.get_json()["status"] == "signed" and signed.get_json()["signed_by"] == p.id
    assert signed.get_json()["signed_at"]
    twice = client.post(note_url + "/sign", headers=h["prescriber"])
    assert twice.status_code == 409 and twice.get_json()["error"] == "note_signed"

    # Locked for everyone, admins included.
    for who in ("prescriber", "therapist", "patient", "admin", "billing", "stranger"):
        r = client.patch(note_url, headers=h[who], json={"sections": {"plan": "rewritten"}})
        assert r.status_code == 409 and r.get_json()["error"] == "note_signed", who
    stored = db.session.get(VisitNote, note["id"])
    assert stored.sections["plan"] == "Start sertraline 50 mg" and stored.sections["hpi"] == "Worse since spring"

    # Addenda append (team members only), the note unchanged.
    assert client.post(note_url + "/addenda", headers=h["patient"], json={"text": "mine"}).status_code == 403
    for who in ("admin", "billing", "stranger"):
        assert client.post(note_url + "/addenda", headers=h[who], json={"text": "x"}).status_code == 404, who
    first = client.post(note_url + "/addenda", headers=h["therapist"], json={"text": "Patient called: sleeping better"})
    assert first.status_code == 201
    assert first.get_json()["author_id"] == ther.id and first.get_json()["signed_at"]
    second = client.post(note_url + "/addenda", headers=h["prescriber"], json={"text": "Labs normal"})
    assert second.status_code == 201
    team_view = client.get(listing, headers=h["therapist"]).get_json()
    assert [a["text"] for a in team_view[0]["addenda"]] == ["Patient called: sleeping better", "Labs normal"]
    assert team_view[0]["sections"] == stored.sections

    # The patient reads the signed note until its signer withholds it; the team still reads it.
    assert [n["id"] for n in client.get(listing, headers=h["patient"]).get_json()] == [note["id"]]
    assert client.post(note_url + "/withhold", headers=h["prescriber"], json={"reason": ""}).status_code == 422
    assert client.post(note_url + "/withhold", headers=h["therapist"], json={"reason": "risk"}).status_code == 403
    assert client.post(note_url + "/withhold", headers=h["patient"], json={"reason": "risk"}).status_code == 403
    assert client.post(note_url + "/withhold", headers=h["admin"], json={"reason": "risk"}).status_code == 404
    held = client.post(note_url + "/withhold", headers=h["prescriber"], json={"reason": "Disclosure risks her safety"})
    assert held.status_code == 200 and held.get_json()["withheld"] is True
    assert client.get(listing, headers=h["patient"]).get_json() == []
    assert [n["id"] for n in client.get(listing, headers=h["therapist"]).get_json()] == [note["id"]]
    for who in ("admin", "billing", "stranger"):
        assert client.get(listing, headers=h[who]).status_code == 404, who
    assert db.session.scalar(
        select(AuditEvent.id).where(AuditEvent.action == "visit_note.withhold", AuditEvent.actor_id == p.id)
    )

    # Every read is audited and shows in the patient's "who viewed my record".
    assert _reads(ther, pat.id) >= 2 and _reads(pres, pat.id) >= 1
    assert any(row.who == ther.name and "visit note" in row.what for row in record_access(pat.id))


def test_a_signed_note_is_locked_in_the_database(clinic):
    note = notes.start_note(clinic["prescriber"], clinic["evaluation"].id, "psychiatric_evaluation", EVAL_SECTIONS)
    notes.sign(clinic["prescriber"], note.id)
    addendum = notes.add_addendum(clinic["therapist"], note.id, "Added later")
    for statement in (
        update(VisitNote).where(VisitNote.id == note.id).values(sections={"plan": "forged"}),
        update(VisitNote).where(VisitNote.id == note.id).values(status="draft"),
        update(NoteAddendum).where(NoteAddendum.id == addendum.id).values(text="forged"),
    ):
        with pytest.raises(DBAPIError), db.session.begin_nested():
            db.session.execute(statement)
    db.session.expire_all()
    assert db.session.get(VisitNote, note.id).sections["plan"] == "Start sertraline 50 mg"
    assert db.session.get(NoteAddendum, addendum.id).text == "Added later"
    # Withholding stays possible.
    assert notes.withhold(clinic["prescriber"], note.id, "harm").withheld_at is not None


def test_template_must_fit_the_visit_type(client, auth_headers, clinic):
    therapy = f"/api/v1/appointments/{clinic['therapy'].id}/note"
    h = auth_headers(clinic["therapist"])
    for template in ("psychiatric_evaluation", "medication_management", "consultation", "made_up"):
        r = client.post(therapy, headers=h, json={"template": template, "sections": {}})
        assert r.status_code == 422 and r.get_json()["error"] == "invalid", template
        assert "template" in r.get_json()["fields"]
    r = client.post(therapy, headers=h, json={"template": "dap", "sections": {"data": "Talked about work"}})
    assert r.status_code == 201 and r.get_json()["template"] == "dap"


def test_pages_start_save_sign_and_refuse_changes(app, clinic):
    pres, ther, pat = clinic["prescriber"], clinic["therapist"], clinic["patient"]
    care.add_assessment(pat, pat.id, "PHQ-9", [2] * 8 + [0])
    care.add_medication(
        pres, pat.id, {"name": "Quetiapinex", "dose": "25 mg", "frequency": "nightly", "instructions": ""}
    )
    appt = clinic["evaluation"]
    browser = sign_in(app, pres)
    page = browser.get(f"/appointments/{appt.id}/note")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Start note" in html and "Mental status exam" in html
    assert "Quetiapinex" in html and "PHQ-9" in html and "16" in html  # beside the note
    token = csrf_token_from(html)
    saved = browser.post(f"/appointments/{appt.id}/note", data={
        "csrf_token": token, "template": "psychiatric_evaluation", "section_chief_complaint": "Cannot sleep",
    })  # fmt: skip
    assert saved.status_code == 302
    note = db.session.scalar(select(VisitNote).where(VisitNote.appointment_id == appt.id))
    assert note.status == "draft" and note.sections["chief_complaint"] == "Cannot sleep"
    unconfirmed = browser.post(f"/visit-notes/{note.id}/sign", data={"csrf_token": token})
    assert unconfirmed.status_code == 422 and "confirm" in unconfirmed.get_data(as_text=True)
    assert db.session.get(VisitNote, note.id).status == "draft"
    assert browser.post(f"/visit-notes/{note.id}/sign", data={"csrf_token": token, "confirm": "yes"}).status_code == 302
    db.session.expire_all()
    assert db.session.get(VisitNote, note.id).status == "signed"
    refused = browser.post(f"/appointments/{appt.id}/note", data={
        "csrf_token": token, "template": "psychiatric_evaluation", "section_chief_complaint": "Rewritten",
    })  # fmt: skip
    assert refused.status_code == 409
    db.session.expire_all()
    assert db.session.get(VisitNote, note.id).sections["chief_complaint"] == "Cannot sleep"
    signed_page = browser.get(f"/appointments/{appt.id}/note").get_data(as_text=True)
    assert "Signed" in signed_page and "Save draft" not in signed_page

    team = sign_in(app, ther)
    team_token = csrf_token_from(team.get("/account").get_data(as_text=True))
    assert team.post(f"/visit-notes/{note.id}/addenda", data={"csrf_token": team_token, "text": ""}).status_code == 422
    added = team.post(f"/visit-notes/{note.id}/addenda", data={"csrf_token": team_token, "text": "Sleeping better now"})
    assert added.status_code == 302
    assert "Sleeping better now" in team.get(f"/appointments/{appt.id}/note").get_data(as_text=True)

    patient = sign_in(app, pat)
    mine = patient.get(f"/patients/{pat.id}/visit-notes").get_data(as_text=True)
    assert "Your visit notes" in mine and "Cannot sleep" in mine and "Sleeping better now" in mine
    assert "Quetiapinex" not in patient.get(f"/appointments/{appt.id}/note").get_data(as_text=True)
    withheld = browser.post(f"/visit-notes/{note.id}/withhold", data={"csrf_token": token, "reason": "Risk of harm"})
    assert withheld.status_code == 302
    assert "Cannot sleep" not in patient.get(f"/patients/{pat.id}/visit-notes").get_data(as_text=True)
    held_page = patient.get(f"/appointments/{appt.id}/note").get_data(as_text=True)
    assert "Cannot sleep" not in held_page and "not available in the portal" in held_page
    for user in (clinic["admin"], clinic["billing"], clinic["stranger"]):
        other = sign_in(app, user)
        assert other.get(f"/patients/{pat.id}/visit-notes").status_code == 404
        assert other.get(f"/appointments/{appt.id}/note").status_code == 404


def test_unsigned_notes_older_than_72_hours_are_flagged(app, clinic):
    pres = clinic["prescriber"]
    now = utcnow()
    old = notes.start_note(pres, clinic["evaluation"].id, "psychiatric_evaluation", {}, now=now - timedelta(hours=73))
    notes.start_note(clinic["therapist"], clinic["therapy"].id, "soap", {}, now=now - timedelta(hours=100))
    assert [n.id for n in notes.overdue_drafts(pres.id, now)] == [old.id]
    assert notes.overdue_drafts(pres.id, now - timedelta(hours=2)) == []
    html = sign_in(app, pres).get("/dashboard").get_data(as_text=True)
    assert "1 unsigned note older than 72 hours" in html
    assert f"/appointments/{clinic['evaluation'].id}/note" in html
    notes.update_note(pres, old.id, {"plan": "Follow up"})
    notes.sign(pres, old.id)
    assert notes.overdue_drafts(pres.id, now) == []


def test_the_openapi_document_declares_every_note_route(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    expected = {
        "/api/v1/appointments/{appointment_id}/note": {"post"},
        "/api/v1/visit-notes/{note_id}": {"patch"},
        "/api/v1/visit-notes/{note_id}/sign": {"post"},
        "/api/v1/visit-notes/{note_id}/addenda": {"post"},
        "/api/v1/visit-notes/{note_id}/withhold": {"post"},
        "/api/v1/patients/{patient_id}/visit-notes": {"get"},
        "/api/v1/appointments/{appointment_id}/psychotherapy-note": {"get", "put"},
    }
    for path, methods in expected.items():
        assert methods <= set(paths[path]), path
    start = paths["/api/v1/appointments/{appointment_id}/note"]["post"]
    assert {"201", "403", "404", "409", "422"} <= set(start["responses"])
    assert "409" in paths["/api/v1/visit-notes/{note_id}"]["patch"]["responses"]

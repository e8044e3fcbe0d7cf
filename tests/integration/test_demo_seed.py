"""The demo clinic's care histories (`demo seed`): made once, through the services, obeying the rules,
and giving the demo psychiatrist's caseload every flag but safety."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from app.accounts.service import find_by_email
from app.accounts.user import User
from app.auth.service import authenticate
from app.billing.gate import is_member
from app.booking.appointment import Appointment
from app.care_team import consent, followups, handoff, minutes
from app.care_team import service as care
from app.care_team.assessment import Assessment
from app.care_team.measures import DEFAULT_BANDS
from app.care_team.medication import Medication
from app.care_team.member import CareTeamMember
from app.care_team.task import Task
from app.db import utcnow
from app.demo.seed import DEMO_PASSWORD, PATIENTS, seed_demo
from app.demo.stories import STORIES
from app.extensions import db
from app.sms.outbox_message import OutboxMessage
from tests.integration.conftest import csrf_token_from


@pytest.fixture
def seeded(app):
    seed_demo()
    return {s.handle: find_by_email(f"{s.handle}@demo-clinic.example.com") for s in STORIES} | {
        h: find_by_email(f"{h}@demo-clinic.example.com")
        for h in ("psychiatrist", "do", "lmhc", "psyd", "lcsw", "lmft", "patient2")
    }


def _counts() -> dict[str, int]:
    return {t.name: db.session.scalar(select(func.count()).select_from(t)) for t in db.metadata.sorted_tables}


def test_seeding_again_creates_nothing(seeded):
    before = _counts()
    created, _ = seed_demo()
    assert created is False
    assert _counts() == before
    assert before["appointments"] > 30 and before["assessments"] > 40 and before["care_minutes"] >= 5


def test_the_psychiatrists_caseload_shows_every_flag_but_safety_and_the_data_obeys_the_rules(seeded):
    rows = {patient.name: summary for patient, summary in care.caseload(seeded["psychiatrist"])}
    assert set(rows) == {"Alex Rivera", "Morgan Ellis", "Riley Carter", "Devon Park"}
    assert rows["Morgan Ellis"].flags == ("remission", "response")
    assert rows["Riley Carter"].flags == ("not_improving",)
    assert rows["Riley Carter"].weeks_in_care >= 12
    assert rows["Devon Park"].flags == ("no_recent_measure",)
    assert rows["Alex Rivera"].flags == ()
    assert (rows["Morgan Ellis"].baseline_phq9, rows["Morgan Ellis"].latest_phq9) == (18, 4)
    _teams_from_past_visits_with_consent_on_file(seeded)
    _no_double_bookings_and_history_in_the_past()
    _the_browser_tests_keep_their_open_slots(seeded)
    _no_crisis_answers_and_no_urgent_tasks()


def _teams_from_past_visits_with_consent_on_file(seeded) -> None:
    now = utcnow()
    for story in STORIES:
        patient = seeded[story.handle]
        roles = {role for _, role in care.team(patient, patient.id)}
        assert roles == {"prescriber", "therapist"}, story.name
        assert consent.current(patient.id) is not None, story.name
        first_consent = min(c.given_at for c in consent.history(patient.id))
        visits = db.session.scalars(select(Appointment).where(Appointment.patient_id == patient.id)).all()
        assert all(first_consent <= v.start_at for v in visits), "consent is given at the first booking"
        for member in db.session.scalars(select(CareTeamMember).where(CareTeamMember.patient_id == patient.id)):
            assert any(v.clinician_id == member.clinician_id and v.end_at < now and v.status == "completed"
                       for v in visits), f"{story.name}: each teammate has seen the patient"  # fmt: skip
    assert not care.team(seeded["patient2"], seeded["patient2"].id), "Sam has no visits: the gate shows"


def _no_double_bookings_and_history_in_the_past() -> None:
    now = utcnow()
    rows = db.session.scalars(select(Appointment)).all()
    booked = [a for a in rows if a.status == "booked"]
    for a in booked:
        assert a.start_at > now
        for b in booked:
            if a.id < b.id and (a.clinician_id == b.clinician_id or a.patient_id == b.patient_id):
                assert a.end_at <= b.start_at or b.end_at <= a.start_at, (a.id, b.id)
    assert all(a.end_at < now for a in rows if a.status in ("completed", "no_show"))
    zones = dict(db.session.execute(select(User.id, User.timezone)).all())
    assert all(a.start_at.astimezone(ZoneInfo(zones[a.clinician_id])).weekday() < 5 for a in rows)


def _the_browser_tests_keep_their_open_slots(seeded) -> None:
    """Priya's first slot next week stays 12:00 PM Eastern; Dr. Chen and Marcus are free 14+ days out."""
    now = utcnow()
    assert not db.session.scalar(select(func.count()).select_from(Appointment).where(
        Appointment.clinician_id == seeded["lcsw"].id, Appointment.start_at > now))  # fmt: skip
    two_weeks = now + timedelta(days=14)
    for handle in ("psychiatrist", "lmhc"):
        assert not db.session.scalar(select(func.count()).select_from(Appointment).where(
            Appointment.clinician_id == seeded[handle].id, Appointment.start_at > two_weeks))  # fmt: skip


def _no_crisis_answers_and_no_urgent_tasks() -> None:
    assert not db.session.scalar(select(func.count()).select_from(Assessment).where(Assessment.item9 > 0))
    assert not db.session.scalar(select(func.count()).select_from(Task).where(Task.urgent))
    phq9 = db.session.scalars(select(Assessment).where(Assessment.instrument == "PHQ-9")).all()
    assert all(a.created_at < utcnow() and len(a.answers) == 9 and sum(a.answers) == a.score for a in phq9)


def test_plans_medications_notes_tasks_minutes_memberships_and_texts(seeded):
    maya, marcus, riley = seeded["psychiatrist"], seeded["lmhc"], seeded["patient4"]
    plan, meds = care.get_plan(maya, riley.id)
    assert {p["code"]: p["description"] for p in plan.problems} == {
        "F33.1": "Major depressive disorder, recurrent, moderate",
        "F41.1": "Generalized anxiety disorder",
    }
    assert all(g["target"] for g in plan.goals)
    team_ids = {maya.id, marcus.id}
    assert plan.interventions and {i["owner_id"] for i in plan.interventions} <= team_ids
    stopped = [m for m in meds if m.status == "discontinued"]
    assert len(stopped) == 1 and stopped[0].reason and stopped[0].prescribed_by == maya.id
    assert [m.name for m in meds if m.status == "active"] == ["Bupropion XL"]
    assert len(care.versions(maya, riley.id)) >= 3
    assert all(
        m.prescribed_by in {seeded["psychiatrist"].id, seeded["do"].id} for m in db.session.scalars(select(Medication))
    )
    # What the caseload's "My open tasks" shows each of them.
    mention = [t for t, _, _ in handoff.my_open_tasks(maya) if t.patient_id == riley.id]
    assert mention and "mentioned you" in mention[0].title
    assert any("missed visit" in t.title for t, _, _ in handoff.my_open_tasks(marcus))
    report = minutes.month_report(maya, riley.id, minutes.month_start(minutes.today_for(maya)), DEFAULT_BANDS)
    assert report.consent_on_file and report.codes == [("99493", 1)]
    # A coherent history: the scheduler's follow-up rules find nothing to chase.
    assert followups.run() == {"evaluations": 0, "check_ins": 0, "plan_reviews": 0}
    _memberships_texts_and_logins(seeded)


def _memberships_texts_and_logins(seeded) -> None:
    assert {s.handle for s in STORIES if is_member(seeded[s.handle].id)} == {"patient", "patient3", "patient4",
                                                                              "patient6"}  # fmt: skip
    assert not is_member(seeded["patient5"].id) and not is_member(seeded["patient2"].id)
    assert len(PATIENTS) == 2, "the printed logins stay short"
    # Texts about past visits are either for patients without a number or will not go out (visit not booked).
    past = select(Appointment.id).where(Appointment.status != "booked")
    queued_about_past = db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "queued", OutboxMessage.appointment_id.in_(past))
    ).all()
    assert all(m.patient_id == seeded["patient"].id for m in queued_about_past)
    for story in STORIES:
        assert isinstance(authenticate(f"{story.handle}@demo-clinic.example.com", DEMO_PASSWORD), User)


def test_the_seeded_pages_render_for_the_team_and_the_patient(seeded, browser_login, client):
    maya = seeded["psychiatrist"]
    browser_login(maya, DEMO_PASSWORD)
    caseload = client.get("/caseload").get_data(as_text=True)
    for text in ("Morgan Ellis", "Riley Carter", "Devon Park", "Alex Rivera", "not improving", "remission",
                 "no recent measure", "mentioned you"):  # fmt: skip
        assert text in caseload, text
    review = client.get("/review").get_data(as_text=True)
    assert "Riley Carter" in review and "Alex Rivera" in review
    assert "99493" in client.get("/caseload/minutes").get_data(as_text=True)
    for handle in ("patient", "patient3", "patient4", "patient5"):
        pid = seeded[handle].id
        for path in (f"/patients/{pid}/chart", f"/patients/{pid}/chart/history", f"/patients/{pid}/minutes"):
            assert client.get(path).status_code == 200, path
    chart = client.get(f"/patients/{seeded['patient4'].id}/chart").get_data(as_text=True)
    for text in ("F33.1", "Get out of bed before 9 on workdays", "Bupropion XL", "Escitalopram", "Nausea most days"):
        assert text in chart, text
    patient_client = client.application.test_client()
    token = csrf_token_from(patient_client.get("/login").get_data(as_text=True))
    login = {"email": seeded["patient3"].email, "password": DEMO_PASSWORD, "csrf_token": token}
    assert patient_client.post("/login", data=login).status_code == 302
    dashboard = patient_client.get("/dashboard").get_data(as_text=True)
    assert "Dr. Ana Torres, PsyD" in dashboard and "Sertraline" in dashboard
    assert patient_client.get("/appointments").status_code == 200


def test_the_demo_clinic_has_signed_visit_notes_with_addenda(seeded):
    from app.notes import service as visit_notes

    morgan = seeded[STORIES[1].handle]
    team_member = db.session.scalars(
        select(User)
        .join(CareTeamMember, CareTeamMember.clinician_id == User.id)
        .where(CareTeamMember.patient_id == morgan.id)
    ).first()
    shown = visit_notes.patient_notes(morgan, morgan.id)
    assert shown and all(n.status == "signed" for n, _ in shown)
    assert any(n.template == "psychiatric_evaluation" and addenda for n, addenda in shown)
    assert visit_notes.patient_notes(team_member, morgan.id)


def test_the_demo_clinic_has_coded_problems_evaluations_that_name_them_and_medication_histories(seeded):
    """Issue 16: every patient with a plan has ICD-10-CM coded problems; the signed evaluations' diagnosis
    sections carry the same codes (signing added no duplicate); a dose change kept in a medication's
    history and a discontinued drug with its reason."""
    from app.notes import service as visit_notes
    from app.reference import icd10

    maya, morgan, riley = seeded["psychiatrist"], seeded["patient3"], seeded["patient4"]
    for patient in (morgan, riley):
        plan, meds, extras = care.plan_with_history(maya, patient.id)
        codes = [p["code"] for p in plan.problems if p.get("code")]
        assert codes and len(codes) == len(set(codes)) and all(icd10.lookup(c) for c in codes)
        evaluations = [
            n for n, _ in visit_notes.patient_notes(maya, patient.id) if n.template == "psychiatric_evaluation"
        ]
        assert evaluations and all(n.status == "signed" for n in evaluations)
        assert all(code in evaluations[0].sections["diagnosis"] for code in codes)
    _, meds, extras = care.plan_with_history(maya, morgan.id)
    sertraline = next(m for m in meds if m.name == "Sertraline")
    assert sertraline.dose == "50 mg" and sertraline.status == "active"
    history = extras[sertraline.id]["history"]
    assert [h["dose"] for h in history] == ["25 mg"] and history[0]["reason"] and history[0]["changed_by"] == maya.id
    _, meds, _ = care.plan_with_history(maya, riley.id)
    stopped = [m for m in meds if m.status == "discontinued"]
    assert [m.name for m in stopped] == ["Escitalopram"] and "Nausea" in (stopped[0].reason or "")


def test_the_demo_history_is_dated_when_it_happened(seeded):
    """Issue 17: "who viewed my record" shows the story's times (a medication started weeks ago, a
    check-in read after the visit), not a burst at the moment the demo was seeded."""
    from app.audit.event import AuditEvent
    from app.web.record_access import record_access

    now = utcnow()
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action.in_(("medication.add", "care_plan.update"))))
    dates = sorted({e.occurred_at.date() for e in events})
    assert len(dates) > 3 and dates[0] < (now - timedelta(days=14)).date()
    rows = [r for s in STORIES for r in record_access(find_by_email(f"{s.handle}@demo-clinic.example.com").id)]
    assert rows and all(r.occurred_at <= now for r in rows)
    assert min(r.occurred_at for r in rows) < now - timedelta(days=7)

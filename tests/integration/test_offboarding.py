"""Offboarding a clinician (issue 17): the admin confirms on a page listing their future visits; each is
moved to a free colleague with the same role and a license in the patient's state, or cancelled; the
patient is texted (no clinical words, consent respected) and told on the dashboard; the account is
disabled, off every care team, cannot sign in or be booked, and nothing stays booked with it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts.user import User
from app.auth import service as auth_service
from app.booking import offboarding, openings
from app.booking import service as booking
from app.booking.appointment import Appointment, AppointmentStatus
from app.booking.visit_change import VisitChange
from app.care_team.member import CareTeamMember
from app.db import utcnow
from app.errors import Invalid
from app.extensions import db
from app.sms.messages import FORBIDDEN
from app.sms.outbox_message import OutboxMessage
from tests.conftest import PASSWORD
from tests.integration.conftest import _EVERY_DAY, csrf_token_from

NY = "America/New_York"


@pytest.fixture
def clinic(make_patient, make_clinician, make_staff):
    """A leaving therapist with a booked visit in 3 days; one colleague who can take it, and four who
    cannot (licensed elsewhere, another clinical role, busy then, no hours)."""
    patient = make_patient(phone="+12125550142", sms_opt_in=True)
    people = {
        "leaving": make_clinician("LCSW", name="Leah Leaving", timezone=NY),
        "able": make_clinician("LMFT", name="Abe Able", timezone=NY),
        "elsewhere": make_clinician("LCSW", name="Nina Jersey", licensed_states=["NJ"], timezone=NY),
        "prescriber": make_clinician("MD", name="Pat Prescriber", timezone=NY),
        "busy": make_clinician("PsyD", name="Bea Busy", timezone=NY),
        "no_hours": make_clinician("LMHC", name="Noah Hours", timezone=NY),
    }
    for key in ("leaving", "able", "elsewhere", "prescriber", "busy"):
        booking.update_availability(people[key], _EVERY_DAY, actor=people[key])
    day = (utcnow() + timedelta(days=3)).date()
    start = openings.open_slots(people["leaving"], "therapy_session", day, day, NY)[20][0]
    visit = booking.book(patient, people["leaving"].id, "therapy_session", start)
    other = make_patient()
    booking.book(other, people["busy"].id, "therapy_session", start + timedelta(minutes=30))
    return {"patient": patient, "visit": visit, "admin": make_staff("admin"), **people}


def _booked_with(clinician: User) -> int:
    query = db.select(db.func.count()).select_from(Appointment)
    return db.session.scalar(
        query.where(Appointment.clinician_id == clinician.id, Appointment.status == AppointmentStatus.BOOKED)
    )


def _texts(patient: User, kind: str) -> list[OutboxMessage]:
    query = db.select(OutboxMessage).where(OutboxMessage.patient_id == patient.id, OutboxMessage.kind == kind)
    return list(db.session.scalars(query))


def _team(patient: User) -> set[int]:
    query = db.select(CareTeamMember.clinician_id).where(CareTeamMember.patient_id == patient.id)
    return set(db.session.scalars(query))


def test_only_a_free_licensed_colleague_with_the_same_role_is_offered(clinic):
    found = offboarding.plan(clinic["leaving"].id)
    (visit,) = found.visits
    assert visit.appointment.id == clinic["visit"].id and found.unmarked == []
    assert [c.name for c in visit.candidates] == ["Abe Able"] and visit.suggested == clinic["able"].id


def test_reassigning_moves_the_visit_tells_the_patient_and_leaves_nothing_booked(clinic, client, browser_login):
    leaving, able, patient, visit = clinic["leaving"], clinic["able"], clinic["patient"], clinic["visit"]
    assert leaving.id in _team(patient)
    offboarding.offboard(clinic["admin"], leaving.id, {visit.id: str(able.id)})
    db.session.expire_all()
    moved = db.session.get(Appointment, visit.id)
    assert moved.clinician_id == able.id and moved.status == AppointmentStatus.BOOKED
    assert moved.start_at == visit.start_at
    assert _booked_with(leaving) == 0
    assert not db.session.get(User, leaving.id).is_enabled
    assert _team(patient) == {able.id}  # the colleague joined; the leaving clinician is off the team
    (text,) = _texts(patient, "visit_reassigned")
    assert text.status == "queued" and "same time" in text.body
    assert not any(word in text.body.lower() for word in FORBIDDEN)
    assert "Leah" not in text.body and "Abe" not in text.body  # a lock screen is not private
    assert db.session.scalar(db.select(VisitChange.kind).where(VisitChange.appointment_id == visit.id)) == "reassigned"
    browser_login(patient)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Changes to your visits" in page and "Leah Leaving is no longer with Harbor Mind" in page
    assert "is now with <strong>Abe Able</strong>" in page


def test_cancelling_tells_the_patient_and_stops_the_reminders(clinic, client, browser_login):
    leaving, patient, visit = clinic["leaving"], clinic["patient"], clinic["visit"]
    assert _texts(patient, "reminder_24h")[0].status == "queued"
    offboarding.offboard(clinic["admin"], leaving.id, {visit.id: offboarding.CANCEL})
    db.session.expire_all()
    cancelled = db.session.get(Appointment, visit.id)
    assert cancelled.status == AppointmentStatus.CANCELLED and cancelled.cancelled_late is False
    assert _booked_with(leaving) == 0
    assert all(t.status == "suppressed" for t in _texts(patient, "reminder_24h") + _texts(patient, "reminder_2h"))
    (text,) = _texts(patient, "practice_cancel_notice")
    assert "cancelled because your clinician is no longer available" in text.body and "/clinicians" in text.body
    assert not any(word in text.body.lower() for word in FORBIDDEN)
    assert _team(patient) == set()
    browser_login(patient)
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Leah Leaving is no longer with Harbor Mind, so your therapy session on" in page
    assert "was cancelled, at no charge" in page


def test_a_patient_without_text_consent_gets_no_text_but_sees_the_dashboard(clinic, make_patient):
    quiet = make_patient()  # no number, no consent
    start = clinic["visit"].start_at + timedelta(hours=3)
    visit = booking.book(quiet, clinic["leaving"].id, "therapy_session", start)
    offboarding.offboard(clinic["admin"], clinic["leaving"].id,
                         {clinic["visit"].id: offboarding.CANCEL, visit.id: str(clinic["able"].id)})  # fmt: skip
    (text,) = _texts(quiet, "visit_reassigned")
    assert text.status == "suppressed" and text.status_reason == "no mobile number"


def test_a_wrong_choice_is_422_and_changes_nothing(clinic):
    leaving, visit = clinic["leaving"], clinic["visit"]
    for wrong in (str(clinic["elsewhere"].id), str(clinic["prescriber"].id), str(clinic["busy"].id), "", "x"):
        with pytest.raises(Invalid) as refused:
            offboarding.offboard(clinic["admin"], leaving.id, {visit.id: wrong})
        assert f"visit_{visit.id}" in refused.value.fields
    db.session.expire_all()
    assert db.session.get(User, leaving.id).is_enabled and _booked_with(leaving) == 1
    assert db.session.scalar(db.select(db.func.count()).select_from(VisitChange)) == 0


@pytest.mark.parametrize(("ends_before", "free"), [(10, True), (9, False)])
def test_a_colleague_is_free_under_the_overlap_rule_with_their_gap(clinic, make_patient, ends_before, free):
    """[s, e) conflicts with [S, E) iff s < E + gap: with a 10-minute gap, a visit of the colleague ending
    10 minutes before the start leaves them free, one ending 9 minutes before does not."""
    able, visit = clinic["able"], clinic["visit"]
    booking.update_availability(able, {"gap_minutes": 10}, actor=able)
    earlier = visit.start_at - timedelta(minutes=ends_before) - timedelta(minutes=20)
    db.session.add(Appointment(patient_id=make_patient().id, clinician_id=able.id, type="initial_consultation",
                               start_at=earlier, end_at=earlier + timedelta(minutes=20), gap_minutes=10,
                               blocked_until=earlier + timedelta(minutes=30), status="booked",
                               visit_token=f"tok{ends_before}x" * 3))  # fmt: skip
    db.session.commit()
    (planned,) = offboarding.plan(clinic["leaving"].id).visits
    assert (able.id in [c.id for c in planned.candidates]) is free


def test_started_visits_never_marked_stop_the_offboarding(clinic):
    visit = clinic["visit"]
    later = visit.start_at + timedelta(minutes=1)
    assert offboarding.plan(clinic["leaving"].id, now=visit.start_at - timedelta(minutes=1)).unmarked == []
    assert [a.id for a, _ in offboarding.plan(clinic["leaving"].id, now=later).unmarked] == [visit.id]
    with pytest.raises(offboarding.UnmarkedVisits):
        offboarding.offboard(clinic["admin"], clinic["leaving"].id, {}, now=later)
    assert db.session.get(User, clinic["leaving"].id).is_enabled


def test_a_disabled_clinician_cannot_sign_in_or_be_booked(clinic, client, make_patient, auth_headers):
    leaving = clinic["leaving"]
    headers = auth_headers(leaving)
    offboarding.offboard(clinic["admin"], leaving.id, {clinic["visit"].id: offboarding.CANCEL})
    with pytest.raises(auth_service.InvalidCredentials):
        auth_service.authenticate(leaving.email, PASSWORD)
    assert client.get("/api/v1/me", headers=headers).status_code == 401  # its tokens ended
    patient = make_patient()
    listed = client.get("/api/v1/clinicians", headers=auth_headers(patient)).get_json()
    assert leaving.id not in [c["id"] for c in listed]
    start = clinic["visit"].start_at.isoformat()
    body = {"clinician_id": leaving.id, "type": "therapy_session", "start": start}
    assert client.post("/api/v1/appointments", json=body, headers=auth_headers(patient)).status_code == 422
    day = clinic["visit"].start_at.date().isoformat()
    slots_url = f"/api/v1/clinicians/{leaving.id}/slots?type=therapy_session&from={day}&to={day}"
    assert client.get(slots_url, headers=auth_headers(patient)).status_code == 404
    assert _booked_with(leaving) == 0


def test_the_admin_pages_confirm_then_disable(clinic, client, browser_login):
    leaving, able, visit = clinic["leaving"], clinic["able"], clinic["visit"]
    browser_login(clinic["admin"])
    staff = client.get("/admin/users").get_data(as_text=True)
    assert f"/admin/clinicians/{leaving.id}/disable" in staff
    token = csrf_token_from(staff)
    # The old direct "disable" for a clinician leads to the confirmation page instead of disabling.
    direct = client.post(f"/admin/users/{leaving.id}/enabled", data={"enabled": "0", "csrf_token": token})
    assert direct.status_code == 302 and direct.headers["Location"].endswith(f"/admin/clinicians/{leaving.id}/disable")
    assert db.session.get(User, leaving.id).is_enabled
    page = client.get(f"/admin/clinicians/{leaving.id}/disable").get_data(as_text=True)
    assert "Future visits (1)" in page and clinic["patient"].name in page and "Move to Abe Able" in page
    assert "Nina Jersey" not in page and "Pat Prescriber" not in page and "Bea Busy" not in page
    wrong = client.post(f"/admin/clinicians/{leaving.id}/disable",
                        data={"csrf_token": token, f"visit_{visit.id}": str(clinic["busy"].id)})  # fmt: skip
    assert wrong.status_code == 422 and "Bea Busy is not free at that time" in wrong.get_data(as_text=True)
    done = client.post(f"/admin/clinicians/{leaving.id}/disable",
                       data={"csrf_token": token, f"visit_{visit.id}": str(able.id)})  # fmt: skip
    assert done.status_code == 302
    assert "Leah Leaving is disabled. Visits moved to a colleague: 1" in client.get("/admin/users").get_data(
        as_text=True
    )
    assert _booked_with(leaving) == 0 and db.session.get(Appointment, visit.id).clinician_id == able.id
    again = client.get(f"/admin/clinicians/{leaving.id}/disable")
    assert again.status_code == 200 and "already disabled" in again.get_data(as_text=True)


@pytest.mark.parametrize("role", ["patient", "clinician", "billing_admin"])
def test_only_admins_may_offboard(clinic, client, browser_login, make_patient, make_clinician, make_staff, role):
    makers = {"patient": make_patient, "clinician": make_clinician, "billing_admin": lambda: make_staff(role)}
    browser_login(makers[role]())
    path = f"/admin/clinicians/{clinic['leaving'].id}/disable"
    assert client.get(path).status_code == 403
    token = csrf_token_from(client.get("/account").get_data(as_text=True))
    posted = client.post(path, data={"csrf_token": token, f"visit_{clinic['visit'].id}": "cancel"})
    assert posted.status_code == 403
    assert db.session.get(User, clinic["leaving"].id).is_enabled and _booked_with(clinic["leaving"]) == 1

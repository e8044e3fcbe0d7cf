"""The demo (dummy) backend: a labelled test checkout that drives the same handlers, the membership
gate on booking, the pricing and membership pages, and the billing console."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.billing.membership import Membership
from app.billing.stripe_event import StripeEvent
from app.booking import service as booking
from app.extensions import db
from app.sms.outbox_message import OutboxMessage
from tests.integration.conftest import csrf_token_from, give_membership

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


def _start(day_offset: int = 3, hour: int = 14) -> datetime:
    ny = ZoneInfo("America/New_York")
    day = datetime.now(UTC).astimezone(ny).date() + timedelta(days=day_offset)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ny).astimezone(UTC)


@pytest.fixture
def therapist(make_clinician):
    clinician = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(clinician, EVERY_DAY, actor=clinician)
    return clinician


def _checkout(client, plan: str = "monthly", next_url: str | None = None):
    page = client.get("/pricing")
    assert page.status_code == 200
    data = {"plan": plan, "csrf_token": csrf_token_from(page.get_data(as_text=True))}
    if next_url:
        data["next"] = next_url
    return client.post("/billing/checkout", data=data)


def _complete(client, response):
    assert response.status_code == 302 and "/billing/demo/checkout/" in response.headers["Location"]
    page = client.get(response.headers["Location"])
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Test payment" in html and "not a real payment" in html
    done = client.post(response.headers["Location"], data={"csrf_token": csrf_token_from(html)})
    assert done.status_code == 302
    finish = client.get(done.headers["Location"])
    return finish


def test_pricing_page_states_plans_and_trial_terms(client):
    html = client.get("/pricing").get_data(as_text=True)
    for text in (
        "$12.99",
        "per month",
        "7 days free",
        "$69.99",
        "per year",
        "14 days free",
        "$5.83 a month",
        "Cancel any time before then",
        "first consultation is always free",
    ):
        assert text in html, text


def test_plans_api_is_the_contract(client):
    plans = client.get("/api/v1/billing/plans").get_json()
    assert [(p["code"], p["amount_cents"], p["currency"], p["interval"], p["trial_days"]) for p in plans] == [
        ("monthly", 1299, "usd", "month", 7),
        ("annual", 6999, "usd", "year", 14),
    ]


def test_demo_checkout_starts_a_trial_through_the_event_handlers(client, make_patient, browser_login, auth_headers):
    patient = make_patient(member=False)
    browser_login(patient)
    finish = _complete(client, _checkout(client, "annual"))
    assert finish.status_code == 302 and finish.headers["Location"].endswith("/membership")
    row = db.session.scalar(db.select(Membership).where(Membership.patient_id == patient.id))
    assert row.status == "trialing" and row.plan == "annual" and row.trial_used
    assert row.trial_end - datetime.now(UTC) > timedelta(days=13, hours=23)
    kinds = sorted(e.type for e in db.session.scalars(db.select(StripeEvent)))
    assert kinds == ["checkout.session.completed", "customer.subscription.created"]
    sub = client.get("/api/v1/billing/subscription", headers=auth_headers(patient)).get_json()
    assert sub["status"] == "trialing" and sub["plan"] == "annual" and sub["cancel_at_period_end"] is False
    html = client.get("/membership").get_data(as_text=True)
    assert "status-trialing" in html and "Free trial ends" in html


def test_second_checkout_while_member_is_refused(client, make_patient, browser_login, auth_headers):
    patient = make_patient(member=False)
    browser_login(patient)
    _complete(client, _checkout(client))
    again = client.post("/api/v1/billing/checkout", json={"plan": "annual"}, headers=auth_headers(patient))
    assert again.status_code == 409 and again.get_json()["error"] == "already_member"


def test_gate_sends_patient_to_pricing_and_back_to_the_booking(
    client, make_patient, browser_login, therapist, auth_headers
):
    patient = make_patient(member=False)
    start = _start()
    api = client.post(
        "/api/v1/appointments",
        json={"clinician_id": therapist.id, "type": "therapy_session", "start": start.isoformat()},
        headers=auth_headers(patient),
    )
    assert api.status_code == 402 and api.get_json()["error"] == "membership_required"
    free = client.post(
        "/api/v1/appointments",
        json={"clinician_id": therapist.id, "type": "initial_consultation", "start": _start(4).isoformat()},
        headers=auth_headers(patient),
    )
    assert free.status_code == 201
    browser_login(patient)
    confirm = f"/book/confirm?clinician={therapist.id}&type=therapy_session&start={start.isoformat()}"
    page = client.get(confirm.replace("+", "%2B")).get_data(as_text=True)
    assert "needs a membership" in page and "/pricing?next=" in page
    finish = _complete(client, _checkout(client, "monthly", next_url=confirm))
    assert finish.status_code == 302 and finish.headers["Location"].startswith("/book/confirm")
    booked = client.post(
        "/api/v1/appointments",
        json={"clinician_id": therapist.id, "type": "therapy_session", "start": start.isoformat()},
        headers=auth_headers(patient),
    )
    assert booked.status_code == 201


def test_open_redirects_are_refused(client, make_patient, browser_login):
    patient = make_patient(member=False)
    browser_login(patient)
    finish = _complete(client, _checkout(client, next_url="//evil.example/x"))
    assert finish.headers["Location"].endswith("/membership")


def test_console_lifecycle_and_failed_payment_text(client, make_patient, make_staff, browser_login):
    patient = make_patient(phone="+12125550142", sms_opt_in=True, member=False)
    browser_login(patient)
    _complete(client, _checkout(client))
    client.post("/logout", data={"csrf_token": csrf_token_from(client.get("/dashboard").get_data(as_text=True))})
    admin = make_staff("billing_admin")
    browser_login(admin)
    html = client.get("/billing/admin").get_data(as_text=True)
    assert patient.email in html and 'data-kpi="trialing">1<' in html
    row = db.session.scalar(db.select(Membership).where(Membership.patient_id == patient.id))
    token = csrf_token_from(html)
    for action, status in (
        ("end_trial", "active"),
        ("fail_payment", "past_due"),
        ("pay", "active"),
        ("cancel_now", "canceled"),
    ):
        done = client.post(f"/billing/admin/demo/{row.id}", data={"action": action, "csrf_token": token})
        assert done.status_code == 302
        db.session.refresh(row)
        assert row.status == status, action
    assert row.converted_at is not None and row.last_payment_failed_at is not None
    texts = [m for m in db.session.scalars(db.select(OutboxMessage)) if m.kind == "payment_failed"]
    assert len(texts) == 1 and "update your card" in texts[0].body and "therap" not in texts[0].body.lower()
    csv = client.get("/billing/admin/subscribers.csv")
    assert csv.status_code == 200 and patient.email in csv.get_data(as_text=True)
    assert "attachment" in csv.headers["Content-Disposition"]


@pytest.mark.parametrize("status", ["past_due", "unpaid"])
def test_checkout_while_a_payment_is_owed_is_refused_with_payment_due(client, make_patient, auth_headers, status):
    # A second subscription would bill the patient twice: the card update mends an owed payment.
    patient = make_patient(member=False)
    give_membership(patient, status=status)
    again = client.post("/api/v1/billing/checkout", json={"plan": "monthly"}, headers=auth_headers(patient))
    assert again.status_code == 409 and again.get_json()["error"] == "payment_due", again.get_json()
    row = db.session.scalar(db.select(Membership).where(Membership.patient_id == patient.id))
    assert row.status == status and row.subscription_id == f"sub_test_{patient.id}"

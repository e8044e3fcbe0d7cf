"""Membership without dead ends: the pricing page, the membership page and the booking gate offer what
the patient's real standing allows (a free trial once, ever; a plan billed today after that; "manage"
for a member; "Update card" when a payment is owed), and past due -> update card -> active works with
the demo portal and with Stripe's Customer Portal (real SDK, fake Stripe)."""

from __future__ import annotations

import html as html_lib
import json
import re
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.billing.demo import simulate
from app.billing.gate import Offer, standing
from app.billing.membership import Membership
from app.billing.stripe_event import StripeEvent
from app.booking import service as booking
from app.db import utcnow
from app.extensions import db
from tests.fakes.stripe_server import FakeStripe
from tests.integration.conftest import csrf_token_from, give_membership

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}
PRICE_MONTHLY, PRICE_ANNUAL = "price_monthly_test_1299", "price_annual_test_6999"
CHECKOUT_FORM = 'action="/billing/checkout"'
UPDATE_CARD = ">Update card</button>"


def _start(day_offset: int = 3, hour: int = 14) -> datetime:
    ny = ZoneInfo("America/New_York")
    day = datetime.now(UTC).astimezone(ny).date() + timedelta(days=day_offset)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ny).astimezone(UTC)


@pytest.fixture
def therapist(make_clinician):
    clinician = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(clinician, EVERY_DAY, actor=clinician)
    return clinician


def _in_state(make_patient, state: str):
    """A patient in one of the states the pages must tell apart."""
    patient = make_patient(member=False)
    if state == "had_trial":  # a trial used up, nothing running: no second trial
        db.session.add(Membership(patient_id=patient.id, customer_id=f"cus_test_{patient.id}", status="none",
                                  trial_used=True, updated_at=utcnow()))  # fmt: skip
        db.session.commit()
    elif state != "none":
        row = give_membership(patient, status=state)
        row.current_period_end = datetime(2031, 3, 14, 17, tzinfo=UTC)
        row.canceled_at = datetime(2030, 2, 3, 17, tzinfo=UTC) if state == "canceled" else None
        db.session.commit()
    return patient


def _confirm_url(therapist) -> str:
    start = _start().isoformat().replace("+", "%2B")
    return f"/book/confirm?clinician={therapist.id}&type=therapy_session&start={start}"


# state: (offer, must be on the pricing page, must not be on it)
PRICING = {
    "none": (Offer.TRIAL, ["Start 7-day free trial", "Start 14-day free trial", "7 days free", CHECKOUT_FORM],
             ["billed today", UPDATE_CARD, "You are a member"]),
    "had_trial": (Offer.JOIN, ["Start monthly membership — billed today", "Start annual membership — billed today",
                               "already had your free trial", CHECKOUT_FORM],
                  ["free trial</button>", "days free", UPDATE_CARD, "has ended"]),
    "trialing": (Offer.MANAGE, ["You are a member until March 14, 2031", "(free trial)", "Manage membership"],
                 [CHECKOUT_FORM, "Start monthly membership", "free trial</button>", UPDATE_CARD]),
    "active": (Offer.MANAGE, ["You are a member until March 14, 2031", "Manage membership"],
               [CHECKOUT_FORM, "Start monthly membership", "(free trial)", UPDATE_CARD]),
    "past_due": (Offer.UPDATE_CARD, ["Your last payment did not go through", UPDATE_CARD,
                                     'name="flow" value="update_card"', "we retry the charge",
                                     "booking new paid visits waits", "visits already booked stay"],
                 [CHECKOUT_FORM, "Start monthly membership", "free trial</button>"]),
    "canceled": (Offer.JOIN, ["Your membership has ended", "Start monthly membership — billed today", CHECKOUT_FORM],
                 ["free trial</button>", "days free", UPDATE_CARD, "You are a member"]),
}  # fmt: skip

MEMBERSHIP_PAGE = {
    "none": (["No membership yet", "start with a free trial", "See memberships"], [UPDATE_CARD, "billed from today"]),
    "had_trial": (["No membership yet", "already had your free trial", "billed from today", "See memberships"],
                  ["start with a free trial", UPDATE_CARD]),
    "trialing": (["Free trial", "Change plan, card or cancel"], [UPDATE_CARD, "billed from today"]),
    "active": (["Active", "Next charge", "Change plan, card or cancel"], [UPDATE_CARD, "billed from today"]),
    "past_due": (["Payment overdue", "Your last payment did not go through", UPDATE_CARD, "we retry the charge",
                  "booking new paid visits waits", "visits already booked stay"], ["billed from today", "Next charge"]),
    "canceled": (["Re-join", "Your membership has ended (February 3, 2030)", "billed from today"],
                 [UPDATE_CARD, "start with a free trial"]),
}  # fmt: skip

GATE = {
    "none": (["This visit needs a membership", "you can start with a free trial", "See memberships and come back"],
             [UPDATE_CARD, "Book this time"]),
    "had_trial": (["This visit needs a membership", "already had your free trial, so a membership is billed from today",
                   "See memberships and come back"], ["start with a free trial", UPDATE_CARD, "Book this time"]),
    "trialing": (["Book this time"], ["needs a membership", UPDATE_CARD]),
    "active": (["Book this time"], ["needs a membership", UPDATE_CARD]),
    "past_due": (["Your last payment did not go through", "booking it waits until your card is updated", UPDATE_CARD,
                  "visits already booked stay"], ["See memberships", "free trial", "Book this time"]),
    "canceled": (["Your membership has ended; you can re-join, billed from today", "See memberships and come back"],
                 ["start with a free trial", UPDATE_CARD, "Book this time"]),
}  # fmt: skip


def _check(html: str, present: list[str], absent: list[str], where: str) -> None:
    for text in present:
        assert text in html, f"{where}: missing {text!r}"
    for text in absent:
        assert text not in html, f"{where}: should not say {text!r}"


@pytest.mark.parametrize("state", list(PRICING))
def test_each_state_gets_its_own_offer_on_every_page(client, make_patient, browser_login, therapist, state):
    patient = _in_state(make_patient, state)
    offer, present, absent = PRICING[state]
    assert standing(patient.id).offer == offer
    browser_login(patient)
    pricing = client.get("/pricing")
    assert pricing.status_code == 200
    _check(pricing.get_data(as_text=True), present, absent, "pricing")
    membership = client.get("/membership")
    assert membership.status_code == 200
    _check(membership.get_data(as_text=True), *MEMBERSHIP_PAGE[state], "membership")
    gate = client.get(_confirm_url(therapist))
    assert gate.status_code == 200
    _check(gate.get_data(as_text=True), *GATE[state], "booking gate")
    dashboard = client.get("/dashboard").get_data(as_text=True)
    assert (UPDATE_CARD in dashboard) is (state == "past_due")


def test_a_refused_booking_says_why_in_plain_words(client, make_patient, browser_login, therapist):
    patient = _in_state(make_patient, "past_due")
    browser_login(patient)
    page = client.get(_confirm_url(therapist)).get_data(as_text=True)
    form = {"clinician": str(therapist.id), "type": "therapy_session", "start": _start().isoformat(),
            "care_consent": "yes", "csrf_token": csrf_token_from(page)}  # fmt: skip
    refused = client.post("/book/confirm", data=form)
    assert refused.status_code == 302 and refused.headers["Location"].startswith("/pricing?next=")
    pricing = client.get(refused.headers["Location"]).get_data(as_text=True)
    assert "booking this visit waits until your card is updated" in pricing and "a free trial counts" not in pricing
    assert UPDATE_CARD in pricing and CHECKOUT_FORM not in pricing


def test_the_api_still_answers_the_contract(client, make_patient, auth_headers, therapist):
    patient = _in_state(make_patient, "past_due")
    start = _start().isoformat()
    api = client.post("/api/v1/appointments", json={"clinician_id": therapist.id, "type": "therapy_session",
                                                    "start": start}, headers=auth_headers(patient))  # fmt: skip
    assert api.status_code == 402 and api.get_json()["error"] == "membership_required"
    assert client.post("/api/v1/billing/checkout", json={"plan": "monthly"},
                       headers=auth_headers(patient)).status_code == 409  # fmt: skip


# --- demo mode: the demo portal's card update settles the invoice through the webhook handlers ---------


def _demo_member(client, patient) -> None:
    """A real demo subscription (checkout through the demo pages), then a failed charge."""
    page = client.get("/pricing").get_data(as_text=True)
    go = client.post("/billing/checkout", data={"plan": "monthly", "csrf_token": csrf_token_from(page)})
    pay = client.get(go.headers["Location"]).get_data(as_text=True)
    client.post(go.headers["Location"], data={"csrf_token": csrf_token_from(pay)})
    simulate.act(patient.id, "end_trial", utcnow())
    simulate.act(patient.id, "fail_payment", utcnow())
    assert standing(patient.id).status == "past_due"


def test_demo_past_due_update_card_makes_the_membership_active(client, make_patient, browser_login):
    patient = make_patient(member=False)
    browser_login(patient)
    _demo_member(client, patient)
    page = client.get("/membership").get_data(as_text=True)
    assert UPDATE_CARD in page
    go = client.post("/billing/portal", data={"flow": "update_card", "csrf_token": csrf_token_from(page)})
    assert go.status_code == 302
    assert go.headers["Location"].startswith("/billing/demo/portal?flow=payment_method_update")
    portal = client.get(go.headers["Location"])
    html = portal.get_data(as_text=True)
    assert portal.status_code == 200 and "not a real payment page" in html and "<h1>Update your card" in html
    assert "$12.99" in html and "Save test card and pay" in html
    done = client.post(go.headers["Location"], data={"action": "update_card", "csrf_token": csrf_token_from(html)})
    assert done.status_code == 302 and done.headers["Location"] == "/membership"
    assert standing(patient.id).status == "active"
    kinds = [e.type for e in db.session.scalars(db.select(StripeEvent).order_by(StripeEvent.received_at))]
    assert kinds[-2:] == ["invoice.paid", "customer.subscription.updated"]
    after = client.get("/membership").get_data(as_text=True)
    assert "status-active" in after and UPDATE_CARD not in after and "membership is active again" in after


def test_demo_update_card_from_the_booking_gate_comes_back_to_the_booking(client, make_patient, browser_login,
                                                                          therapist):  # fmt: skip
    patient = make_patient(member=False)
    browser_login(patient)
    _demo_member(client, patient)
    confirm = _confirm_url(therapist)
    page = client.get(confirm).get_data(as_text=True)
    back = re.search(r'name="next" value="([^"]+)"', page)
    assert back is not None and html_lib.unescape(back.group(1)) == confirm  # the gate's form says where to return
    go = client.post("/billing/portal", data={"flow": "update_card", "next": html_lib.unescape(back.group(1)),
                                              "csrf_token": csrf_token_from(page)})  # fmt: skip
    html = client.get(go.headers["Location"]).get_data(as_text=True)
    done = client.post(go.headers["Location"], data={"action": "update_card", "csrf_token": csrf_token_from(html)})
    assert done.headers["Location"].startswith("/book/confirm?")
    assert "Book this time" in client.get(done.headers["Location"]).get_data(as_text=True)


def test_update_card_is_only_for_a_payment_owed(client, make_patient, browser_login):
    patient = _in_state(make_patient, "active")
    browser_login(patient)
    page = client.get("/membership").get_data(as_text=True)
    go = client.post("/billing/portal", data={"flow": "update_card", "csrf_token": csrf_token_from(page)})
    assert go.status_code == 302 and go.headers["Location"] == "/membership"
    assert "no card to update" in client.get("/membership").get_data(as_text=True)


# --- Stripe: the Customer Portal's payment-method flow (real SDK, fake Stripe on 127.0.0.1) ------------


@pytest.fixture
def fake():
    server = FakeStripe()
    yield server
    server.close()


@pytest.fixture
def stripe_mode(app, fake, monkeypatch):
    settings = {
        "BILLING_BACKEND": "stripe", "STRIPE_SECRET_KEY": "sk_test_fake_0123456789",
        "STRIPE_WEBHOOK_SECRET": fake.webhook_secret, "STRIPE_API_BASE": fake.base_url,
        "STRIPE_PRICE_MONTHLY": PRICE_MONTHLY, "STRIPE_PRICE_ANNUAL": PRICE_ANNUAL,
    }  # fmt: skip
    for key, value in settings.items():
        monkeypatch.setitem(app.config, key, value)
    monkeypatch.setitem(app.config, "SETTINGS", app.config["SETTINGS"].model_copy(update=settings))
    return fake


def _deliver(client, fake: FakeStripe, kind: str, obj: dict) -> None:
    payload = json.dumps(fake.event(kind, obj))
    done = client.post("/billing/stripe/webhook", data=payload, headers={"Stripe-Signature": fake.sign(payload)},
                       content_type="application/json")  # fmt: skip
    assert done.status_code == 200


def _invoice(sub: dict) -> dict:
    return {"id": "in_" + sub["id"][-8:] + str(time.time_ns())[-6:], "object": "invoice", "customer": sub["customer"],
            "parent": {"subscription_details": {"subscription": sub["id"]}}}  # fmt: skip


def test_stripe_past_due_update_card_opens_the_payment_method_flow(client, stripe_mode, make_patient, browser_login):
    patient = make_patient(member=False)
    browser_login(patient)
    page = client.get("/pricing").get_data(as_text=True)
    go = client.post("/billing/checkout", data={"plan": "monthly", "csrf_token": csrf_token_from(page)})
    assert go.headers["Location"].startswith("https://checkout.stripe.test/")
    session = stripe_mode.complete_checkout(list(stripe_mode.sessions)[-1])
    sub_id = session["subscription"]
    _deliver(client, stripe_mode, "customer.subscription.created", stripe_mode.update_subscription(sub_id))
    sub = stripe_mode.update_subscription(sub_id, status="past_due")
    _deliver(client, stripe_mode, "invoice.payment_failed", _invoice(sub))
    assert standing(patient.id).offer == Offer.UPDATE_CARD

    page = client.get("/membership").get_data(as_text=True)
    assert UPDATE_CARD in page
    go = client.post("/billing/portal", data={"flow": "update_card", "csrf_token": csrf_token_from(page)})
    (_, _, form, _) = [r for r in stripe_mode.requests if r[1] == "/v1/billing_portal/sessions"][-1]
    assert form["customer"] == sub["customer"]
    assert form["flow_data"]["type"] == "payment_method_update"
    assert form["return_url"].endswith("/membership")
    assert form["flow_data"]["after_completion"]["redirect"]["return_url"] == form["return_url"]
    assert (
        go.status_code == 302 and go.headers["Location"] == f"https://billing.stripe.test/p/session/{sub['customer']}"
    )

    # Stripe retries the open invoice with the new card and tells us so
    paid = stripe_mode.update_subscription(sub_id, status="active", current_period_end=int(time.time()) + 30 * 86400)
    _deliver(client, stripe_mode, "invoice.paid", _invoice(paid))
    assert standing(patient.id).status == "active"
    pricing = client.get("/pricing").get_data(as_text=True)
    assert "You are a member until" in pricing and UPDATE_CARD not in pricing and CHECKOUT_FORM not in pricing


def test_stripe_manage_billing_still_opens_the_whole_portal(client, stripe_mode, make_patient, browser_login):
    patient = _in_state(make_patient, "active")
    browser_login(patient)
    page = client.get("/membership").get_data(as_text=True)
    go = client.post("/billing/portal", data={"csrf_token": csrf_token_from(page)})
    (_, _, form, _) = [r for r in stripe_mode.requests if r[1] == "/v1/billing_portal/sessions"][-1]
    assert go.status_code == 302 and "flow_data" not in form and form["customer"] == f"cus_test_{patient.id}"


@pytest.mark.parametrize(
    ("status", "trial_used", "offer"),
    [
        ("unpaid", True, Offer.UPDATE_CARD),  # owed as past due is: the card, not a second membership
        ("paused", True, Offer.MANAGE),
        ("incomplete", False, Offer.JOIN),  # a subscription was made once: no trial after it
        ("incomplete_expired", False, Offer.JOIN),
    ],
)
def test_the_other_statuses_get_an_offer_too(make_patient, status, trial_used, offer):
    patient = make_patient(member=False)
    row = give_membership(patient, status=status)
    row.trial_used = trial_used
    db.session.commit()
    assert standing(patient.id).offer == offer

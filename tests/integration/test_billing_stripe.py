"""Billing against the real stripe SDK and a fake Stripe on 127.0.0.1: the Checkout request's shape,
signatures computed as Stripe computes them, the lifecycle, duplicates, disorder, the second-trial
rule and provider errors."""

from __future__ import annotations

import json
import random
import threading
import time

import pytest
from flask.testing import FlaskClient

from app.billing.membership import Membership
from app.billing.stripe_event import StripeEvent
from app.extensions import db
from app.sms.outbox_message import OutboxMessage
from tests.fakes.stripe_server import FakeStripe
from tests.integration.conftest import REAL_SESSION

PRICE_MONTHLY, PRICE_ANNUAL = "price_monthly_test_1299", "price_annual_test_6999"


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
    # billing's views pass the settings object on to its services
    monkeypatch.setitem(app.config, "SETTINGS", app.config["SETTINGS"].model_copy(update=settings))
    return fake


def _deliver(client, fake: FakeStripe, event: dict, *, secret: str | None = None, timestamp: int | None = None):
    payload = json.dumps(event)
    header = fake.sign(payload, timestamp) if secret is None else FakeStripe(webhook_secret=secret).sign(payload)
    return client.post("/billing/stripe/webhook", data=payload, headers={"Stripe-Signature": header},
                       content_type="application/json")  # fmt: skip


def _membership(patient) -> Membership | None:
    db.session.expire_all()
    return db.session.scalar(db.select(Membership).where(Membership.patient_id == patient.id))


def _checkout(client, headers, plan="monthly"):
    response = client.post("/api/v1/billing/checkout", json={"plan": plan}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["url"]


def test_checkout_request_carries_mode_price_trial_and_patient(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    url = _checkout(client, auth_headers(patient), "annual")
    (method, path, form, headers) = next(r for r in stripe_mode.requests if r[1] == "/v1/checkout/sessions")
    assert url.startswith("https://checkout.stripe.test/")
    assert form["mode"] == "subscription" and form["client_reference_id"] == str(patient.id)
    assert form["line_items"] == [{"price": PRICE_ANNUAL, "quantity": "1"}]
    assert form["subscription_data"]["trial_period_days"] == "14"
    assert form["subscription_data"]["metadata"] == {"patient_id": str(patient.id)}
    assert form["customer"].startswith("cus_") and "{CHECKOUT_SESSION_ID}" in form["success_url"]
    assert headers["idempotency-key"].startswith(f"checkout:{patient.id}:annual:14:")
    customer_call = next(r for r in stripe_mode.requests if r[1] == "/v1/customers")
    assert customer_call[3]["idempotency-key"] == f"customer:{patient.id}"
    assert "name" not in customer_call[2]  # the processor gets an e-mail address, nothing more about the person


def test_double_click_gives_one_checkout_session(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    first, second = _checkout(client, auth_headers(patient)), _checkout(client, auth_headers(patient))
    assert first == second and len(stripe_mode.sessions) == 1 and len(stripe_mode.customers) == 1


def _start_trial(client, fake, patient, headers, plan="monthly"):
    _checkout(client, headers, plan)
    session_id = list(fake.sessions)[-1]
    session = fake.complete_checkout(session_id)
    response = _deliver(client, fake, fake.event("checkout.session.completed", session))
    assert response.status_code == 200, response.get_data(as_text=True)
    return session["subscription"]


def test_lifecycle_trialing_active_past_due_canceled(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False, phone="+12125550142", sms_opt_in=True)
    headers = auth_headers(patient)
    sub_id = _start_trial(client, stripe_mode, patient, headers)
    assert client.get("/api/v1/billing/subscription", headers=headers).get_json()["status"] == "trialing"
    steps = [
        ("invoice.paid", {"status": "active", "current_period_end": int(time.time()) + 30 * 86400}, "active"),
        ("invoice.payment_failed", {"status": "past_due"}, "past_due"),
        ("customer.subscription.deleted", {"status": "canceled", "canceled_at": int(time.time())}, "canceled"),
    ]
    for kind, changes, expected in steps:
        sub = stripe_mode.update_subscription(sub_id, **changes)
        obj = sub if kind.startswith("customer.") else {
            "id": "in_" + kind[-6:], "object": "invoice", "customer": sub["customer"],
            "parent": {"subscription_details": {"subscription": sub_id}}}  # fmt: skip
        assert _deliver(client, stripe_mode, stripe_mode.event(kind, obj)).status_code == 200
        body = client.get("/api/v1/billing/subscription", headers=headers).get_json()
        assert body["status"] == expected, kind
    row = _membership(patient)
    assert row.converted_at is not None and row.last_payment_failed_at is not None and row.plan == "monthly"
    texts = list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "payment_failed")))
    assert len(texts) == 1 and texts[0].status == "queued"


def test_trial_will_end_texts_once_without_clinical_words(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False, phone="+12125550142", sms_opt_in=True)
    sub_id = _start_trial(client, stripe_mode, patient, auth_headers(patient))
    event = stripe_mode.event("customer.subscription.trial_will_end", stripe_mode.subscriptions[sub_id])
    for _ in range(2):
        assert _deliver(client, stripe_mode, event).status_code == 200
    again = stripe_mode.event("customer.subscription.trial_will_end", stripe_mode.subscriptions[sub_id])
    assert _deliver(client, stripe_mode, again).status_code == 200  # a new event id, the same notice
    (text,) = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "trial_ending"))
    assert "$12.99" in text.body and "free trial ends" in text.body
    assert not any(w in text.body.lower() for w in ("therap", "psychiatr", "medication"))


def test_bad_or_stale_signature_is_400_and_changes_nothing(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    _checkout(client, auth_headers(patient))
    session = stripe_mode.complete_checkout(list(stripe_mode.sessions)[-1])
    event = stripe_mode.event("checkout.session.completed", session)
    assert _deliver(client, stripe_mode, event, secret="whsec_someone_else_entirely_0000000000").status_code == 400
    assert _deliver(client, stripe_mode, event, timestamp=int(time.time()) - 301).status_code == 400
    unsigned = client.post("/billing/stripe/webhook", data=json.dumps(event), content_type="application/json")
    assert unsigned.status_code == 400
    tampered = json.dumps(event)
    header = stripe_mode.sign(tampered)
    response = client.post("/billing/stripe/webhook", data=tampered.replace("complete", "expired"),
                           headers={"Stripe-Signature": header}, content_type="application/json")  # fmt: skip
    assert response.status_code == 400
    assert _membership(patient).status == "none" and db.session.scalar(db.select(db.func.count(StripeEvent.id))) == 0
    assert _deliver(client, stripe_mode, event, timestamp=int(time.time()) - 250).status_code == 200


def test_a_second_trial_is_never_given(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    headers = auth_headers(patient)
    sub_id = _start_trial(client, stripe_mode, patient, headers)
    sub = stripe_mode.update_subscription(sub_id, status="canceled", canceled_at=int(time.time()))
    _deliver(client, stripe_mode, stripe_mode.event("customer.subscription.deleted", sub))
    assert _membership(patient).status == "canceled"
    _checkout(client, headers, "annual")
    forms = [r[2] for r in stripe_mode.requests if r[1] == "/v1/checkout/sessions"]
    assert forms[0]["subscription_data"]["trial_period_days"] == "7"
    assert "trial_period_days" not in forms[-1]["subscription_data"]
    assert client.get("/pricing", headers=headers).status_code == 200


def test_provider_error_is_a_clear_message_and_no_membership(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    stripe_mode.fail_next.extend([500, 500, 500])  # the SDK retries twice, then gives up
    response = client.post("/api/v1/billing/checkout", json={"plan": "monthly"}, headers=auth_headers(patient))
    assert response.status_code == 502 and response.get_json()["error"] == "payment_provider_error"
    assert "Nothing was charged" in response.get_json()["message"]
    row = _membership(patient)
    assert row is None or (row.status == "none" and row.subscription_id is None)
    assert _checkout(client, auth_headers(patient)).startswith("https://")


def test_provider_down_during_webhook_keeps_event_for_retry(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    _checkout(client, auth_headers(patient))
    session = stripe_mode.complete_checkout(list(stripe_mode.sessions)[-1])
    event = stripe_mode.event("checkout.session.completed", session)
    stripe_mode.fail_next.extend([503, 503, 503])
    assert _deliver(client, stripe_mode, event).status_code == 503
    row = db.session.get(StripeEvent, event["id"])
    assert row.outcome == "failed" and _membership(patient).status == "none"
    assert _deliver(client, stripe_mode, event).status_code == 200  # Stripe's retry
    db.session.refresh(row)
    assert row.outcome == "processed" and row.attempts == 2 and _membership(patient).status == "trialing"


def test_shuffled_events_end_in_stripes_final_state(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    sub_id = _start_trial(client, stripe_mode, patient, auth_headers(patient))
    history = []
    for changes in ({"status": "active"}, {"status": "past_due"}, {"status": "active"},
                    {"cancel_at_period_end": True}):  # fmt: skip
        history.append(stripe_mode.event("customer.subscription.updated",
                                         stripe_mode.update_subscription(sub_id, **changes)))  # fmt: skip
    for seed in range(5):
        order = history * 3
        random.Random(seed).shuffle(order)
        for event in order:
            assert _deliver(client, stripe_mode, event).status_code == 200
        row = _membership(patient)
        assert (row.status, row.cancel_at_period_end) == ("active", True), seed


def test_an_old_subscription_never_replaces_a_newer_one(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    headers = auth_headers(patient)
    old = _start_trial(client, stripe_mode, patient, headers)
    old_sub = stripe_mode.update_subscription(old, status="canceled", canceled_at=int(time.time()), created=1)
    _deliver(client, stripe_mode, stripe_mode.event("customer.subscription.deleted", old_sub))
    _checkout(client, headers, "annual")
    session = stripe_mode.complete_checkout(list(stripe_mode.sessions)[-1])
    _deliver(client, stripe_mode, stripe_mode.event("checkout.session.completed", session))
    late = stripe_mode.event("customer.subscription.updated", old_sub)
    assert _deliver(client, stripe_mode, late).status_code == 200
    row = _membership(patient)
    assert row.subscription_id == session["subscription"] and row.status == "active" and row.plan == "annual"


def test_success_page_syncs_without_waiting_for_the_webhook(client, stripe_mode, make_patient, browser_login):
    patient = make_patient(member=False)
    browser_login(patient)
    from tests.integration.conftest import csrf_token_from

    token = csrf_token_from(client.get("/pricing").get_data(as_text=True))
    go = client.post("/billing/checkout", data={"plan": "monthly", "csrf_token": token})
    assert go.status_code == 302 and go.headers["Location"].startswith("https://checkout.stripe.test/")
    session = stripe_mode.complete_checkout(list(stripe_mode.sessions)[-1])
    done = client.get(f"/billing/success?session_id={session['id']}")
    assert done.status_code == 302 and _membership(patient).status == "trialing"
    portal = client.post("/billing/portal", data={"csrf_token": token})
    assert portal.status_code == 302 and portal.headers["Location"].startswith("https://billing.stripe.test/")


@pytest.fixture
def committed(app, fake, monkeypatch):
    """Real commits from several threads (PostgreSQL): the test cleans up what it made."""
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        pytest.skip("concurrent deliveries are proven on PostgreSQL (SQLite serialises writers anyway)")
    swapped = db.session
    db.session = REAL_SESSION
    made: list[int] = []
    yield made
    from sqlalchemy import text

    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM stripe_events WHERE patient_id = ANY(:ids)"), {"ids": made})
        conn.execute(text("DELETE FROM memberships WHERE patient_id = ANY(:ids)"), {"ids": made})
        conn.execute(text("DELETE FROM users WHERE id = ANY(:ids)"), {"ids": made})
    db.session.remove()
    db.session = swapped


def _past_due_patient_and_failed_invoice(fake, committed, make_patient) -> tuple:
    """A committed patient whose subscription is past due, and the ``invoice.payment_failed`` event for it."""
    patient = make_patient(member=False, phone="+12125550142", sms_opt_in=True)
    committed.append(patient.id)
    customer = "cus_race_" + str(patient.id)
    db.session.add(Membership(patient_id=patient.id, customer_id=customer, status="none", updated_at=db.func.now()))
    db.session.commit()
    fake.sessions["cs_race"] = {"id": "cs_race", "customer": customer, "client_reference_id": str(patient.id),
                                "line_items": [{"price": PRICE_MONTHLY}],
                                "subscription_data": {"trial_period_days": "7",
                                                      "metadata": {"patient_id": str(patient.id)}}}  # fmt: skip
    session = fake.complete_checkout("cs_race")
    sub = fake.update_subscription(session["subscription"], status="past_due")
    invoice = {"id": "in_race", "object": "invoice", "customer": customer,
               "parent": {"subscription_details": {"subscription": sub["id"]}}}  # fmt: skip
    return patient, fake.event("invoice.payment_failed", invoice)


def _five_at_once(app, fake, event) -> list[tuple[int, str]]:
    """The same signed delivery from five threads released together: the answers' (status, outcome)."""
    payload = json.dumps(event)
    barrier, statuses = threading.Barrier(5), []

    def deliver() -> None:
        client = FlaskClient(app, app.response_class)  # a plain client: each thread its own request context
        barrier.wait()
        response = client.post("/billing/stripe/webhook", data=payload, content_type="application/json",
                               headers={"Stripe-Signature": fake.sign(payload)})  # fmt: skip
        statuses.append((response.status_code, response.get_json()["outcome"]))

    threads = [threading.Thread(target=deliver) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return sorted(statuses)


def _outcome_attempts_and_texts(app, event, patient) -> tuple[str, int, list[str]]:
    """The stored event's outcome and attempts, and the kinds of the texts its patient got (then removed)."""
    with app.app_context():
        (row,) = db.session.scalars(db.select(StripeEvent).where(StripeEvent.id == event["id"])).all()
        outcome, attempts = row.outcome, row.attempts
        texts = db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.patient_id == patient.id)).all()
        kinds = [t.kind for t in texts]
        from sqlalchemy import text

        db.session.execute(text("DELETE FROM outbox_messages WHERE patient_id = :p"), {"p": patient.id})
        db.session.commit()
        return outcome, attempts, kinds


def test_the_same_event_five_times_at_once_has_one_effect(app, stripe_mode, committed, make_patient):
    patient, event = _past_due_patient_and_failed_invoice(stripe_mode, committed, make_patient)
    assert _five_at_once(app, stripe_mode, event) == [(200, "duplicate")] * 4 + [(200, "processed")]
    assert _outcome_attempts_and_texts(app, event, patient) == ("processed", 1, ["payment_failed"])


def test_a_failed_event_retried_five_times_at_once_is_applied_once(app, stripe_mode, committed, make_patient):
    """Stripe could not be asked the first time (kept as ``failed``); then Stripe's retries arrive
    together: one of them applies it, the others wait for it and answer ``duplicate`` (on PostgreSQL the
    stored event's row is locked while a delivery applies it)."""
    patient, event = _past_due_patient_and_failed_invoice(stripe_mode, committed, make_patient)
    stripe_mode.fail_next.extend([500, 500, 500])  # the SDK's own retries included
    first = FlaskClient(app, app.response_class).post(
        "/billing/stripe/webhook", data=json.dumps(event), content_type="application/json",
        headers={"Stripe-Signature": stripe_mode.sign(json.dumps(event))})  # fmt: skip
    assert first.status_code == 503
    assert _five_at_once(app, stripe_mode, event) == [(200, "duplicate")] * 4 + [(200, "processed")]
    assert _outcome_attempts_and_texts(app, event, patient) == ("processed", 2, ["payment_failed"])


def test_billing_admin_reprocesses_a_failed_event_from_the_console(client, stripe_mode, make_patient, make_staff,
                                                                   auth_headers, browser_login):  # fmt: skip
    patient = make_patient(member=False)
    _checkout(client, auth_headers(patient))
    session = stripe_mode.complete_checkout(list(stripe_mode.sessions)[-1])
    event = stripe_mode.event("checkout.session.completed", session)
    stripe_mode.fail_next.extend([500, 500, 500])
    assert _deliver(client, stripe_mode, event).status_code == 503
    browser_login(make_staff("billing_admin"))
    from tests.integration.conftest import csrf_token_from

    page = client.get("/billing/admin?outcome=failed").get_data(as_text=True)
    assert event["id"] in page and "provider unavailable" in page
    done = client.post(f"/billing/admin/events/{event['id']}/reprocess", data={"csrf_token": csrf_token_from(page)})
    assert done.status_code == 302 and _membership(patient).status == "trialing"
    assert "processed" in client.get(done.headers["Location"]).get_data(as_text=True)
    assert client.post("/billing/admin/events/evt_nope/reprocess",
                       data={"csrf_token": csrf_token_from(page)}).status_code == 302  # fmt: skip


def test_scheduler_texts_three_days_before_a_trial_ends(app, make_patient):
    from datetime import UTC, datetime, timedelta

    from app.billing.notices import trials_ending_soon
    from tests.integration.conftest import give_membership

    now = datetime(2027, 1, 10, 17, 0, tzinfo=UTC)  # noon in New York
    soon = give_membership(make_patient(member=False, phone="+12125550142", sms_opt_in=True), "trialing")
    soon.trial_end = now + timedelta(days=2, hours=20)
    later = give_membership(make_patient(member=False, phone="+12125550143", sms_opt_in=True), "trialing")
    later.trial_end = now + timedelta(days=6)
    leaving = give_membership(make_patient(member=False, phone="+12125550144", sms_opt_in=True), "trialing")
    leaving.trial_end, leaving.cancel_at_period_end = now + timedelta(days=1), True
    db.session.commit()
    base = app.config["PUBLIC_BASE_URL"]
    assert trials_ending_soon(now, base) == 1 and trials_ending_soon(now + timedelta(hours=1), base) == 1
    texts = list(db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "trial_ending")))
    assert [t.patient_id for t in texts] == [soon.patient_id] and "Wed Jan 13" in texts[0].body


MEMBERSHIP_COLUMNS = [c.key for c in Membership.__table__.columns]


def _snapshot(patient) -> dict:
    row = _membership(patient)
    return {key: getattr(row, key) for key in MEMBERSHIP_COLUMNS}


def _outbox_rows() -> list[tuple]:
    db.session.expire_all()
    return [(m.kind, m.dedupe_key) for m in db.session.scalars(db.select(OutboxMessage).order_by(OutboxMessage.id))]


def test_an_event_delivered_again_after_it_was_processed_is_a_duplicate_and_changes_nothing(
    client, stripe_mode, make_patient, auth_headers
):
    patient = make_patient(member=False, phone="+12125550142", sms_opt_in=True)
    sub_id = _start_trial(client, stripe_mode, patient, auth_headers(patient))
    sub = stripe_mode.update_subscription(sub_id, status="past_due")
    invoice = {"id": "in_again", "object": "invoice", "customer": sub["customer"],
               "parent": {"subscription_details": {"subscription": sub_id}}}  # fmt: skip
    event = stripe_mode.event("invoice.payment_failed", invoice)
    first = _deliver(client, stripe_mode, event)
    assert first.status_code == 200 and first.get_json()["outcome"] == "processed"
    before, texts = _snapshot(patient), _outbox_rows()
    assert before["status"] == "past_due" and before["last_payment_failed_at"] is not None
    assert [kind for kind, _ in texts].count("payment_failed") == 1
    time.sleep(1.1)  # a second apart: a re-applied effect would stamp a different time
    again = _deliver(client, stripe_mode, event)  # Stripe redelivers (our 200 was lost on the way)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    db.session.expire_all()
    row = db.session.get(StripeEvent, event["id"])
    assert row.attempts == 1 and row.outcome == "processed"
    assert _snapshot(patient) == before and _outbox_rows() == texts


def test_an_older_event_after_a_newer_one_changes_nothing(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False, phone="+12125550142", sms_opt_in=True)
    sub_id = _start_trial(client, stripe_mode, patient, auth_headers(patient))
    created = int(time.time())
    past_due = stripe_mode.update_subscription(sub_id, status="past_due")
    failed = stripe_mode.event("invoice.payment_failed", {
        "id": "in_late", "object": "invoice", "customer": past_due["customer"],
        "parent": {"subscription_details": {"subscription": sub_id}}}, created=created)  # fmt: skip
    older = stripe_mode.event("customer.subscription.updated", past_due, created=created)
    active = stripe_mode.update_subscription(sub_id, status="active", current_period_end=created + 30 * 86400)
    newer = stripe_mode.event("customer.subscription.updated", active, created=created + 5)
    assert _deliver(client, stripe_mode, newer).get_json()["outcome"] == "processed"
    before, texts = _snapshot(patient), _outbox_rows()
    assert before["status"] == "active" and before["last_payment_failed_at"] is None
    time.sleep(1.1)
    for late in (older, failed):  # the card failed, then was paid: the failure arrives last
        response = _deliver(client, stripe_mode, late)
        assert response.status_code == 200, late["type"]
    assert _snapshot(patient) == before  # still active, no failure recorded
    assert _outbox_rows() == texts  # and no "we could not take your payment" text


# --- how an event names its subscription and patient (tests for mutants make mutate left alive) ------


def _outcome(client, fake, event) -> tuple[str, str | None]:
    response = _deliver(client, fake, event)
    assert response.status_code == 200, response.get_data(as_text=True)
    db.session.expire_all()
    return response.get_json()["outcome"], db.session.get(StripeEvent, event["id"]).detail


def _bare_session(fake, patient, hint: str, customer: str) -> dict:
    """A completed checkout whose subscription carries no patient metadata and whose customer is
    not on file: only the session's client_reference_id can name the patient."""
    fake.sessions[f"cs_{customer}"] = {"id": f"cs_{customer}", "customer": customer, "client_reference_id": hint,
                                       "line_items": [{"price": PRICE_MONTHLY}], "subscription_data": {}}  # fmt: skip
    return fake.complete_checkout(f"cs_{customer}")


def test_checkout_finds_its_patient_by_the_client_reference_id(client, stripe_mode, make_patient):
    patient = make_patient(member=False)
    session = _bare_session(stripe_mode, patient, str(patient.id), f"cus_hint_{patient.id}")
    expanded = {**session, "subscription": {"id": session["subscription"], "object": "subscription"}}
    outcome, _ = _outcome(client, stripe_mode, stripe_mode.event("checkout.session.completed", expanded))
    assert outcome == "processed" and _membership(patient).subscription_id == session["subscription"]


def test_a_client_reference_id_that_is_not_a_patient_id_names_no_one(client, stripe_mode, make_patient):
    patient = make_patient(member=False)
    session = _bare_session(stripe_mode, patient, f"x{patient.id}", f"cus_nohint_{patient.id}")
    outcome, detail = _outcome(client, stripe_mode, stripe_mode.event("checkout.session.completed", session))
    assert (outcome, detail) == ("ignored", f"no patient for subscription {session['subscription']}")
    assert _membership(patient) is None


def test_an_invoice_from_an_older_api_version_names_its_subscription_at_the_top(
    client, stripe_mode, make_patient, auth_headers
):
    patient = make_patient(member=False)
    sub_id = _start_trial(client, stripe_mode, patient, auth_headers(patient))
    sub = stripe_mode.update_subscription(sub_id, status="active")
    for invoice in (
        {"id": "in_old", "object": "invoice", "customer": sub["customer"], "subscription": sub_id},
        {"id": "in_old2", "object": "invoice", "customer": sub["customer"], "parent": None,
         "subscription": {"id": sub_id, "object": "subscription"}},
    ):  # fmt: skip
        outcome, detail = _outcome(client, stripe_mode, stripe_mode.event("invoice.paid", invoice))
        assert (outcome, detail) == ("processed", f"{sub_id} is active")
    assert _membership(patient).status == "active"


def test_events_without_a_usable_subscription_are_ignored_with_the_reason(client, stripe_mode):
    cases = [
        (stripe_mode.event("charge.refunded", {"id": "ch_1", "object": "charge"}), "event type not used"),
        (stripe_mode.event("invoice.paid", {"id": "in_n", "object": "invoice", "subscription": 12345}),
         "no subscription in the event"),
        (stripe_mode.event("invoice.paid", {"id": "in_e", "object": "invoice", "subscription": {"id": ""}}),
         "no subscription in the event"),
        (stripe_mode.event("checkout.session.completed", {"id": "cs_n", "object": "checkout.session"}),
         "no subscription in the event"),
    ]  # fmt: skip
    for event, reason in cases:
        assert _outcome(client, stripe_mode, event) == ("ignored", reason)
    assert not any(path.startswith("/v1/subscriptions") for _, path, _, _ in stripe_mode.requests)


def test_a_billing_admin_can_apply_a_processed_event_again_and_not_a_missing_one(
    client, stripe_mode, make_patient, auth_headers
):
    from app.billing import events
    from app.db import utcnow
    from app.errors import NotFound

    patient = make_patient(member=False)
    _start_trial(client, stripe_mode, patient, auth_headers(patient))
    row = db.session.scalar(db.select(StripeEvent).where(StripeEvent.type == "checkout.session.completed"))
    assert row.outcome == "processed" and row.attempts == 1
    settings = client.application.config["SETTINGS"]
    assert events.reprocess(row.id, utcnow(), settings) == "processed"  # not "duplicate": the admin asked for it
    db.session.refresh(row)
    assert row.attempts == 2
    with pytest.raises(NotFound) as missing:
        events.reprocess("evt_missing", utcnow(), settings)
    assert str(missing.value) == "No such event."


def _payment_failed_texts() -> list[str]:
    db.session.expire_all()
    return [m.dedupe_key for m in db.session.scalars(
        db.select(OutboxMessage).where(OutboxMessage.kind == "payment_failed").order_by(OutboxMessage.id))]  # fmt: skip


def test_a_payment_failure_texts_once_per_invoice_and_says_so_in_the_detail(
    client, stripe_mode, make_patient, auth_headers
):
    """Stripe retries a failed charge with new events for the same invoice: one text per invoice, keyed
    by the invoice's id (an invoice without an id falls back to the event's id)."""
    patient = make_patient(member=False, phone="+12125550142", sms_opt_in=True)
    sub_id = _start_trial(client, stripe_mode, patient, auth_headers(patient))
    sub = stripe_mode.update_subscription(sub_id, status="past_due")

    def failed(invoice_id: str | None) -> dict:
        invoice = {"object": "invoice", "customer": sub["customer"],
                   "parent": {"subscription_details": {"subscription": sub_id}}}  # fmt: skip
        if invoice_id is not None:
            invoice["id"] = invoice_id
        return stripe_mode.event("invoice.payment_failed", invoice)

    for event in (failed("in_retry"), failed("in_retry")):  # two attempts at one invoice
        assert _outcome(client, stripe_mode, event) == ("processed", f"{sub_id} is past_due; payment failed")
    assert _payment_failed_texts() == ["payment_failed:in_retry"]
    no_id = failed(None)
    assert _outcome(client, stripe_mode, no_id)[0] == "processed"
    assert _payment_failed_texts() == ["payment_failed:in_retry", f"payment_failed:{no_id['id']}"]


def test_only_the_trial_will_end_event_texts_about_the_trial_ending(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False, phone="+12125550142", sms_opt_in=True)
    sub_id = _start_trial(client, stripe_mode, patient, auth_headers(patient))
    trialing = stripe_mode.subscriptions[sub_id]
    assert trialing["status"] == "trialing"
    for kind in ("customer.subscription.updated", "customer.subscription.created", "invoice.paid"):
        obj = (
            trialing
            if kind.startswith("customer.")
            else {"id": f"in_{kind}", "object": "invoice", "customer": trialing["customer"], "subscription": sub_id}
        )
        assert _outcome(client, stripe_mode, stripe_mode.event(kind, obj)) == ("processed", f"{sub_id} is trialing")
    db.session.expire_all()
    assert not db.session.scalars(db.select(OutboxMessage).where(OutboxMessage.kind == "trial_ending")).all()


def test_an_event_records_its_type_created_time_and_payload(client, stripe_mode, make_patient, auth_headers):
    patient = make_patient(member=False)
    sub_id = _start_trial(client, stripe_mode, patient, auth_headers(patient))
    event = stripe_mode.event("customer.subscription.updated", stripe_mode.subscriptions[sub_id], created=1_700_000_123)
    assert _outcome(client, stripe_mode, event)[0] == "processed"
    row = db.session.get(StripeEvent, event["id"])
    assert (row.type, row.created, json.loads(row.payload)) == (event["type"], 1_700_000_123, event)
    assert row.patient_id == patient.id and row.received_at is not None and row.processed_at is not None


# --- the envelope: what a signed body must be before anything is recorded (docs/deploy.md) ----------------

LAST_SECOND_OF_2999 = 32_503_679_999  # Unix seconds; the column is 64-bit, app.validation's years end at 2999


def test_a_signed_body_that_is_not_a_stripe_event_is_400_naming_each_bad_field_and_nothing_is_kept(client, stripe_mode):
    """Stripe's delivery log shows our answer: it names every field that is wrong and why, and no row is
    written for a body we cannot record."""
    bad_id = {"id": "must be a Stripe id: 1 to 255 printable ASCII characters"}
    bad_type = {"type": "must be an event type name"}
    bad_created = {"created": f"must be a Unix time in seconds, a JSON integer from 0 to {LAST_SECOND_OF_2999}"}
    cases = [
        ({"id": 12}, bad_id),
        ({"id": "evt with spaces"}, bad_id),
        ({"type": ["invoice.paid"]}, bad_type),
        ({"type": "invoice paid"}, bad_type),
        ({"created": -1}, bad_created),
        ({"created": LAST_SECOND_OF_2999 + 1}, bad_created),
        ({"created": True}, bad_created),  # a JSON boolean is no time, though Python counts it as 1
        ({"created": "1700000000"}, bad_created),
        ({"id": "", "type": "", "created": 1.5}, {**bad_id, **bad_type, **bad_created}),
    ]
    for changes, fields in cases:
        event = {**stripe_mode.event("charge.refunded", {"id": "ch_1", "object": "charge"}), **changes}
        response = _deliver(client, stripe_mode, event)
        answer = {"error": "invalid", "message": "This is not a Stripe event we can record.", "fields": fields}
        assert (response.status_code, response.get_json()) == (400, answer), changes
    db.session.expire_all()
    assert db.session.scalars(db.select(StripeEvent)).all() == []


def test_an_events_created_time_is_kept_from_0_to_the_last_second_of_2999_and_as_0_when_stripe_sends_none(
    client, stripe_mode
):
    for created, kept in ((0, 0), (LAST_SECOND_OF_2999, LAST_SECOND_OF_2999), (None, 0), ("absent", 0)):
        event = stripe_mode.event("charge.refunded", {"id": "ch_1", "object": "charge"})
        if created == "absent":
            del event["created"]
        else:
            event["created"] = created
        assert _outcome(client, stripe_mode, event) == ("ignored", "event type not used"), created
        assert db.session.get(StripeEvent, event["id"]).created == kept, created

"""``make drill``: load and fault drills on PostgreSQL with several real processes.

A database of its own (``drill_<pid>_<random>``, dropped afterwards), two gunicorn instances (two
workers each) and two ``flask --app wsgi scheduler run`` processes, all with ``SMS_BACKEND=twilio``
pointed at the fake Twilio and ``BILLING_BACKEND=stripe`` at the fake Stripe, both served from this
process (tests/fakes). The drills:

a. 1,000 concurrent booking attempts over 50 slots, spread over both instances: 50 bookings, every
   loser told 409 ``slot_unavailable``, no two booked visits of the clinician overlapping.
b. 2,000 due reminders with both schedulers: each reaches the fake exactly once, every row ``sent``
   (and each scheduler's log says how many it sent). Then 1,000 more, and one scheduler is SIGKILLed
   in the middle of dispatching: none lost, none twice.
c. the fake answers 30 % of sends with a 500: 1,000 more reminders all sent, each once.
d. Stripe webhooks for 40 subscriptions, each event delivered 3 times in shuffled order from 8
   threads over both instances: every membership ends in Stripe's final state, each event applied once.

One line per drill with its figures; the exit status is non-zero on any violation. Settings that
make it fit in a few minutes: the dispatch job every second (``SMS_DISPATCH_SECONDS``), a 15 s
lease (``SMS_LEASE_SECONDS``) and a 1 s first retry (``SMS_RETRY_BASE_SECONDS``).
"""

from __future__ import annotations

import ast
import collections
import http.client
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import psycopg

from app import create_app
from app.extensions import db
from app.sms import messages
from bench.processes import BIN, Proc, start_gunicorn
from bench.slots import HASH, _copy
from tests.fakes.stripe_server import FakeStripe
from tests.fakes.twilio_server import FakeTwilio

ADMIN_URL = os.environ.get("DRILL_ADMIN_URL", "postgresql://postgres@127.0.0.1/postgres")
DEADLINE_S = int(os.environ.get("DRILL_DEADLINE_SECONDS", "240"))
SECRET = "drill-secret-key-" + "d" * 40
AUDIT_KEY = "drill-audit-key-" + "a" * 40
TWILIO_SID, TWILIO_TOKEN, FROM = "AC" + "d" * 32, "drill-twilio-auth-token-0123456789abcdef", "+15005550006"
STRIPE_KEY, PRICE_MONTHLY, PRICE_ANNUAL = "sk_test_drill_0123456789", "price_monthly_drill", "price_annual_drill"
CLINICIAN = 1
BOOKERS = range(1001, 2001)  # 1,000 patients racing for 50 slots (no phone: their texts are suppressed)
REMINDED = range(3001, 5001)  # 2,000 patients with a due reminder each (drill b)
KILLED = range(5001, 6001)  # 1,000 more, while one scheduler is killed (drill b)
FLAKY = range(6001, 7001)  # 1,000 more (drill c)
MEMBERS = range(7001, 7041)  # 40 patients who subscribe (drill d)
LEASE_S = 15
START = time.monotonic()


def token(user_id: int) -> str:
    return f"drill-token-{user_id}-{SECRET[-8:]}"


def _left() -> float:
    return DEADLINE_S - (time.monotonic() - START)


class Failure(Exception):
    pass


# --- the database -------------------------------------------------------------------------------


def create_database() -> tuple[str, str]:
    name = f"drill_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_database(name: str) -> None:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(url: str, now: datetime) -> None:
    import hashlib

    stamp = now.isoformat()
    users = [(CLINICIAN, "clinician@drill.example.com", HASH, "Dana Drill", "clinician", "America/New_York", True,
              False, stamp)]  # fmt: skip
    profiles = []
    for group, phone in ((BOOKERS, False), (REMINDED, True), (KILLED, True), (FLAKY, True), (MEMBERS, False)):
        for uid in group:
            users.append((uid, f"p{uid}@drill.example.com", HASH, f"Patient {uid}", "patient", "America/New_York",
                          True, False, stamp))  # fmt: skip
            profiles.append((uid, "NY", f"+1212{uid:07d}" if phone else None, phone, stamp if phone else None,
                             "drill" if phone else None, "texts about my visits" if phone else None))  # fmt: skip
    weekly = json.dumps([{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(7)])
    with psycopg.connect(url) as conn:
        _copy(conn, "users", ["id", "email", "password_hash", "name", "role", "timezone", "is_enabled", "mfa_enabled",
                              "created_at"], users)  # fmt: skip
        _copy(conn, "patient_profiles", ["user_id", "state", "phone", "sms_opt_in", "sms_consent_at",
                                         "sms_consent_source", "sms_consent_text"], profiles)  # fmt: skip
        _copy(conn, "clinician_profiles", ["user_id", "credential", "clinical_role", "bio"],
              [(CLINICIAN, "LCSW", "therapist", "")])  # fmt: skip
        _copy(conn, "clinician_licenses", ["clinician_id", "state"], [(CLINICIAN, "NY")])
        _copy(conn, "clinician_availability", ["clinician_id", "timezone", "weekly", "overrides", "gap_minutes",
                                               "slot_step_minutes", "min_notice_minutes", "horizon_days",
                                               "max_per_day", "updated_at"],
              [(CLINICIAN, "America/New_York", weekly, "[]", 10, 30, 60, 60, None, stamp)])  # fmt: skip
        everyone = [CLINICIAN, *BOOKERS, *REMINDED, *KILLED, *FLAKY, *MEMBERS]
        _copy(conn, "api_tokens", ["user_id", "token_hash", "created_at", "expires_at"],
              [(u, hashlib.sha256(token(u).encode()).hexdigest(), stamp, (now + timedelta(hours=3)).isoformat())
               for u in everyone])  # fmt: skip
        conn.execute("SELECT setval(pg_get_serial_sequence('users', 'id'), 10000)")
        conn.commit()


def due_reminders(url: str, patients: range, now: datetime, first_hour: int) -> int:
    """One booked visit per patient (an hour apart, weeks ahead) and its 24-hour reminder, due now:
    what booking would have written, as rows."""
    appointments, texts = [], []
    with psycopg.connect(url) as conn:
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM appointments").fetchone()[0]
        for k, patient in enumerate(patients):
            aid, start = next_id + k, now + timedelta(days=20, hours=first_hour + k)  # after the raced slots
            appointments.append((aid, patient, CLINICIAN, "initial_consultation", start.isoformat(),
                                 (start + timedelta(minutes=20)).isoformat(),
                                 (start + timedelta(minutes=30)).isoformat(), 10, "booked", f"drill{aid}",
                                 now.isoformat(), now.isoformat()))  # fmt: skip
            body = messages.reminder(start, "America/New_York", f"http://127.0.0.1/appointments/{aid}")
            texts.append((patient, aid, f"+1212{patient:07d}", body, "reminder_24h",
                          f"appointment:{aid}:{int(start.timestamp())}:reminder_24h",
                          (now - timedelta(minutes=1)).isoformat(), "queued", 0, now.isoformat(),
                          now.isoformat()))  # fmt: skip
        _copy(conn, "appointments", ["id", "patient_id", "clinician_id", "type", "start_at", "end_at", "blocked_until",
                                     "gap_minutes", "status", "video_room", "created_at", "updated_at"],
              appointments)  # fmt: skip
        _copy(conn, "outbox_messages", ["patient_id", "appointment_id", "to_number", "body", "kind", "dedupe_key",
                                        "due_at", "status", "attempts", "created_at", "updated_at"], texts)  # fmt: skip
        conn.execute("SELECT setval(pg_get_serial_sequence('appointments', 'id'), (SELECT max(id) FROM appointments))")
        conn.commit()
    return len(texts)


def query(url: str, sql: str, *args) -> list[tuple]:
    with psycopg.connect(url) as conn:
        return conn.execute(sql, args).fetchall()


# --- processes ------------------------------------------------------------------------------------


def gunicorn(name: str, env: dict[str, str], logs: Path) -> tuple[Proc, int]:
    try:
        return start_gunicorn(name, "wsgi:app", env, logs / f"{name}.log", probe="/healthz")
    except RuntimeError as exc:
        raise Failure(str(exc)) from None


def scheduler(name: str, env: dict[str, str], logs: Path) -> Proc:
    return Proc(name, [str(BIN / "flask"), "--app", "wsgi", "scheduler", "run"], env, logs / f"{name}.log")


def call(port: int, method: str, path: str, *, user: int, body: dict | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {"Authorization": f"Bearer {token(user)}", "Content-Type": "application/json"}
        conn.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
        response = conn.getresponse()
        raw = response.read()
        return response.status, (json.loads(raw) if raw else {})
    finally:
        conn.close()


# --- the drills -----------------------------------------------------------------------------------


def drill_booking(app, ports: list[int], url: str) -> str:
    from app.accounts.user import User
    from app.booking import openings

    today = datetime.now(UTC).date()
    with app.app_context():
        clinician = db.session.get(User, CLINICIAN)
        offered = openings.open_slots(clinician, "initial_consultation", today + timedelta(days=1),
                                     today + timedelta(days=14), "America/New_York")  # fmt: skip
        db.session.remove()
    starts = [s.isoformat() for s, _ in offered[:50]]
    if len(starts) < 50:
        raise Failure(f"only {len(starts)} open slots to race for")
    attempts = [(patient, starts[i % 50], ports[i % len(ports)]) for i, patient in enumerate(BOOKERS)]
    random.Random(1).shuffle(attempts)
    slots_path = (f"/api/v1/clinicians/{CLINICIAN}/slots?type=initial_consultation&from={today + timedelta(days=1)}"
                  f"&to={today + timedelta(days=14)}&tz=America/New_York")  # fmt: skip

    def offered_everywhere() -> set[str]:
        """Starts offered by any worker of any instance (asked often enough to reach every worker)."""
        seen: set[str] = set()
        for port in ports * 8:
            status, body = call(port, "GET", slots_path, user=BOOKERS[0])
            if status != 200:
                raise Failure(f"slots answered {status}: {body}")
            seen |= {datetime.fromisoformat(s["start"]).isoformat() for s in body["slots"]}
        return seen

    if not set(starts) <= offered_everywhere():  # also fills every worker's slot cache before the race
        raise Failure("the instances do not offer the slots the drill races for")
    gate = threading.Event()

    def attempt(item: tuple[int, str, int]) -> tuple[int, str | None]:
        patient, start, port = item
        gate.wait()
        status, body = call(port, "POST", "/api/v1/appointments", user=patient,
                            body={"clinician_id": CLINICIAN, "type": "initial_consultation", "start": start})  # fmt: skip
        return status, body.get("error")

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=200) as pool:
        futures = [pool.submit(attempt, a) for a in attempts]
        gate.set()
        outcomes = [f.result() for f in futures]
    elapsed = time.perf_counter() - t0
    statuses = collections.Counter(s for s, _ in outcomes)
    losers = collections.Counter(e for s, e in outcomes if s != 201)
    booked = query(url, "SELECT start_at, count(*) FROM appointments WHERE clinician_id = %s AND status = 'booked' "
                        "GROUP BY start_at", CLINICIAN)  # fmt: skip
    overlaps = query(url, """SELECT count(*) FROM appointments a JOIN appointments b
                              ON a.clinician_id = b.clinician_id AND a.id < b.id
                             AND tstzrange(a.start_at, a.blocked_until) && tstzrange(b.start_at, b.blocked_until)
                           WHERE a.status = 'booked' AND b.status = 'booked' AND a.clinician_id = %s""",
                     CLINICIAN)[0][0]  # fmt: skip
    # Every worker's cached slots must now leave out all 50, whichever instance booked them.
    stale = len(set(starts) & offered_everywhere())
    line = (f"booking: {len(attempts)} attempts over 50 slots on 2 instances in {elapsed:.1f} s: "
            f"{statuses.get(201, 0)} x 201, {statuses.get(409, 0)} x 409 ({dict(losers)}), "
            f"other {sum(v for k, v in statuses.items() if k not in (201, 409))}; "
            f"{len(booked)} slots booked, double bookings {sum(n - 1 for _, n in booked)}, overlaps {overlaps}; "
            f"booked slots still offered by a warm cache: {stale}")  # fmt: skip
    ok = (statuses == {201: 50, 409: 950} and set(losers) == {"slot_unavailable"} and len(booked) == 50
          and all(n == 1 for _, n in booked) and overlaps == 0 and stale == 0)  # fmt: skip
    return ("ok   " if ok else "FAIL ") + line


def _sent_once(fake: FakeTwilio, patients: range) -> tuple[int, int, int]:
    numbers = {f"+1212{p:07d}" for p in patients}
    with fake.lock:
        counts = collections.Counter((r["To"], r["Body"]) for r in fake.requests if r.get("To") in numbers)
    return len(counts), sum(1 for n in counts.values() if n > 1), sum(counts.values())


def _wait_all_sent(url: str, fake: FakeTwilio, patients: range, expected: int, limit_s: float) -> dict[str, int]:
    deadline = time.monotonic() + min(limit_s, _left())
    rows: dict[str, int] = {}
    while time.monotonic() < deadline:
        rows = dict(query(url, "SELECT status, count(*) FROM outbox_messages WHERE patient_id BETWEEN %s AND %s "
                               "GROUP BY status", patients[0], patients[-1]))  # fmt: skip
        if rows.get("sent", 0) == expected:
            return rows
        time.sleep(0.5)
    return rows


def _sent_by(proc: Proc) -> int:
    """Texts this scheduler reports sending (its log: "job notifications.dispatch done: {...}")."""
    proc.log.flush()
    total = 0
    for line in Path(proc.log.name).read_text().splitlines():
        if "job notifications.dispatch done: " in line:
            total += ast.literal_eval(line.split(" done: ", 1)[1]).get("sent", 0)
    return total


def drill_two(url: str, fake: FakeTwilio, env: dict[str, str], logs: Path, now: datetime) -> tuple[str, list[Proc]]:
    n = due_reminders(url, REMINDED, now, first_hour=0)
    pair = [scheduler("scheduler-1", env, logs), scheduler("scheduler-2", env, logs)]
    t0 = time.perf_counter()
    rows = _wait_all_sent(url, fake, REMINDED, n, 90)
    elapsed = time.perf_counter() - t0
    unique, doubled, total = _sent_once(fake, REMINDED)
    time.sleep(1.5)  # the last runs' log lines
    by = [_sent_by(p) for p in pair]
    line = (f"reminders: {n} due, 2 scheduler processes: {unique} numbers reached, {doubled} twice, {n - unique} lost "
            f"({total} sends: {by[0]} by scheduler-1, {by[1]} by scheduler-2) in {elapsed:.1f} s; rows {rows}")  # fmt: skip
    ok = unique == n and doubled == 0 and total == n and rows == {"sent": n} and sum(by) == n
    return ("ok   " if ok else "FAIL ") + line, pair


def drill_kill(url: str, fake: FakeTwilio, pair: list[Proc], now: datetime) -> str:
    first, _ = pair
    n = due_reminders(url, KILLED, now, first_hour=len(REMINDED) + 10)
    t0 = time.perf_counter()
    deadline = time.monotonic() + min(60, _left())
    while _sent_once(fake, KILLED)[2] < n * 0.3:
        if time.monotonic() > deadline:
            raise Failure(f"kill drill: only {_sent_once(fake, KILLED)[2]} sent within 60 s")
        time.sleep(0.02)
    first.kill()  # SIGKILL, mid-dispatch: it is draining the backlog batch after batch
    at_kill = _sent_once(fake, KILLED)[2]
    in_flight = query(url, "SELECT count(*) FROM outbox_messages WHERE status = 'sending'")[0][0]
    rows = _wait_all_sent(url, fake, KILLED, n, LEASE_S + 60)
    elapsed = time.perf_counter() - t0
    unique, doubled, total = _sent_once(fake, KILLED)
    found = query(url, "SELECT count(*) FROM outbox_messages WHERE status_reason LIKE 'accepted by the provider%%'")[0][
        0
    ]
    line = (f"SIGKILL: {n} due, scheduler-1 killed after {at_kill} sends with {in_flight} rows claimed: {unique} "
            f"numbers reached, {doubled} twice, {n - unique} lost ({total} sends; {found} found already accepted "
            f"at the provider on take-over, not re-sent) in {elapsed:.1f} s; rows {rows}")  # fmt: skip
    ok = unique == n and doubled == 0 and total == n and rows == {"sent": n}
    return ("ok   " if ok else "FAIL ") + line


def drill_flaky(url: str, fake: FakeTwilio, env: dict[str, str], logs: Path, now: datetime) -> tuple[str, Proc]:
    third = scheduler("scheduler-3", env, logs)  # the killed one's replacement: two again
    with fake.lock:
        fake.fail_ratio, fake.max_failures_per_body = 0.3, 3
    failures_before = sum(fake.failures.values())
    t0 = time.perf_counter()
    n = due_reminders(url, FLAKY, now, first_hour=len(REMINDED) + len(KILLED) + 20)
    rows = _wait_all_sent(url, fake, FLAKY, n, 90)
    elapsed = time.perf_counter() - t0
    unique, doubled, total = _sent_once(fake, FLAKY)
    failed = sum(fake.failures.values()) - failures_before
    attempts = query(url, "SELECT coalesce(max(attempts), 0) FROM outbox_messages WHERE patient_id >= %s", FLAKY[0])
    line = (f"flaky Twilio: {n} due, {failed} answered 500 ({failed / max(1, failed + total):.0%} of requests): "
            f"{unique} sent, {doubled} twice, {n - unique} lost, most attempts {attempts[0][0]}, in {elapsed:.1f} s; "
            f"rows {rows}")  # fmt: skip
    ok = unique == n and doubled == 0 and total == n and rows == {"sent": n} and failed > n * 0.15
    return ("ok   " if ok else "FAIL ") + line, third


SCENARIOS = (  # subscription changes after checkout; the last state is what Stripe ends with
    ({"status": "active"}, {"status": "past_due"}, {"status": "active"}, {"cancel_at_period_end": True}),
    ({"status": "active"}, {"status": "past_due"}, {"status": "canceled", "canceled_at": "now"}),
    ({"status": "active"},),
    ({"status": "past_due"},),
)


def drill_stripe(url: str, fake: FakeStripe, ports: list[int]) -> str:
    events: list[dict] = []
    subscriptions: dict[int, str] = {}
    for i, patient in enumerate(MEMBERS):
        status, body = call(ports[i % 2], "POST", "/api/v1/billing/checkout", user=patient, body={"plan": "monthly"})
        if status != 200:
            raise Failure(f"stripe: checkout answered {status} {body}")
        session_id = next(s for s, v in fake.sessions.items() if v.get("client_reference_id") == str(patient))
        session = fake.complete_checkout(session_id)
        sub_id = subscriptions[patient] = session["subscription"]
        events.append(fake.event("checkout.session.completed", session))
        for changes in SCENARIOS[i % len(SCENARIOS)]:
            changes = {k: (int(time.time()) if v == "now" else v) for k, v in changes.items()}
            sub = fake.update_subscription(sub_id, **changes)
            kind = "customer.subscription.deleted" if sub["status"] == "canceled" else "customer.subscription.updated"
            events.append(fake.event(kind, sub))
    deliveries = events * 3
    random.Random(8).shuffle(deliveries)

    def deliver(k: int) -> int:
        payload = json.dumps(deliveries[k])
        conn = http.client.HTTPConnection("127.0.0.1", ports[k % 2], timeout=60)
        try:
            conn.request("POST", "/billing/stripe/webhook", body=payload,
                         headers={"Stripe-Signature": fake.sign(payload), "Content-Type": "application/json"})  # fmt: skip
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    t0 = time.perf_counter()
    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = collections.Counter(pool.map(deliver, range(len(deliveries))))
    elapsed = time.perf_counter() - t0
    rows = {pid: (status, cancel) for pid, status, cancel in query(
        url, "SELECT patient_id, status, cancel_at_period_end FROM memberships WHERE patient_id >= %s", MEMBERS[0])}  # fmt: skip
    wrong = [p for p, sub in subscriptions.items()
             if rows.get(p) != (fake.subscriptions[sub]["status"], bool(fake.subscriptions[sub]["cancel_at_period_end"]))]  # fmt: skip
    applied = query(url, "SELECT outcome, count(*) FROM stripe_events GROUP BY outcome")
    finals = collections.Counter(rows.values())
    line = (f"stripe: {len(events)} events for {len(subscriptions)} subscriptions delivered 3 times each, shuffled, "
            f"8 threads over 2 instances in {elapsed:.1f} s: answers {dict(statuses)}; event rows {dict(applied)}; "
            f"final states {dict(finals)}; {len(wrong)} memberships differ from Stripe")  # fmt: skip
    ok = statuses == {200: len(deliveries)} and not wrong and sum(n for _, n in applied) == len(events)
    return ("ok   " if ok else "FAIL ") + line


# --- main -----------------------------------------------------------------------------------------


def main() -> int:
    name, url = create_database()
    logs = Path(tempfile.mkdtemp(prefix="drill_"))
    twilio, stripe_fake = FakeTwilio(), FakeStripe()
    procs: list[Proc] = []
    lines: list[str] = []
    try:
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "AUDIT_KEY": AUDIT_KEY, "REDIS_URL": None,
                          "SMS_BACKEND": "console"})  # fmt: skip
        with app.app_context():
            flask_migrate.upgrade(revision="heads")
            db.session.remove()
        now = datetime.now(UTC).replace(microsecond=0)
        seed(url, now)
        env = dict(
            os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, AUDIT_KEY=AUDIT_KEY, FLASK_DEBUG="0", REDIS_URL="",
            SCHEDULER_ENABLED="0", PUBLIC_BASE_URL="http://127.0.0.1", SMS_BACKEND="twilio", TWILIO_ACCOUNT_SID=TWILIO_SID,
            TWILIO_AUTH_TOKEN=TWILIO_TOKEN, TWILIO_FROM_NUMBER=FROM, TWILIO_API_BASE=twilio.base_url,
            SMS_DISPATCH_SECONDS="1", SMS_LEASE_SECONDS=str(LEASE_S), SMS_RETRY_BASE_SECONDS="1",
            BILLING_BACKEND="stripe", STRIPE_SECRET_KEY=STRIPE_KEY, STRIPE_WEBHOOK_SECRET=stripe_fake.webhook_secret,
            STRIPE_API_BASE=stripe_fake.base_url, STRIPE_PRICE_MONTHLY=PRICE_MONTHLY, STRIPE_PRICE_ANNUAL=PRICE_ANNUAL,
        )  # fmt: skip
        ports = []
        for i in (1, 2):
            proc, port = gunicorn(f"gunicorn-{i}", env, logs)
            procs.append(proc)
            ports.append(port)
        print(f"drill: database {name}, gunicorn on ports {ports}, logs in {logs}", flush=True)
        for step in ("booking", "two", "kill", "flaky", "stripe"):
            if _left() <= 0:
                raise Failure(f"out of time ({DEADLINE_S} s) before the {step} drill")
            if step == "booking":
                line = drill_booking(app, ports, url)
            elif step == "two":
                line, pair = drill_two(url, twilio, env, logs, now)
                procs += pair
            elif step == "kill":
                line = drill_kill(url, twilio, pair, now)
            elif step == "flaky":
                line, third = drill_flaky(url, twilio, env, logs, now)
                procs.append(third)
            else:
                line = drill_stripe(url, stripe_fake, ports)
            print(line, flush=True)
            lines.append(line)
        with app.app_context():
            db.engine.dispose()
    except Failure as exc:
        lines.append(f"FAIL {exc}")
        print(lines[-1], flush=True)
    finally:
        for proc in procs:
            proc.stop()
        twilio.close()
        stripe_fake.close()
        drop_database(name)
    failed = [x for x in lines if x.startswith("FAIL")]
    took = f"{time.monotonic() - START:.0f} s"
    print(
        f"drill: {len(failed)} of {len(lines)} drills FAILED ({took})"
        if failed
        else f"drill: all {len(lines)} drills held ({took})"
    )
    if not failed:
        shutil.rmtree(logs, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

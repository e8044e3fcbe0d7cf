"""Several senders on PostgreSQL: every due text is sent exactly once, through failures and a sender
killed with SIGKILL in the middle of its batch."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
from datetime import timedelta

import pytest
from sqlalchemy import text

from app import create_app
from app.db import utcnow
from app.extensions import db
from app.sms.backends import TwilioSms
from app.sms.sender import dispatch_due
from tests.conftest import TEST_SECRET
from tests.fakes.twilio_server import FakeTwilio
from tests.integration.conftest import REAL_SESSION

TOKEN = "twilio-auth-token-for-tests-0123456789abcdef"
SID = "AC" + "b" * 32


@pytest.fixture
def pg_app(app):
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("multi-sender guarantees rest on FOR UPDATE SKIP LOCKED: proven on PostgreSQL")
    other = create_app({"DATABASE_URL": url, "TESTING": True, "SECRET_KEY": TEST_SECRET, "REDIS_URL": None})
    swapped = db.session
    db.session = REAL_SESSION
    with other.app_context():
        yield other
        with db.engine.begin() as conn:
            conn.execute(text("DELETE FROM outbox_messages WHERE dedupe_key LIKE 'drill:%'"))
        db.session.remove()
        db.engine.dispose()
    db.session = swapped


FILL_SQL = """
INSERT INTO outbox_messages (to_number, body, kind, dedupe_key, due_at, status, attempts, created_at, updated_at)
SELECT '+12125550142', 'drill message ' || g, 'reminder_24h', 'drill:' || g, :due, 'queued', 0, :now, :now
  FROM generate_series(1, :n) g
"""


def _fill(n: int) -> None:
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(text(FILL_SQL), {"due": now - timedelta(minutes=1), "now": now, "n": n})


def _senders(app, fake: FakeTwilio, count: int) -> None:
    sms = TwilioSms(SID, TOKEN, "+15005550006", "http://127.0.0.1/sms/twilio/status", api_base=fake.base_url)

    def loop() -> None:
        with app.app_context():
            idle_rounds = 0
            while idle_rounds < 3:
                # Real time, shared by both senders (as NTP-synced hosts share it); retries come due
                # at once with a zero backoff base instead of after 30 s, 60 s, ...
                done = dispatch_due(now=utcnow(), batch=50, sms=sms, backoff_seconds=0)
                idle_rounds = 0 if done else idle_rounds + 1
            db.session.remove()

    threads = [threading.Thread(target=loop) for _ in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(300)


def _statuses() -> dict[str, int]:
    with db.engine.connect() as conn:
        rows = conn.execute(
            text("SELECT status, count(*) FROM outbox_messages WHERE dedupe_key LIKE 'drill:%' GROUP BY 1")
        )
        return dict(rows.all())


def test_two_senders_send_two_thousand_exactly_once(pg_app):
    fake = FakeTwilio()
    try:
        _fill(2000)
        _senders(pg_app, fake, 2)
        counts = collections.Counter(r["Body"] for r in fake.requests)
        assert len(counts) == 2000 and max(counts.values()) == 1
        assert _statuses() == {"sent": 2000}
    finally:
        fake.close()


def test_thirty_percent_failures_all_sent_none_twice(pg_app):
    fake = FakeTwilio(fail_ratio=0.3, max_failures_per_body=3)
    try:
        _fill(600)
        _senders(pg_app, fake, 2)
        counts = collections.Counter(r["Body"] for r in fake.requests)
        assert len(counts) == 600 and max(counts.values()) == 1
        assert sum(fake.failures.values()) > 100  # the failures really happened
        assert _statuses() == {"sent": 600}
    finally:
        fake.close()


KILLER = """
import os, signal, sys
from datetime import timedelta
from app import create_app
from app.db import utcnow
from app.sms.sender import claim_rows
app = create_app({"DATABASE_URL": sys.argv[1], "SECRET_KEY": "k" * 48, "AUDIT_KEY": "a" * 48, "REDIS_URL": ""})
with app.app_context():
    ids = [row.id for row in claim_rows(utcnow(), 50, timedelta(seconds=120))]
    print(len(ids), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)  # dies holding 50 claimed rows, nothing sent
"""


def test_a_sender_killed_mid_batch_loses_nothing(pg_app):
    fake = FakeTwilio()
    try:
        _fill(120)
        url = pg_app.config["SQLALCHEMY_DATABASE_URI"]
        result = subprocess.run(
            [sys.executable, "-c", KILLER, url], capture_output=True, text=True, timeout=60, cwd=os.getcwd()
        )
        assert result.returncode == -9 and result.stdout.strip() == "50", result.stderr
        assert _statuses()["sending"] == 50
        with db.engine.begin() as conn:  # two minutes pass: the dead sender's lease expires
            conn.execute(
                text(
                    "UPDATE outbox_messages SET lease_expires_at = lease_expires_at - interval '121 seconds' "
                    "WHERE status = 'sending' AND dedupe_key LIKE 'drill:%'"
                )
            )
        _senders(pg_app, fake, 2)
        counts = collections.Counter(r["Body"] for r in fake.requests)
        assert len(counts) == 120 and max(counts.values()) == 1
    finally:
        fake.close()

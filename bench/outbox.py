"""Outbox throughput on PostgreSQL: texts per second through the real twilio SDK to a fake Twilio on
127.0.0.1, with one and with two senders (database `bench_outbox`, recreated each run)."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import flask_migrate
import psycopg
from sqlalchemy import text

from app import create_app
from app.db import utcnow
from app.extensions import db
from app.sms.backends import TwilioSms
from app.sms.sender import dispatch_due
from bench.slots import ADMIN_URL
from tests.fakes.twilio_server import FakeTwilio

DB = "bench_outbox"
MESSAGES = 3000
FILL = """
INSERT INTO outbox_messages (to_number, body, kind, dedupe_key, due_at, status, attempts, created_at, updated_at)
SELECT '+12125550142', 'bench ' || :run || ' ' || g, 'reminder_24h', 'bench:' || :run || ':' || g, :due, 'queued', 0,
       :now, :now FROM generate_series(1, :n) g
"""


def _round(app, senders: int, run: str) -> float:
    fake = FakeTwilio()
    sms = TwilioSms("AC" + "c" * 32, "token" * 8, "+15005550006", "http://127.0.0.1/status", api_base=fake.base_url)
    with app.app_context():
        with db.engine.begin() as conn:
            now = utcnow()
            conn.execute(text(FILL), {"run": run, "due": now - timedelta(seconds=1), "now": now, "n": MESSAGES})

    def loop() -> None:
        with app.app_context():
            while dispatch_due(now=utcnow(), batch=100, sms=sms):
                pass
            db.session.remove()

    threads = [threading.Thread(target=loop) for _ in range(senders)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - t0
    sent = len(fake.requests)
    fake.close()
    assert sent == MESSAGES, sent
    return sent / elapsed


def run() -> dict:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    app = create_app(
        {
            "DATABASE_URL": ADMIN_URL.rsplit("/", 1)[0] + "/" + DB,
            "SECRET_KEY": "b" * 48,
            "AUDIT_KEY": "a" * 48,
            "REDIS_URL": None,
        }
    )
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        db.session.remove()
    one = _round(app, 1, "one")
    two = _round(app, 2, "two")
    with app.app_context():
        db.engine.dispose()
    return {
        "rows": [],
        "throughput": {"one_sender_per_s": round(one), "two_senders_per_s": round(two)},
        "notes": [
            f"{MESSAGES} texts each run: 1 sender {one:.0f}/s, 2 senders {two:.0f}/s (real twilio SDK, fake API on loopback)"
        ],
    }

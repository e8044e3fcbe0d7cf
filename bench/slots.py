"""Slot computation at scale on PostgreSQL (database `bench`, recreated each run).

200 clinicians with weekday availability, a 60-day horizon and 20,000 booked appointments inside
it; then 980,000 more (past, completed) to reach 1,000,000 rows. Reported: one clinician's slots
over 4 weeks in-process (with the slot cache cleared before each call: the database path; and
warm), through the API, and "first 10 open CBT therapists in WA this week".
The 1M/20k ratio shows whether the cost follows the appointments in the window (index use) or the
table's size.
"""

from __future__ import annotations

import contextvars
import io
import os
import statistics
import time
from datetime import UTC, date, datetime, timedelta

import flask_migrate
import psycopg
from sqlalchemy import text

from app import create_app
from app.auth.service import issue_token
from app.booking import openings, service, slot_cache
from app.extensions import db

ADMIN_URL = os.environ.get("BENCH_ADMIN_URL", "postgresql://postgres@127.0.0.1/postgres")
BENCH_DB = os.environ.get("BENCH_DB", "bench")
CLINICIANS, PATIENTS = 200, 2000
STATES = ["WA", "NY", "CA", "OR", "TX"]
HASH = "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG"  # matches nothing


def _recreate_database() -> str:
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{BENCH_DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    return ADMIN_URL.rsplit("/", 1)[0] + "/" + BENCH_DB


def _copy(conn, table: str, columns: list[str], rows) -> None:
    buf = io.StringIO()
    for row in rows:
        buf.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buf.seek(0)
    with conn.cursor() as cur, cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        copy.write(buf.read())


def _seed(url: str, now: datetime) -> None:
    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw) as conn:
        users = [
            (
                i,
                f"c{i}@bench.example.com",
                HASH,
                f"Clinician {i}",
                "clinician",
                "America/Los_Angeles",
                True,
                False,
                now.isoformat(),
            )
            for i in range(1, CLINICIANS + 1)
        ]
        users += [
            (
                i,
                f"p{i}@bench.example.com",
                HASH,
                f"Patient {i}",
                "patient",
                "America/New_York",
                True,
                False,
                now.isoformat(),
            )
            for i in range(CLINICIANS + 1, CLINICIANS + PATIENTS + 1)
        ]
        _copy(
            conn,
            "users",
            ["id", "email", "password_hash", "name", "role", "timezone", "is_enabled", "mfa_enabled", "created_at"],
            users,
        )
        _copy(
            conn,
            "patient_profiles",
            ["user_id", "state", "sms_opt_in"],
            [(i, "WA", False) for i in range(CLINICIANS + 1, CLINICIANS + PATIENTS + 1)],
        )
        creds = ["LCSW", "PsyD", "LMHC", "MD", "PMHNP"]
        profiles = [
            (i, creds[i % 5], "prescriber" if creds[i % 5] in ("MD", "PMHNP") else "therapist", "")
            for i in range(1, CLINICIANS + 1)
        ]
        _copy(conn, "clinician_profiles", ["user_id", "credential", "clinical_role", "bio"], profiles)
        _copy(
            conn,
            "clinician_licenses",
            ["clinician_id", "state"],
            [(i, s) for i in range(1, CLINICIANS + 1) for s in {STATES[i % 5], "WA" if i % 3 == 0 else STATES[i % 5]}],
        )
        _copy(
            conn,
            "clinician_modalities",
            ["clinician_id", "modality"],
            [(i, "CBT" if i % 2 else "DBT") for i in range(1, CLINICIANS + 1)],
        )
        weekly = (
            '[{"weekday": 0, "start": "08:00", "end": "18:00"}, {"weekday": 1, "start": "08:00", "end": "18:00"}, '
            '{"weekday": 2, "start": "08:00", "end": "18:00"}, {"weekday": 3, "start": "08:00", "end": "18:00"}, '
            '{"weekday": 4, "start": "08:00", "end": "18:00"}]'
        )
        _copy(
            conn,
            "clinician_availability",
            [
                "clinician_id",
                "timezone",
                "weekly",
                "overrides",
                "gap_minutes",
                "slot_step_minutes",
                "min_notice_minutes",
                "horizon_days",
                "max_per_day",
                "updated_at",
            ],
            [
                (i, "America/Los_Angeles", weekly, "[]", 10, 30, 240, 60, None, now.isoformat())
                for i in range(1, CLINICIANS + 1)
            ],
        )
        conn.commit()
        _appointments(conn, now, future=20_000, past=0)


def _appointments(conn, now: datetime, *, future: int, past: int, start_id: int = 1) -> None:
    rows = []
    per = future // CLINICIANS
    ident = start_id
    for c in range(1, CLINICIANS + 1):
        for k in range(per):  # 100 per clinician over 60 days: one every 14.4 hours, 50 minutes long
            start = now + timedelta(hours=2 + k * 14.4)
            # Appointments at the same instant (same k) go to different patients: no patient overlaps.
            patient = CLINICIANS + 1 + (c - 1) + CLINICIANS * (k % (PATIENTS // CLINICIANS))
            rows.append(
                (
                    ident,
                    patient,
                    c,
                    "therapy_session",
                    start,
                    start + timedelta(minutes=50),
                    start + timedelta(minutes=60),
                    10,
                    "booked",
                    f"room{ident}",
                )
            )
            ident += 1
    per_past = past // CLINICIANS
    for c in range(1, CLINICIANS + 1):
        for k in range(per_past):
            start = now - timedelta(days=1) - timedelta(hours=k * 2)
            rows.append(
                (
                    ident,
                    CLINICIANS + 1 + (ident % PATIENTS),
                    c,
                    "therapy_session",
                    start,
                    start + timedelta(minutes=50),
                    start + timedelta(minutes=60),
                    10,
                    "completed",
                    f"room{ident}",
                )
            )
            ident += 1
    cols = [
        "id",
        "patient_id",
        "clinician_id",
        "type",
        "start_at",
        "end_at",
        "blocked_until",
        "gap_minutes",
        "status",
        "video_room",
        "created_at",
        "updated_at",
    ]
    stamp = now.isoformat()
    for i in range(0, len(rows), 200_000):
        _copy(
            conn,
            "appointments",
            cols,
            [
                (*r[:4], r[4].isoformat(), r[5].isoformat(), r[6].isoformat(), *r[7:], stamp, stamp)
                for r in rows[i : i + 200_000]
            ],
        )
    conn.execute("SELECT setval(pg_get_serial_sequence('appointments', 'id'), (SELECT max(id) FROM appointments))")
    conn.execute("ANALYZE")
    conn.commit()
    conn.execute("CHECKPOINT")  # so the timings that follow do not share the disk with the load's flush


def _timed(fn, n: int) -> dict:
    for _ in range(max(5, n // 10)):  # warm-up: caches, prepared statements, the first connection
        fn()
    samples = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"p50_ms": statistics.median(samples), "p95_ms": samples[int(len(samples) * 0.95) - 1], "n": n}


def _measure(app, label: str) -> list[dict]:
    today = datetime.now(UTC).date()
    four_weeks = (today, today + timedelta(days=27))
    rows = []
    with app.app_context():
        clinician = service.get_clinician(7)
        patient = db.session.get(type(clinician), CLINICIANS + 1)
        token = issue_token(patient, timedelta(hours=2))

        def cold():
            # The database path: without the slot cache every call loads the schedule afresh.
            slot_cache.CACHE.clear()
            return openings.open_slots(clinician, "therapy_session", *four_weeks, "America/New_York")

        rows.append({"name": f"one clinician, 4 weeks, in-process, cache cleared each time ({label})",
                     **_timed(cold, 200)})  # fmt: skip
        rows.append(
            {
                "name": f"one clinician, 4 weeks, in-process ({label})",
                **_timed(
                    lambda: openings.open_slots(clinician, "therapy_session", *four_weeks, "America/New_York"), 200
                ),
            }
        )
        client = app.test_client()
        q = {"type": "therapy_session", "from": four_weeks[0].isoformat(), "to": four_weeks[1].isoformat()}
        headers = {"Authorization": f"Bearer {token}"}

        def get():
            # A fresh context per request, as in production: inside this app context the test client
            # would otherwise share one session (a warm identity map) across requests.
            return contextvars.Context().run(client.get, "/api/v1/clinicians/7/slots", query_string=q, headers=headers)

        assert get().status_code == 200
        rows.append(
            {
                "name": f"one clinician, 4 weeks, API ({label})",
                **_timed(get, 200),
            }
        )
        monday = today - timedelta(days=today.weekday())
        rows.append(
            {
                "name": f"first 10 open CBT therapists in WA this week ({label})",
                **_timed(
                    lambda: openings.clinicians_with_openings(
                        type_code="therapy_session",
                        from_date=monday,
                        to_date=monday + timedelta(days=6),
                        view_tz="America/Los_Angeles",
                        clinical_role="therapist",
                        state="WA",
                        modality="CBT",
                    ),
                    30,
                ),
            }
        )
        db.session.remove()
    return rows


def run() -> dict:
    url = _recreate_database()
    app = create_app(
        {"DATABASE_URL": url, "SECRET_KEY": "b" * 48, "AUDIT_KEY": "a" * 48, "REDIS_URL": None, "FLASK_DEBUG": "0"}
    )
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        db.session.remove()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    t0 = time.perf_counter()
    _seed(url, now)
    rows = _measure(app, "20k appointments")
    raw = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(raw) as conn:
        _appointments(conn, now, future=0, past=980_000, start_id=20_001)
        total = conn.execute(text("SELECT count(*) FROM appointments").text).fetchone()[0]
    rows += _measure(app, f"{total // 1000}k appointments")
    notes = [f"seeding and both runs took {time.perf_counter() - t0:.0f} s"]
    half = len(rows) // 2
    for a, b in zip(rows[:half], rows[half:], strict=True):
        notes.append(f"{a['name'].split(' (')[0]}: 1M/20k p50 ratio {b['p50_ms'] / a['p50_ms']:.2f}")
    with app.app_context():
        db.engine.dispose()
    return {"rows": rows, "notes": notes, "date": date.today().isoformat()}

"""HTTP throughput and latency through gunicorn on PostgreSQL, side by side with the stack's floor.

One gunicorn (2 sync workers, ``--no-control-socket``) serves ``bench.floor_wsgi:app`` — the real
application plus one constant route — on a database of its own (``bench_http``, recreated each run):
200 clinicians, 2,000 patients and 20,000 booked appointments (bench/slots.py's seed), plus care
teams of 100, 1,000 and 10,000 patients with four PHQ-9s each. wrk (Debian's, with bench/wrk.lua
for bearer tokens and distinct POST bodies) drives, in one run and with the same server settings:

* the floor: ``GET /bench/floor``, alone and then again just before and after each endpoint (each
  endpoint's ratio is to the mean of its two neighbouring floor runs, so load from other processes
  that comes and goes moves both alike),
* ``GET /api/v1/clinicians/{id}/slots`` for one week (what the booking page asks for) and 4 weeks,
* ``POST /api/v1/appointments``: each request a different patient and open slot (201 or 409 counted),
* ``GET /api/v1/caseload`` for teams of 100, 1,000 and 10,000 patients.

Then the plain-Flask floor (``bench.floor_wsgi:bare``) on a second gunicorn with the same settings,
and the RSS of each worker after the load. Besides wall-clock figures each row has the workers'
CPU time per request (from /proc), which other processes' load moves much less. wrk runs one thread with 4 connections: enough to keep
both workers busy without measuring a long accept queue (sync workers close each connection, as
they do behind a load balancer).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import flask_migrate
import psycopg

from app import create_app
from app.accounts.user import User
from app.booking import openings
from app.extensions import db
from bench import slots as slot_bench
from bench.floor_wsgi import FLOOR_PATH
from bench.processes import start_gunicorn

DB = os.environ.get("BENCH_HTTP_DB", "bench_http")
DURATION = int(os.environ.get("BENCH_HTTP_SECONDS", "10"))
WARMUP = 2
FLOOR_SECONDS = 4
CONNECTIONS, THREADS, WORKERS = 4, 1, 2
SLOT_CLINICIAN = 7  # an LMHC (therapist) with ~100 booked visits in the next 60 days
TEAMS = {1: 100, 2: 1_000, 3: 10_000}  # clinician id -> care team size (clinicians 1-3 take no bookings)
PHQ9_PER_PATIENT = 4
SECRET = "bench-secret-key-" + "x" * 40
AUDIT_KEY = "bench-audit-key-" + "a" * 40
GOALS = {"slots": 0.5, "booking": 0.3}
RSS_GOAL_MB = 150


def _token(user_id: int) -> str:
    return f"bench-token-{user_id}-" + hashlib.sha256(f"salt{user_id}".encode()).hexdigest()[:24]


def _recreate() -> str:
    with psycopg.connect(slot_bench.ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{DB}"')
    return slot_bench.ADMIN_URL.rsplit("/", 1)[0] + "/" + DB


def _drop() -> None:
    with psycopg.connect(slot_bench.ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')


def _seed_teams(url: str, now: datetime) -> None:
    """Patients on the care teams of clinicians 1-3, each with four PHQ-9s over 12 weeks, and an API
    token for every bench user (only the SHA-256 is stored, as the app does)."""
    first = slot_bench.CLINICIANS + slot_bench.PATIENTS + 1
    users, profiles, members, scores = [], [], [], []
    next_id, assessment_id = first, 1
    stamp = now.isoformat()
    for clinician, size in TEAMS.items():
        for k in range(size):
            uid = next_id
            next_id += 1
            users.append((uid, f"t{uid}@bench.example.com", slot_bench.HASH, f"Team patient {uid}", "patient",
                          "America/New_York", True, False, stamp))  # fmt: skip
            profiles.append((uid, "NY", False))
            members.append((uid, clinician, (now - timedelta(weeks=12 + k % 20)).isoformat()))
            for j in range(PHQ9_PER_PATIENT):
                total = max(0, 20 - j * (2 + k % 4))
                answers = json.dumps([min(3, total // 9)] * 9)
                taken = (now - timedelta(weeks=12 - j * 3 + k % 3)).isoformat()
                scores.append((assessment_id, uid, "PHQ-9", answers, total, "bench", k % 50 == 0 and j == 3,
                               clinician, taken))  # fmt: skip
                assessment_id += 1
    tokens = [(uid, hashlib.sha256(_token(uid).encode()).hexdigest(), stamp, (now + timedelta(days=2)).isoformat())
              for uid in list(range(1, slot_bench.CLINICIANS + slot_bench.PATIENTS + 1))]  # fmt: skip
    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        copy = slot_bench._copy
        copy(conn, "users", ["id", "email", "password_hash", "name", "role", "timezone", "is_enabled", "mfa_enabled",
                             "created_at"], users)  # fmt: skip
        copy(conn, "patient_profiles", ["user_id", "state", "sms_opt_in"], profiles)
        copy(conn, "care_team_members", ["patient_id", "clinician_id", "added_at"], members)
        copy(conn, "assessments", ["id", "patient_id", "instrument", "answers", "score", "severity", "item9",
                                   "entered_by", "created_at"],
             [(*r[:6], int(r[6]), *r[7:]) for r in scores])  # fmt: skip
        copy(conn, "api_tokens", ["user_id", "token_hash", "created_at", "expires_at"], tokens)
        for table in ("users", "assessments"):
            conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.execute("ANALYZE")
        conn.commit()


def _booking_bodies(app, path: Path, limit: int = 30_000) -> int:
    """Open initial-consultation slots of every clinician licensed in WA (the seeded patients' state)
    over the next 8 weeks, each paired with a different patient: sorted by start, consecutive pairs
    take consecutive patients, so no patient is offered two visits at one instant."""
    today = datetime.now(UTC).date()
    pairs: list[tuple[datetime, int]] = []
    with app.app_context():
        for clinician_id in range(1, slot_bench.CLINICIANS + 1):
            if clinician_id in TEAMS:
                continue
            clinician = db.session.get(User, clinician_id)
            if "WA" not in clinician.clinician.licensed_states:
                continue
            found = openings.open_slots(clinician, "initial_consultation", today + timedelta(days=1),
                                       today + timedelta(days=56), "UTC")  # fmt: skip
            pairs += [(start, clinician_id) for start, _ in found]
        db.session.remove()
    pairs.sort()
    # Spread over the whole list, so a short run books across clinicians rather than in one day.
    step = max(1, len(pairs) // limit)
    pairs = pairs[::step][:limit]
    with path.open("w") as out:
        for i, (start, clinician_id) in enumerate(pairs):
            patient = slot_bench.CLINICIANS + 1 + i % slot_bench.PATIENTS
            body = {"clinician_id": clinician_id, "type": "initial_consultation", "start": start.isoformat()}
            out.write(f"{_token(patient)}\t{json.dumps(body)}\n")
    return len(pairs)


class Gunicorn:
    def __init__(self, target: str, env: dict[str, str], log: Path) -> None:
        self.server, self.port = start_gunicorn("gunicorn", target, env, log, probe=FLOOR_PATH, workers=WORKERS)
        self.proc = self.server.proc
        self.base = f"http://127.0.0.1:{self.port}"

    def workers(self) -> list[str]:
        return Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()

    def worker_cpu_s(self) -> float:
        """User + system CPU seconds the workers have used (contention from other processes on the
        machine stretches wall-clock figures; this one moves much less)."""
        total = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.workers():
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    sizes.append(int(line.split()[1]) / 1024)
        return sizes

    def stop(self) -> None:
        self.server.stop()


def wrk(
    url: str, seconds: int, *, token: str | None = None, bodies: Path | None = None, connections: int = CONNECTIONS
) -> dict:
    env = dict(os.environ, BENCH_THREADS=str(THREADS), BENCH_METHOD="POST" if bodies else "GET")
    env.pop("BENCH_TOKEN", None)
    env.pop("BENCH_BODIES", None)
    if token:
        env["BENCH_TOKEN"] = token
    if bodies:
        env["BENCH_BODIES"] = str(bodies)
    script = Path(__file__).with_name("wrk.lua")
    out = subprocess.run(
        ["wrk", f"-t{THREADS}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), url],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    line = next(x for x in out.splitlines() if x.startswith("WRKJSON "))
    stats = json.loads(line.removeprefix("WRKJSON "))
    stats["rps"] = stats["requests"] / (stats["duration_us"] / 1e6)
    return stats


def _row(name: str, stats: dict, cpu_s: float) -> dict:
    return {
        "name": name,
        "rps": round(stats["rps"], 1),
        "p50_ms": stats["p50_us"] / 1000,
        "p95_ms": stats["p95_us"] / 1000,
        "p99_ms": stats["p99_us"] / 1000,
        "n": stats["requests"],
        "worker_cpu_ms": round(cpu_s * 1000 / max(1, stats["requests"]), 3),
        "status": {"2xx": stats["s2xx"], "409": stats["s409"], "other": stats["sother"]},
    }


def _once(server: Gunicorn, name: str, path: str, seconds: int, **kw) -> dict:
    if "bodies" not in kw:  # warm up GETs only: a POST warm-up would spend bookings
        wrk(server.base + path, WARMUP, **kw)
    cpu0 = server.worker_cpu_s()
    stats = wrk(server.base + path, seconds, **kw)
    cpu = server.worker_cpu_s() - cpu0
    if stats["socket_errors"] or (stats["sother"] and "bodies" not in kw):
        raise RuntimeError(f"{name}: unexpected answers {stats}")
    return _row(name, stats, cpu)


def _paired(server: Gunicorn, name: str, path: str, seconds: int = DURATION, **kw) -> dict:
    """The endpoint between two short floor runs: its ratio is to their mean, so load from other
    processes on the machine that comes and goes during the run moves both alike."""
    before = _once(server, "floor", FLOOR_PATH, FLOOR_SECONDS)
    row = _once(server, name, path, seconds, **kw)
    after = _once(server, "floor", FLOOR_PATH, FLOOR_SECONDS)
    floor_rps = (before["rps"] + after["rps"]) / 2
    floor_cpu = (before["worker_cpu_ms"] + after["worker_cpu_ms"]) / 2
    row["floor_rps"] = round(floor_rps, 1)
    row["ratio_to_floor"] = round(row["rps"] / floor_rps, 3)
    row["cpu_ratio_to_floor"] = round(floor_cpu / row["worker_cpu_ms"], 3) if row["worker_cpu_ms"] else None
    print(f"  {name}: {row['rps']:.0f} req/s (floor {floor_rps:.0f}, ratio {row['ratio_to_floor']:.3f}), "
          f"p50 {row['p50_ms']:.1f} ms, worker CPU {row['worker_cpu_ms']:.2f} ms/request", flush=True)  # fmt: skip
    return row


def _load() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run() -> dict:
    if shutil.which("wrk") is None:
        raise SystemExit("bench/http.py needs wrk: apt-get install -y wrk")
    t0 = time.perf_counter()
    url = _recreate()
    env = dict(os.environ, DATABASE_URL=url, SECRET_KEY=SECRET, AUDIT_KEY=AUDIT_KEY, REDIS_URL="", FLASK_DEBUG="0",
               SCHEDULER_ENABLED="0", SMS_BACKEND="console")  # fmt: skip
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": SECRET, "AUDIT_KEY": AUDIT_KEY, "REDIS_URL": None})
    with app.app_context():
        flask_migrate.upgrade(revision="heads")
        db.session.remove()
    now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    slot_bench._seed(url, now)
    _seed_teams(url, now)
    work = Path(tempfile.mkdtemp(prefix="bench_http_"))
    bodies = work / "bookings.tsv"
    offered = _booking_bodies(app, bodies)
    with app.app_context():
        db.engine.dispose()
    seeded_s = time.perf_counter() - t0
    print(f"  seeded in {seeded_s:.0f} s; {offered} open slots paired with patients", flush=True)

    today = datetime.now(UTC).date()
    patient_token = _token(slot_bench.CLINICIANS + 1)
    week = f"/api/v1/clinicians/{SLOT_CLINICIAN}/slots?type=therapy_session&from={today}&to={today + timedelta(days=6)}"
    month = (
        f"/api/v1/clinicians/{SLOT_CLINICIAN}/slots?type=therapy_session&from={today}&to={today + timedelta(days=27)}"
    )

    load_before = _load()
    server = Gunicorn("bench.floor_wsgi:app", env, work / "gunicorn.log")
    try:
        floor = _once(server, "floor (create_app + constant route)", FLOOR_PATH, DURATION)
        floor["ratio_to_floor"] = 1.0
        rows = [floor]
        # What authentication alone costs: a constant answer behind the bearer-token lookup.
        rows.append(_paired(server, "signed-in constant (GET /appointment-types)", "/api/v1/appointment-types",
                            token=patient_token))  # fmt: skip
        rows.append(_paired(server, "slots, one week", week, token=patient_token))
        rows.append(_paired(server, "slots, 4 weeks", month, token=patient_token))
        rows.append(_paired(server, "booking (POST /appointments)", "/api/v1/appointments", bodies=bodies))
        for clinician, size in TEAMS.items():
            # One connection (the latency of one request, not of a queue) and time for a few of the big ones.
            rows.append(_paired(server, f"caseload, {size} patients", "/api/v1/caseload", token=_token(clinician),
                                connections=1, seconds=DURATION * (3 if size >= 10_000 else 1)))  # fmt: skip
        rss = server.worker_rss_mb()
    finally:
        server.stop()
    bare = Gunicorn("bench.floor_wsgi:bare", env, work / "gunicorn-bare.log")
    try:
        plain = _once(bare, "plain Flask() constant route", FLOOR_PATH, DURATION)
        plain["ratio_to_floor"] = round(plain["rps"] / floor["rps"], 3)
        rows.append(plain)
    finally:
        bare.stop()
    _drop()
    shutil.rmtree(work, ignore_errors=True)
    return _summarise(rows, rss, offered, time.perf_counter() - t0, f"{load_before} -> {_load()}")


def _summarise(rows: list[dict], rss: list[float], offered: int, elapsed: float, load: str) -> dict:
    by = {r["name"]: r for r in rows}
    floor, plain = by["floor (create_app + constant route)"], by["plain Flask() constant route"]
    booking = by["booking (POST /appointments)"]
    c100, c1k, c10k = (by[f"caseload, {n} patients"]["p50_ms"] for n in TEAMS.values())
    cpu100, cpu1k, cpu10k = (by[f"caseload, {n} patients"]["worker_cpu_ms"] for n in TEAMS.values())
    signed_in = by["signed-in constant (GET /appointment-types)"]
    ratios = {
        "signed_in_constant": signed_in["ratio_to_floor"],
        "slots_week": by["slots, one week"]["ratio_to_floor"],
        "slots_4_weeks": by["slots, 4 weeks"]["ratio_to_floor"],
        "booking": booking["ratio_to_floor"],
    }
    # Linear means cost = a + b*n: the step from 1k to 10k patients should be ~10x the step from 100 to 1k.
    step = (cpu10k - cpu1k) / (cpu1k - cpu100) if cpu1k > cpu100 else float("nan")
    notes = [
        f"gunicorn {WORKERS} sync workers, --no-control-socket; wrk -t{THREADS} -c{CONNECTIONS} -d{DURATION}s "
        f"(+{WARMUP}s warm-up for GETs), each endpoint between two {FLOOR_SECONDS}s floor runs; wrk, gunicorn and "
        f"PostgreSQL share one 2-core machine (load average {load})",
        f"floor (create_app + constant route) {floor['rps']:.0f} req/s, {floor['worker_cpu_ms']:.2f} ms worker CPU "
        f"per request; plain Flask() {plain['rps']:.0f} req/s, {plain['worker_cpu_ms']:.2f} ms",
        f"slots one week {ratios['slots_week']:.2f} of the floor (goal >= {GOALS['slots']}), "
        f"4 weeks {ratios['slots_4_weeks']:.2f}; a signed-in constant answer (one token lookup) "
        f"{ratios['signed_in_constant']:.2f}",
        f"booking {ratios['booking']:.2f} of the floor (goal >= {GOALS['booking']}): "
        f"{booking['status']['2xx']} x 201, {booking['status']['409']} x 409, {booking['status']['other']} other "
        f"({offered} distinct patient/slot pairs prepared)",
        f"caseload p50: 100 patients {c100:.1f} ms, 1k {c1k:.1f} ms, 10k {c10k:.1f} ms; worker CPU per request "
        f"{cpu100:.1f} / {cpu1k:.1f} / {cpu10k:.1f} ms; (10k-1k)/(1k-100) CPU step ratio {step:.1f} (linear: 10); "
        "caseload runs use one connection",
        "slots with 20k vs 1M appointments: the slots section below (same query path; p50 ratio there)",
        f"worker RSS after the load: {', '.join(f'{m:.0f} MB' for m in rss)} (goal < {RSS_GOAL_MB} MB)",
        f"seed + runs took {elapsed:.0f} s",
    ]
    return {
        "rows": rows,
        "floor_rps": floor["rps"],
        "ratios": ratios,
        "goals": {**GOALS, "worker_rss_mb": RSS_GOAL_MB},
        "caseload": {
            "p50_ms": {"100": c100, "1000": c1k, "10000": c10k},
            "worker_cpu_ms": {"100": cpu100, "1000": cpu1k, "10000": cpu10k},
            "step_ratio": round(step, 2),
        },
        "worker_rss_mb": [round(m, 1) for m in rss],
        "load_average": load,
        "notes": notes,
    }


if __name__ == "__main__":
    result = run()
    print(json.dumps(result, indent=2))
    sys.exit(0)

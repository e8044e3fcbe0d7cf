"""The integration suite run as if it were another moment: the clock's risky instants, not CI's.

CI runs whenever someone pushes, so a test that holds at 17:30 UTC but not at 23:50 in New York fails
one run in many and looks flaky. This runs the suite on SQLite (whose clock is the process's own, so
the app and the database agree) under libfaketime (Debian's ``faketime``) at each instant below, two at
a time, and prints one line per instant. A relative offset (``+Ns``) is used, not a fixed start, so
the clock still moves and the processes a test starts (gunicorn, a killed sender) share the shifted
time. Not part of ``make test`` (about 15 minutes on 2 cores); ``make clock-sweep``.

Under libfaketime pytest prints its summary and then never exits (threads left waiting on faked
deadlines), so this file is also a pytest plugin (``-p clock_sweep``): it ends the process with the
session's exit status once the summary is out.

One test is left out, for a reason of the tool, not of the app: the SQLite busy-wait test expects the
read to still be waiting after half a second, and SQLite's busy handler sleeps through calls that
libfaketime rewrites (it fails at every instant, the real clock included when faked by +0 s).

Usage: ``python tools/clock_sweep.py [INSTANT ...]`` (ISO 8601 in UTC; default: the list below).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANTS = {
    "2027-03-14T06:55:00": "01:55 in New York, five minutes before the spring-forward jump",
    "2027-11-07T05:50:00": "the first 01:50 of New York's fall-back night (the hour that happens twice)",
    "2026-12-07T04:50:00": "23:50 in New York, 20:50 in Los Angeles: midnight and quiet hours close",
    "2026-12-31T23:55:00": "five minutes before the year ends in UTC",
    "2028-02-29T04:30:00": "leap day in UTC, still February 28 in New York",
    "2026-12-07T12:59:00": "Monday 07:59 in New York: quiet hours about to end, no US zone awake",
    "2026-12-12T16:00:00": "Saturday 11:00 in New York: the weekend",
    "2027-07-07T10:30:00": "a summer Wednesday, 06:30 in New York (daylight time)",
}
LEFT_OUT = "tests/integration/test_sqlite_transactions.py::test_a_chart_read_waits_for_a_busy_writer_then_answers"
LOGS = ROOT / "test-artifacts" / "clock-sweep"


def run_at(instant: str) -> tuple[str, int, str]:
    moment = datetime.fromisoformat(instant).replace(tzinfo=UTC)
    offset = int(moment.timestamp() - time.time())
    log = LOGS / f"{instant.replace(':', '')}.log"
    command = ["faketime", "-f", f"{offset:+d}s", sys.executable, "-m", "pytest", "tests/integration", "-q",
               "-p", "clock_sweep", "--deselect", LEFT_OUT]  # fmt: skip
    env = dict(os.environ, PYTHONPATH=str(ROOT / "tools"))
    with log.open("w") as out:
        code = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,  # noqa: S603 (fixed argv)
                              check=False).returncode  # fmt: skip
    lines = log.read_text().splitlines()
    failed = [line.removeprefix("FAILED ") for line in lines if line.startswith(("FAILED ", "ERROR "))]
    summary = lines[-1] if lines else "no output"
    return instant, code, "\n    ".join([summary, *failed, f"log: {log.relative_to(ROOT)}"])


_status: list[int] = []


def pytest_sessionfinish(session: object, exitstatus: int) -> None:
    _status.append(int(exitstatus))


def pytest_unconfigure(config: object) -> None:
    """Runs after the terminal summary: leave now, with pytest's own exit status."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(_status[-1] if _status else 3)


def main(argv: list[str]) -> int:
    if shutil.which("faketime") is None:
        print("clock-sweep: needs libfaketime (apt-get install faketime)", file=sys.stderr)
        return 2
    instants = argv or list(INSTANTS)
    LOGS.mkdir(parents=True, exist_ok=True)
    worst = 0
    with ThreadPoolExecutor(2) as pool:
        for instant, code, detail in pool.map(run_at, instants):
            verdict = "held" if code == 0 else f"FAILED (exit {code})"
            print(f"{instant}Z {verdict}: {INSTANTS.get(instant, 'given')}\n    {detail}", flush=True)
            worst = max(worst, code)
    return worst


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

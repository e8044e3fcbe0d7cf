"""Child processes for the drills and benchmarks: gunicorn and scheduler instances on free ports,
each logging to a file, stopped with SIGTERM (SIGKILL after 15 s) or killed outright."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Proc:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log.open("w")
        self.proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


def start_gunicorn(name: str, target: str, env: dict[str, str], log: Path, *, probe: str, workers: int = 2,
                   start_within: float = 30) -> tuple[Proc, int]:  # fmt: skip
    """Gunicorn serving ``target`` on a free port, returned once ``probe`` answers (any HTTP status);
    RuntimeError if it does not within ``start_within`` seconds."""
    port = free_port()
    proc = Proc(name, [str(BIN / "gunicorn"), "--workers", str(workers), "--no-control-socket", "--graceful-timeout",
                       "5", "--bind", f"127.0.0.1:{port}", target], env, log)  # fmt: skip
    deadline = time.monotonic() + start_within
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{probe}", timeout=2):
                return proc, port
        except urllib.error.HTTPError:
            return proc, port  # it answers
        except OSError:
            if time.monotonic() > deadline or proc.proc.poll() is not None:
                proc.stop()
                raise RuntimeError(f"{name} did not start (see {log})") from None
            time.sleep(0.2)

"""Tuning for long-running serving processes (gunicorn workers, the scheduler)."""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    """Take everything alive after start-up (the app, its mappers, schemas and compiled statements,
    all kept for the life of the process) out of the cyclic garbage collector's reach.

    Every full collection otherwise walks those hundreds of thousands of objects again, and a
    request that builds many rows triggers several: measured in-process, a 10,000-patient caseload
    went from 544 to 278 ms of CPU and a booking from 3.7 to 3.2 ms. Objects made later are
    collected as usual; frozen ones still go when nothing refers to them.
    """
    gc.collect()
    gc.freeze()

"""Bench-only WSGI modules for gunicorn (never imported by the application or its tests).

``app``: the real application from ``create_app`` plus one route answering a constant, so the
floor pays what every request pays (our before/after-request hooks, the login loaders, the
security headers) but no query and no serialisation. ``bare``: a plain ``Flask()`` with the same
constant route, the framework's own floor, for comparison.
"""

from __future__ import annotations

from flask import Flask

from app import create_app
from app.runtime import freeze_startup_objects

FLOOR_PATH = "/bench/floor"


def _constant() -> tuple[str, int, dict[str, str]]:
    return '{"ok": true}', 200, {"Content-Type": "application/json"}


app = create_app()
app.add_url_rule(FLOOR_PATH, "bench_floor", _constant)

bare = Flask("bench_bare")
bare.add_url_rule(FLOOR_PATH, "bench_floor", _constant)

freeze_startup_objects()  # as wsgi.py does

"""What a medication row does not hold: its route, who discontinued it and its earlier doses. They are
kept with the medication in the care plan's versions (JSON snapshots, written under the plan's row
lock), so each version carries them forward and a dose change never overwrites the dose before it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.care_team.plan import CarePlanVersion
from app.extensions import db

# The keys a medication's snapshot entry carries besides the row's columns.
EXTRA_KEYS = ("route", "discontinued_by", "history")


def latest(patient_id: int) -> dict[int, dict[str, Any]]:
    """Each medication's extras as the latest plan version has them, by medication id (one query)."""
    snapshot = db.session.scalar(
        select(CarePlanVersion.snapshot)
        .where(CarePlanVersion.patient_id == patient_id)
        .order_by(CarePlanVersion.version.desc())
        .limit(1)
    )
    found: dict[int, dict[str, Any]] = {}
    for med in (snapshot or {}).get("medications") or []:
        if isinstance(med, dict) and isinstance(med.get("id"), int):
            found[med["id"]] = {k: med[k] for k in EXTRA_KEYS if k in med}
    return found


def history_of(extras: dict[int, dict[str, Any]], med_id: int) -> list[dict[str, Any]]:
    """The medication's earlier doses, oldest first: ``{dose, frequency, since, until, changed_by, reason}``."""
    return list(extras.get(med_id, {}).get("history") or [])

"""A patient's "who viewed my record": the trail's entries with the names of those who made them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts.queries import names_by_id
from app.audit import queries


@dataclass(frozen=True)
class AccessRow:
    occurred_at: datetime
    who: str
    role: str | None
    what: str
    outcome: str


def record_access(patient_id: int, limit: int = 200) -> list[AccessRow]:
    """Everyone other than the patient who touched the patient's record, newest first; "System" when no
    person did."""
    entries = queries.record_access(patient_id, limit)
    names = names_by_id(e.actor_id for e in entries if e.actor_id is not None)
    return [AccessRow(e.occurred_at, _name(names, e.actor_id), e.role, e.what, e.outcome) for e in entries]


def _name(names: dict[int, str], actor_id: int | None) -> str:
    return names.get(actor_id, "System") if actor_id is not None else "System"

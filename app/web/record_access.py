"""A patient's "who viewed my record": the trail's entries with the names of those who made them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts.queries import people_by_id
from app.audit import queries


@dataclass(frozen=True)
class AccessRow:
    occurred_at: datetime
    who: str
    role: str | None
    what: str
    outcome: str


def record_access(patient_id: int, limit: int = 200) -> list[AccessRow]:
    """Everyone other than the patient who touched the patient's record, newest first, by name and role in
    words; "Harbor Mind (automatic)" when no person did, "A former staff member" for a removed account."""
    entries = queries.record_access(patient_id, limit)
    people = people_by_id(e.actor_id for e in entries if e.actor_id is not None)
    return [AccessRow(e.occurred_at, *_who(people, e.actor_id), e.what, e.outcome) for e in entries]


def _who(people: dict[int, tuple[str, str]], actor_id: int | None) -> tuple[str, str | None]:
    if actor_id is None:
        return "Harbor Mind (automatic)", None
    return people.get(actor_id, ("A former staff member", None))

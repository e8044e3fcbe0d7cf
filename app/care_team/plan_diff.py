"""What changed between two care-plan versions, in words a clinician or patient can read.

Pure: takes two version snapshots (``{"problems", "goals", "interventions", "medications"}`` as
stored in ``CarePlanVersion.snapshot``; ``None`` for "before the first version") and returns a list
of ``Change``. Rules:

* Plan items have no ids, so goals, problems and interventions are matched by their ``text`` first
  (same text = same item; its other fields are compared one by one); what is left unmatched on both
  sides at the same position is one item whose text was edited; the rest were added or removed.
* Medications have ids: a new id is "started", ``active`` → ``discontinued`` is "discontinued" (with
  the reason), any other field that differs is listed as changed.
* Order: problems, goals, interventions, medications; within a section in the new version's order,
  removals last.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

SECTIONS = (("problems", "problem"), ("goals", "goal"), ("interventions", "intervention"))
FIELDS = {
    "problem": ("text", "code", "status"),
    "goal": ("text", "target", "status"),
    "intervention": ("text", "modality", "owner_id"),
    "medication": ("name", "dose", "frequency", "instructions", "status", "reason"),
}
FIELD_LABELS = {"owner_id": "owner", "code": "ICD-10 code", "text": "wording", "frequency": "how often"}
# What an item stored before a field existed means (a problem without a status is active).
DEFAULTS: dict[str, dict[str, Any]] = {"problem": {"status": "active"}}


@dataclass(frozen=True)
class FieldChange:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Change:
    section: str  # problem | goal | intervention | medication
    kind: str  # added | removed | changed | started | discontinued
    item: str  # the item's text (or the medication's name), as it is now (as it was, when removed)
    fields: tuple[FieldChange, ...] = field(default_factory=tuple)
    reason: str | None = None  # a discontinued medication's reason

    def as_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "kind": self.kind,
            "item": self.item,
            "fields": [{"field": f.field, "before": f.before, "after": f.after} for f in self.fields],
            "reason": self.reason,
        }


def _field_changes(section: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    defaults = DEFAULTS.get(section, {})
    old, new = defaults | dict(old), defaults | dict(new)
    keys = list(FIELDS[section]) + sorted(
        (set(old) | set(new)) - set(FIELDS[section]) - {"id", "history", "discontinued_by"}
    )
    return tuple(FieldChange(k, old.get(k), new.get(k)) for k in keys if old.get(k) != new.get(k))


def _diff_items(section: str, old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> list[Change]:
    pairs: dict[int, int] = {}  # new index -> old index
    free_old = list(range(len(old)))
    for j, item in enumerate(new):  # 1. same text = same item
        for i in free_old:
            if old[i].get("text") == item.get("text"):
                pairs[j] = i
                free_old.remove(i)
                break
    for j in range(len(new)):  # 2. left over at the same position = the text was edited
        if j not in pairs and j in free_old:
            pairs[j] = j
            free_old.remove(j)
    changes = []
    for j, item in enumerate(new):
        if j not in pairs:
            changes.append(Change(section, "added", str(item.get("text", ""))))
            continue
        fields = _field_changes(section, old[pairs[j]], item)
        if fields:
            changes.append(Change(section, "changed", str(item.get("text", "")), fields))
    changes += [Change(section, "removed", str(old[i].get("text", ""))) for i in free_old]
    return changes


def _diff_medications(old: list[Mapping[str, Any]], new: list[Mapping[str, Any]]) -> list[Change]:
    before = {m.get("id"): m for m in old}
    changes = []
    for med in new:
        name = str(med.get("name", ""))
        previous = before.pop(med.get("id"), None)
        if previous is None:
            changes.append(Change("medication", "started", name, _started_fields(med)))
            continue
        fields = _field_changes("medication", previous, med)
        if previous.get("status") == "active" and med.get("status") == "discontinued":
            rest = tuple(f for f in fields if f.field not in {"status", "reason", "discontinued_at"})
            changes.append(Change("medication", "discontinued", name, rest, reason=med.get("reason")))
        elif fields:
            changes.append(Change("medication", "changed", name, fields))
    changes += [Change("medication", "removed", str(m.get("name", ""))) for m in before.values()]
    return changes


def _started_fields(med: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    return tuple(FieldChange(k, None, med.get(k)) for k in ("dose", "frequency") if med.get(k))


def diff_plans(old: Mapping[str, Any] | None, new: Mapping[str, Any]) -> list[Change]:
    """Everything that differs between two snapshots (``old`` None: the first version, all added)."""
    old = old or {}
    changes: list[Change] = []
    for key, section in SECTIONS:
        changes += _diff_items(section, list(old.get(key) or []), list(new.get(key) or []))
    changes += _diff_medications(list(old.get("medications") or []), list(new.get("medications") or []))
    return changes


def version_changes(snapshots: list[Mapping[str, Any]]) -> list[list[Change]]:
    """For snapshots oldest first: each one's changes against the one before it."""
    return [diff_plans(snapshots[i - 1] if i else None, s) for i, s in enumerate(snapshots)]


def _value(name: str, value: Any, names: Mapping[int, str]) -> str:
    if value is None or value == "":
        return "nothing"
    if name == "owner_id" and isinstance(value, int):
        return names.get(value, f"clinician #{value}")
    return str(value).replace("_", " ") if name == "status" else str(value)


def describe(change: Change, names: Mapping[int, str] | None = None) -> str:
    """One plain sentence (not HTML; escape it when rendering). ``names`` maps user ids to names."""
    names = names or {}
    section = change.section.capitalize()
    if change.kind == "added":
        return f"{section} added: “{change.item}”"
    if change.kind == "removed":
        return f"{section} removed: “{change.item}”"
    if change.kind == "started":
        detail = ", ".join(str(f.after) for f in change.fields)
        return f"Medication started: {change.item}" + (f" ({detail})" if detail else "")
    if change.kind == "discontinued":
        return f"Medication discontinued: {change.item}" + (f" — reason: {change.reason}" if change.reason else "")
    parts = [
        f"{FIELD_LABELS.get(f.field, f.field.replace('_', ' '))} "
        f"{_value(f.field, f.before, names)} → {_value(f.field, f.after, names)}"
        for f in change.fields
    ]
    return f"{section} changed: “{change.item}”: " + "; ".join(parts)

"""The problem list of the care plan, one problem at a time (the chart's forms): add, edit, resolve.

Each change is a care-plan change through ``service.patch_plan`` (the same lock, optimistic
``base_version``, audit row and commit as the API's PATCH) with a summary in words. Codes are checked
against the ICD-10-CM code set (``reference.icd10``, as the PATCH's ``Problem`` model does) and stored
with the code set's description; a resolved problem stays on the list with the day it was resolved.
Errors come back as ``Invalid`` with plain words per form field (``text``, ``code``).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.accounts.user import User
from app.care_team import access, service
from app.care_team.plan import CarePlan
from app.care_team.schemas import Problem
from app.db import utcnow
from app.errors import Invalid
from app.reference import icd10

MAX_TEXT = 2000


def code_error(code: str) -> str | None:
    """Why ``code`` cannot go on a problem list, in plain words; None for a billable ICD-10-CM code."""
    if icd10.lookup(code) is not None:
        return None
    written = icd10.normalise(code)
    under = [c for c, _ in icd10.search(written, limit=4) if c.startswith(written)] if written else []
    if under:
        return f"{written} is a group of codes, not one diagnosis: pick one of {', '.join(under)}."
    return f"{written or code} is not an ICD-10-CM diagnosis code. Search by code or words and pick one from the list."


def problem(text: str, code: str) -> dict[str, Any]:
    """An active problem as the plan stores it (the PATCH's ``Problem``); ``Invalid`` with plain words.
    Without a text, a valid code's description is the text."""
    text, code = text.strip(), code.strip()
    errors: dict[str, str] = {}
    if code and (why := code_error(code)):
        errors["code"] = why
    if not text and not (code and "code" not in errors):
        errors["text"] = "Name the problem, or pick a code and its description is used."
    elif len(text) > MAX_TEXT:
        errors["text"] = f"Keep the problem under {MAX_TEXT:,} characters."
    if errors:
        raise Invalid(errors)
    return Problem(text=text or icd10.lookup(code) or code, code=code or None).model_dump(mode="json")


def _label(p: dict[str, Any]) -> str:
    return f"{p['code']} {p['text']}" if p.get("code") else str(p.get("text", ""))


def _current(user: User, patient_id: int, base_version: int) -> CarePlan:
    """The plan when ``user`` may change it and nobody changed it since ``base_version`` (a conflict otherwise)."""
    access.team_only(user, patient_id)  # 403 for the patient, 404 for anyone else: before reading the input
    plan = service.plan_of(patient_id)
    if plan.version != base_version:
        raise service.VersionConflict(current_version=plan.version)
    return plan


def _item(plan: CarePlan, index: int) -> dict[str, Any]:
    if not 0 <= index < len(plan.problems or []):
        raise Invalid({"problem": "That problem is no longer on the list: reload the page."})
    return dict(plan.problems[index])


def add(
    user: User, patient_id: int, base_version: int, text: str, code: str, now: datetime | None = None
) -> dict[str, Any]:
    plan = _current(user, patient_id, base_version)
    new = problem(text, code)
    service.patch_plan(user, patient_id, base_version, {"problems": [*(plan.problems or []), new]}, now,
                       summary=f"problem added: {_label(new)}")  # fmt: skip
    return new


def edit(
    user: User, patient_id: int, index: int, base_version: int, text: str, code: str, now: datetime | None = None
) -> dict[str, Any]:
    """Change a problem's wording or code; its status (and day resolved) stay."""
    plan = _current(user, patient_id, base_version)
    old = _item(plan, index)
    new = problem(text, code) | {"status": old.get("status", "active"), "resolved_on": old.get("resolved_on")}
    problems = [dict(p) for p in plan.problems]
    problems[index] = new
    service.patch_plan(user, patient_id, base_version, {"problems": problems}, now,
                       summary=f"problem edited: {_label(old)} → {_label(new)}")  # fmt: skip
    return new


def resolve(user: User, patient_id: int, index: int, base_version: int, now: datetime | None = None) -> dict[str, Any]:
    """Mark a problem resolved on the clinician's today; it stays on the list and in the history."""
    now = now or utcnow()
    plan = _current(user, patient_id, base_version)
    old = _item(plan, index)
    if old.get("status", "active") == "resolved":
        raise Invalid({"problem": "That problem is resolved already."})
    problems = [dict(p) for p in plan.problems]
    problems[index] = old | {"status": "resolved", "resolved_on": _today(user, now).isoformat()}
    service.patch_plan(user, patient_id, base_version, {"problems": problems}, now,
                       summary=f"problem resolved: {_label(old)}")  # fmt: skip
    return problems[index]


def _today(user: User, now: datetime) -> date:
    return now.astimezone(ZoneInfo(user.timezone or "UTC")).date()

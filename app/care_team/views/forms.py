"""Reading the care pages' forms, shared by the page modules: which questionnaire, its answers, and
where to go back to."""

from __future__ import annotations

from collections.abc import Mapping

from app.care_team.measures import GAD7_ITEMS, PHQ9_ITEMS, Instrument
from app.reference import icd10

QUESTIONS = {Instrument.PHQ9: PHQ9_ITEMS, Instrument.GAD7: GAD7_ITEMS}
ANSWERS = {"0", "1", "2", "3"}


def instrument_from(values: Mapping[str, str]) -> Instrument:
    """The questionnaire the form or query names; PHQ-9 unless it names another we know."""
    chosen = values.get("instrument")
    return Instrument(chosen) if chosen in QUESTIONS else Instrument.PHQ9


def answers_from(form: Mapping[str, str], instrument: Instrument) -> tuple[list[int], set[int]]:
    """The answers ``q0``, ``q1``, ... as numbers, and the indexes of the questions not answered 0-3
    (the answers are empty when any is missing)."""
    raw = [form.get(f"q{i}", "") for i in range(len(QUESTIONS[instrument]))]
    missing = {i for i, v in enumerate(raw) if v not in ANSWERS}
    return ([] if missing else [int(v) for v in raw]), missing


def back_to(form: Mapping[str, str], default: str) -> str:
    """Where to go after a form: the page it came from (a local path only), else ``default``."""
    target = form.get("next", "")
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else default


def icd10_search(args: Mapping[str, str]) -> dict[str, object]:
    """The problem form's code search without JavaScript (``?icd_q=``), and the code picked from its
    results (``?code=``): what the chart template shows in the problems section."""
    q = args.get("icd_q", "").strip()[:100]
    picked = args.get("code", "").strip()[:10]
    results = icd10.search(q, 20) if len(q) >= 2 else []
    description = icd10.lookup(picked) if picked else None
    return {
        "q": q,
        "results": results,
        "code": icd10.normalise(picked) if description else "",
        "description": description,
    }

"""The coded diagnoses of a psychiatric evaluation's diagnosis section (pure: no Flask, no database).

One diagnosis per line; a line that starts with an ICD-10-CM code ("F33.1 Major depressive disorder,
recurrent, moderate", "F41.1 — worry most days") is a coded diagnosis, and its code must be a billable
one (checked against ``reference.icd10``, as the care plan's problems are). Other lines are free text
("rule out bipolar II") and stay in the note only. When the note is signed, its coded diagnoses go on
the patient's problem list.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.reference import icd10

SECTION = "diagnosis"
TEMPLATE = "psychiatric_evaluation"
# A code-shaped start of a line: a letter, two characters, then an optional dot and up to four more.
_LEADING_CODE = re.compile(r"^\s*([A-Za-z][0-9][0-9A-Za-z](?:\.?[0-9A-Za-z]{1,4})?)(?=$|[\s:,;()\-–—])")
_SEPARATORS = " \t:-–—,;"


@dataclass(frozen=True)
class Diagnosis:
    code: str  # CMS's written form, e.g. "F33.1"
    text: str  # the line's words after the code, else the code set's description
    description: str


def coded(text: str) -> tuple[list[Diagnosis], list[str]]:
    """The coded diagnoses of a diagnosis section, in order and each code once, and a plain-words
    problem for each line whose leading code is not a billable ICD-10-CM code."""
    found: list[Diagnosis] = []
    problems: list[str] = []
    seen: set[str] = set()
    for number, line in enumerate((text or "").splitlines(), start=1):
        match = _LEADING_CODE.match(line)
        if match is None:
            continue
        code = icd10.normalise(match.group(1))
        description = icd10.lookup(code)
        if description is None:
            under = [c for c, _ in icd10.search(code, limit=3) if c.startswith(code)]
            if under:
                problems.append(
                    f"line {number}: {code} is a group of codes, not one diagnosis (pick one of {', '.join(under)})"
                )
            elif not code[1:3].isdigit():
                continue  # not a code at all ("A1c of 5.4"): free text
            else:
                problems.append(f"line {number}: {code} is not an ICD-10-CM diagnosis code")
            continue
        if code in seen:
            continue
        seen.add(code)
        words = line[match.end() :].strip(_SEPARATORS).strip()
        found.append(Diagnosis(code, words[:2000] or description, description))
    return found, problems


def section_error(template: str, sections: dict[str, object]) -> dict[str, str]:
    """A field error for the diagnosis section of an evaluation when a leading code is not a valid one."""
    value = sections.get(SECTION)
    if template != TEMPLATE or not isinstance(value, str):
        return {}
    _, problems = coded(value)
    if not problems:
        return {}
    return {f"sections.{SECTION}": "Check the codes: " + "; ".join(problems) + ". Pick codes with the search."}

"""Note templates and which visit types they fit (pure: no Flask, no database).

The codes are the public contract (``template`` in ``POST /api/v1/appointments/{id}/note``); each template
is an ordered list of sections, stored as ``{section key: text}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final


@dataclass(frozen=True)
class NoteTemplate:
    code: str
    name: str
    sections: tuple[tuple[str, str], ...]  # (key, label)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(key for key, _ in self.sections)


TEMPLATES: Final[dict[str, NoteTemplate]] = {
    t.code: t
    for t in (
        NoteTemplate(
            "psychiatric_evaluation",
            "Psychiatric evaluation",
            (
                ("chief_complaint", "Chief complaint"),
                ("hpi", "History of present illness"),
                ("psychiatric_history", "Psychiatric history"),
                ("medical_history", "Medical history"),
                ("family_history", "Family history"),
                ("social_history", "Social history"),
                ("mental_status_exam", "Mental status exam"),
                ("risk_assessment", "Risk assessment"),
                ("diagnosis", "Diagnosis"),
                ("plan", "Plan"),
            ),
        ),
        NoteTemplate(
            "medication_management",
            "Medication management",
            (
                ("interval_history", "Interval history"),
                ("side_effects", "Side effects"),
                ("adherence", "Adherence"),
                ("mental_status_exam", "Mental status exam"),
                ("plan", "Plan"),
            ),
        ),
        NoteTemplate(
            "soap",
            "Therapy session: SOAP",
            (("subjective", "Subjective"), ("objective", "Objective"), ("assessment", "Assessment"), ("plan", "Plan")),
        ),
        NoteTemplate("dap", "Therapy session: DAP", (("data", "Data"), ("assessment", "Assessment"), ("plan", "Plan"))),
        NoteTemplate(
            "birp",
            "Therapy session: BIRP",
            (("behavior", "Behavior"), ("intervention", "Intervention"), ("response", "Response"), ("plan", "Plan")),
        ),
        NoteTemplate(
            "consultation",
            "Initial consultation",
            (("reason", "Reason for consultation"), ("recommendation", "Recommendation")),
        ),
    )
}

# Visit type (app.booking.types codes) -> the templates that fit it, the first being the default.
FITTING: Final[dict[str, tuple[str, ...]]] = {
    "psychiatric_evaluation": ("psychiatric_evaluation",),
    "medication_management": ("medication_management",),
    "therapy_session": ("soap", "dap", "birp"),
    "initial_consultation": ("consultation",),
}

MAX_SECTION_CHARS: Final = 20_000


def fitting(visit_type: str) -> list[NoteTemplate]:
    return [TEMPLATES[code] for code in FITTING.get(visit_type, ())]


def misfit(template: str, visit_type: str) -> str | None:
    """Why ``template`` cannot document a ``visit_type`` visit, or None when it fits."""
    if template in FITTING.get(visit_type, ()):
        return None
    names = ", ".join(FITTING.get(visit_type, ())) or "none"
    return f"does not fit this visit type ({visit_type}); use one of: {names}"


def section_errors(template: str, sections: dict[str, Any]) -> dict[str, str]:
    """Field errors (``sections.<key>``) for keys the template does not have or values that are not text."""
    keys = TEMPLATES[template].keys
    errors: dict[str, str] = {}
    for key, value in sections.items():
        if key not in keys:
            errors[f"sections.{key}"] = f"not a section of this template ({', '.join(keys)})"
        elif not isinstance(value, str):
            errors[f"sections.{key}"] = "must be text"
        elif len(value) > MAX_SECTION_CHARS:
            errors[f"sections.{key}"] = f"at most {MAX_SECTION_CHARS} characters"
    return errors


def merged(template: str, current: dict[str, Any], changes: dict[str, str]) -> dict[str, str]:
    """Every section of the template, in its order: the changed text, else the current, else empty."""
    return {
        key: (changes[key] if key in changes else str(current.get(key) or "")).strip()
        for key in TEMPLATES[template].keys
    }

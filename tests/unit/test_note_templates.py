"""Note templates: which fit which visit type, and the checks on their sections."""

from __future__ import annotations

from app.booking.types import TYPES
from app.notes.note_templates import FITTING, TEMPLATES, fitting, merged, misfit, section_errors


def test_every_visit_type_has_a_fitting_template_and_every_template_a_visit_type():
    assert set(FITTING) == set(TYPES)
    assert {code for codes in FITTING.values() for code in codes} == set(TEMPLATES)
    assert [t.code for t in fitting("therapy_session")] == ["soap", "dap", "birp"]
    assert fitting("unknown") == []


def test_a_template_fits_only_its_visit_types():
    assert misfit("psychiatric_evaluation", "psychiatric_evaluation") is None
    assert misfit("dap", "therapy_session") is None
    assert misfit("consultation", "initial_consultation") is None
    assert "soap, dap, birp" in (misfit("psychiatric_evaluation", "therapy_session") or "")
    assert misfit("soap", "medication_management") is not None
    assert misfit("consultation", "psychiatric_evaluation") is not None


def test_the_evaluation_has_the_sections_clinicians_expect():
    assert TEMPLATES["psychiatric_evaluation"].keys == (
        "chief_complaint", "hpi", "psychiatric_history", "medical_history", "family_history", "social_history",
        "mental_status_exam", "risk_assessment", "diagnosis", "plan",
    )  # fmt: skip
    assert TEMPLATES["medication_management"].keys == (
        "interval_history", "side_effects", "adherence", "mental_status_exam", "plan",
    )  # fmt: skip
    assert TEMPLATES["birp"].keys == ("behavior", "intervention", "response", "plan")


def test_section_errors_name_the_section():
    assert section_errors("dap", {"data": "ok", "plan": ""}) == {}
    errors = section_errors("dap", {"subjective": "x", "plan": 3, "data": "y" * 20_001})
    assert set(errors) == {"sections.subjective", "sections.plan", "sections.data"}


def test_merged_keeps_the_template_order_and_the_untouched_sections():
    assert merged("dap", {"data": "old", "plan": "keep"}, {"data": " new "}) == {
        "data": "new", "assessment": "", "plan": "keep",
    }  # fmt: skip

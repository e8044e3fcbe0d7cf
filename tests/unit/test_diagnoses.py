"""The evaluation's diagnosis section: lines that start with an ICD-10-CM code are coded diagnoses (the
code checked), other lines free text (app/notes/diagnoses.py)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.notes.diagnoses import Diagnosis, coded, section_error

MDD = "Major depressive disorder, recurrent, moderate"


def test_leading_codes_are_diagnoses_with_their_words_or_the_code_sets_description() -> None:
    found, problems = coded(f"F33.1 {MDD}\nf411 — worry most days\n  F43.23: after the move\nrule out bipolar II")
    assert problems == []
    assert found == [
        Diagnosis("F33.1", MDD, MDD),
        Diagnosis("F41.1", "worry most days", "Generalized anxiety disorder"),
        Diagnosis("F43.23", "after the move", "Adjustment disorder with mixed anxiety and depressed mood"),
    ]
    assert coded("F33.1")[0][0].text == MDD  # a bare code: the description is the text


def test_a_code_repeated_counts_once_and_free_text_is_not_a_code() -> None:
    found, problems = coded("F33.1 first\nF33.1 again\nA1c 5.4 normal\nMDD (F33.1) in words")
    assert [d.code for d in found] == ["F33.1"] and problems == []


def test_headings_and_unknown_codes_are_told_by_line_in_plain_words() -> None:
    _, problems = coded("F33 depression\nnothing\nF99.99 made up")
    assert problems[0].startswith("line 1: F33 is a group of codes, not one diagnosis (pick one of F33.")
    assert problems[1] == "line 3: F99.99 is not an ICD-10-CM diagnosis code"


def test_only_the_evaluations_diagnosis_section_is_checked() -> None:
    assert section_error("psychiatric_evaluation", {"diagnosis": "F33 x"})["sections.diagnosis"].startswith(
        "Check the codes: line 1: F33"
    )
    assert section_error("soap", {"diagnosis": "F33 x"}) == {}
    assert section_error("psychiatric_evaluation", {"plan": "F33 x"}) == {}


@given(st.text(max_size=200))
def test_any_text_gives_valid_codes_or_plain_problems(text: str) -> None:
    found, problems = coded(text)
    assert all(d.code and d.description and d.text for d in found)
    assert len({d.code for d in found}) == len(found)
    assert all(p.startswith("line ") for p in problems)

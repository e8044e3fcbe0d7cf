"""The intake's recommendation rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.intake.recommend import CRISIS_SIGN, PSYCHIATRY_SIGNS, THERAPY_SIGNS, Care, recommend

ALL_SIGNS = sorted(PSYCHIATRY_SIGNS) + sorted(THERAPY_SIGNS) + [CRISIS_SIGN]


def test_therapy_signs_alone_recommend_psychotherapy():
    rec = recommend({"patterns", "stress_grief_trauma"})
    assert rec.care is Care.THERAPY and not rec.crisis
    assert any("therapist can help" in r for r in rec.reasons)


def test_psychiatry_signs_alone_recommend_an_evaluation():
    assert recommend({"medication"}).care is Care.EVALUATION


def test_both_kinds_of_signs_recommend_both():
    assert recommend({"medication", "skills"}).care is Care.BOTH


def test_severe_scores_recommend_both_even_without_signs():
    assert recommend(set(), phq9_total=15).care is Care.BOTH
    assert recommend(set(), gad7_total=15).care is Care.BOTH
    assert recommend(set(), phq9_total=14).care is Care.THERAPY


def test_moderate_scores_with_a_psychiatry_sign_recommend_both():
    assert recommend({"therapy_not_enough"}, phq9_total=10).care is Care.BOTH
    assert recommend({"therapy_not_enough"}, phq9_total=9).care is Care.EVALUATION


def test_nothing_reported_still_gives_a_reason():
    rec = recommend(set())
    assert rec.care is Care.THERAPY and rec.reasons


def test_item9_or_the_self_harm_statement_raise_crisis_first():
    for rec in (recommend(set(), phq9_total=3, phq9_item9=1), recommend({CRISIS_SIGN})):
        assert rec.crisis and rec.care is Care.BOTH
        assert "988" in rec.reasons[0] and "911" in rec.reasons[0]
    assert not recommend(set(), phq9_total=3, phq9_item9=0).crisis


@given(st.sets(st.sampled_from(ALL_SIGNS)), st.integers(0, 27), st.integers(0, 3), st.integers(0, 21))
def test_every_answer_gets_a_recommendation_with_reasons(signs, phq9, item9, gad7):
    rec = recommend(signs, phq9_total=phq9, phq9_item9=item9, gad7_total=gad7)
    assert rec.reasons
    if rec.crisis or phq9 >= 15 or gad7 >= 15:
        assert rec.care is Care.BOTH
    if not (signs & set(PSYCHIATRY_SIGNS)) and not rec.crisis and phq9 < 15 and gad7 < 15:
        assert rec.care is Care.THERAPY

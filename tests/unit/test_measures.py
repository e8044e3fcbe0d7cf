"""PHQ-9/GAD-7 scoring at every band boundary, outcomes and caseload flags."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.care_team.measures import (
    InvalidAnswers,
    Measurement,
    caseload_flags,
    change_percent,
    is_remission,
    is_response,
    score_assessment,
    severity,
    summarize,
)

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
     (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe")],
)  # fmt: skip
def test_phq9_bands(total, band):
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    answers += [0] * (9 - len(answers))
    score = score_assessment("PHQ-9", answers)
    assert (score.total, score.severity) == (total, band)


@pytest.mark.parametrize(
    ("total", "band"),
    [(4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"), (15, "severe"), (21, "severe")],
)
def test_gad7_bands(total, band):
    assert severity("GAD-7", total) == band


def test_item9_positive_whatever_the_total():
    assert score_assessment("PHQ-9", [0] * 8 + [1]).item9_positive is True
    assert score_assessment("PHQ-9", [3] * 8 + [0]).item9_positive is False
    assert score_assessment("GAD-7", [1] * 7).item9_positive is None


@pytest.mark.parametrize(
    ("instrument", "answers"),
    [("PHQ-9", [0] * 8), ("PHQ-9", [0] * 10), ("GAD-7", [0] * 9), ("PHQ-9", [4] + [0] * 8),
     ("PHQ-9", [-1] + [0] * 8), ("GAD-7", [True] * 7), ("GAD-7", ["1"] * 7), ("BDI", [0] * 21), ("PHQ-9", None)],
)  # fmt: skip
def test_invalid_answers(instrument, answers):
    with pytest.raises(InvalidAnswers):
        score_assessment(instrument, answers)


@given(st.lists(st.integers(0, 3), min_size=9, max_size=9))
def test_phq9_total_is_the_sum_and_bands_are_monotone(answers):
    score = score_assessment("PHQ-9", answers)
    assert score.total == sum(answers)
    order = ["minimal", "mild", "moderate", "moderately_severe", "severe"]
    if score.total < 27:
        assert order.index(severity("PHQ-9", score.total)) <= order.index(severity("PHQ-9", score.total + 1))


def test_response_and_change():
    assert is_response(10, 5) is True and is_response(10, 6) is False and is_response(0, 0) is None
    assert change_percent(20, 5) == 75.0 and change_percent(0, 3) is None and change_percent(10, 12) == -20.0
    assert is_remission(4) and not is_remission(5)


def m(days_ago: float, total: int, item9: int = 0) -> Measurement:
    return Measurement(NOW - timedelta(days=days_ago), total, item9)


def test_flags():
    assert caseload_flags([], NOW) == ["no_recent_measure"]
    assert caseload_flags([m(80, 20), m(1, 9, item9=1)], NOW) == ["safety", "response"]
    assert caseload_flags([m(80, 20), m(1, 4)], NOW) == ["remission", "response"]
    assert caseload_flags([m(70, 20), m(1, 11)], NOW) == ["not_improving"]  # exactly 10 weeks
    assert caseload_flags([m(69, 20), m(1, 11)], NOW) == []
    assert caseload_flags([m(40, 12), m(30, 11)], NOW) == []  # 30 days ago is still recent
    assert caseload_flags([m(40, 12), m(30.5, 11)], NOW) == ["no_recent_measure"]


def test_summary():
    summary = summarize([m(1, 8), m(50, 16)], NOW, care_started_at=NOW - timedelta(days=55))
    assert (summary.baseline_phq9, summary.latest_phq9, summary.change_percent) == (16, 8, 50.0)
    assert summary.weeks_in_care == 7 and summary.flags == ("response",)

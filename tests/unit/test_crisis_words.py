"""The shared crisis rule (``app.reference.crisis``): the intake's statement and PHQ-9 item 9, and crisis
words in free text (secure messages)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.intake.recommend import recommend
from app.reference.crisis import CRISIS_SIGN, CRISIS_TEXT, signs_crisis, words_of_crisis


@pytest.mark.parametrize(
    "text",
    [
        CRISIS_TEXT,  # the intake's own statement, written as a message
        "Some days I think I’d be better off dead.",
        "I have been thinking about SUICIDE again",
        "i want to kill myself",
        "I keep hurting myself when it gets bad",
        "cutting myself helps for a moment",
        "I just want to end my life",
        "Honestly I want to die",
        "I don't want to live anymore",
        "I don’t want to wake up tomorrow",
        "There is no reason to live",
        "self-harm is back",
        "I took an overdose last night",
        "suicidal thoughts all week",
    ],
)
def test_crisis_words_are_found(text: str) -> None:
    assert words_of_crisis(text)


@pytest.mark.parametrize(
    "text",
    [
        "Could we move Thursday's session to the afternoon?",
        "I am killing it at work lately!",
        "The new dose makes me sleepy",
        "My skills practice is going well",
        "This traffic is killing me",
        "I'm dying to tell you about my week",
        "",
    ],
)
def test_ordinary_words_are_not_crisis(text: str) -> None:
    assert not words_of_crisis(text)


@given(st.text(max_size=300), st.text(max_size=300))
def test_a_crisis_phrase_is_found_wherever_it_sits_in_any_text(before: str, after: str) -> None:
    assert words_of_crisis(f"{before} I want to kill myself. {after}")


def test_the_intake_applies_the_same_rule() -> None:
    assert signs_crisis({CRISIS_SIGN}) and signs_crisis(set(), phq9_item9=1)
    assert not signs_crisis(set(), phq9_item9=0)
    assert recommend({CRISIS_SIGN}).crisis and recommend(set(), phq9_item9=2).crisis
    assert not recommend({"patterns"}, phq9_item9=0).crisis

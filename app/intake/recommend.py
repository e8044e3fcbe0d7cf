"""Which care fits: psychiatric evaluation, psychotherapy, or both. Pure: no Flask, no database.

The statements follow the common "consider psychiatry if / consider psychotherapy if" guidance;
PHQ-9 and GAD-7 bands add weight (moderately severe or severe symptoms usually do best with
medication and therapy together). Any sign of suicidal thinking raises ``crisis`` — the caller shows
988 and 911 first — and never blocks the recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.reference.crisis import CRISIS_SIGN, CRISIS_TEXT, signs_crisis


class Care(StrEnum):
    EVALUATION = "psychiatric_evaluation"
    THERAPY = "psychotherapy"
    BOTH = "both"


PSYCHIATRY_SIGNS: dict[str, str] = {
    "mood_swings": "I have severe mood swings, or I see or hear things others don't",
    "intense_anxiety": "My anxiety or low mood is so intense it gets in the way of work, school or daily life",
    "therapy_not_enough": "I have tried therapy and it has not been enough",
    "medication": "I take, or want to discuss, medication for a mental health condition",
}
THERAPY_SIGNS: dict[str, str] = {
    "patterns": "I want to understand my emotional patterns or relationships",
    "stress_grief_trauma": "I am dealing with stress, grief or something painful from the past",
    "no_medication": "I would rather start without medication",
    "skills": "I want practical tools for communication, boundaries or handling emotions",
}
# The crisis rule is shared with every domain that hears from a patient (messaging too): app.reference.crisis.
__all__ = ["CRISIS_SIGN", "CRISIS_TEXT", "PSYCHIATRY_SIGNS", "THERAPY_SIGNS", "Care", "Recommendation", "recommend"]


@dataclass(frozen=True)
class Recommendation:
    care: Care
    reasons: tuple[str, ...]
    crisis: bool


def recommend(
    signs: set[str], *, phq9_total: int | None = None, phq9_item9: int | None = None, gad7_total: int | None = None
) -> Recommendation:
    psychiatry = [PSYCHIATRY_SIGNS[s] for s in PSYCHIATRY_SIGNS if s in signs]
    therapy = [THERAPY_SIGNS[s] for s in THERAPY_SIGNS if s in signs]
    crisis = signs_crisis(signs, phq9_item9)
    severe = (phq9_total or 0) >= 15 or (gad7_total or 0) >= 15
    moderate = not severe and ((phq9_total or 0) >= 10 or (gad7_total or 0) >= 10)
    reasons: list[str] = []

    if crisis:
        reasons.append(
            "You told us about thoughts of death or self-harm. Please reach out now: call or text 988, "
            "or call 911 if you are in danger. A psychiatric evaluation and a therapist can then help together."
        )
    if severe:
        reasons.append("Your answers suggest strong symptoms. For symptoms this strong, medication and therapy "
                       "together usually work better than either alone.")  # fmt: skip
    elif moderate:
        reasons.append("Your answers suggest moderate symptoms. Therapy helps most people with symptoms like these; "
                       "an evaluation can tell whether medication would add to it.")  # fmt: skip
    if psychiatry:
        reasons.append(
            "A psychiatric prescriber can help because you said: " + "; ".join(s.lower() for s in psychiatry) + "."
        )
    if therapy:
        said = "; ".join(f"“{s}”" for s in therapy)
        reasons.append(f"A therapist can help with what you told us: {said}.")

    if crisis or severe or (psychiatry and (therapy or moderate)):
        care = Care.BOTH
    elif psychiatry:
        care = Care.EVALUATION
    else:
        care = Care.THERAPY
    if not reasons:
        reasons.append("Nothing you told us points to medication. Talking with a therapist is a good place to start; "
                       "you can add a psychiatric evaluation at any time.")  # fmt: skip
    return Recommendation(care=care, reasons=tuple(reasons), crisis=crisis)

"""The intake result as the chart header shows it (``care_team.intake_port``)."""

from __future__ import annotations

from app.care_team import intake_port
from app.intake.recommend import CRISIS_SIGN, CRISIS_TEXT, PSYCHIATRY_SIGNS, THERAPY_SIGNS
from app.intake.service import latest

WORDS = PSYCHIATRY_SIGNS | THERAPY_SIGNS | {CRISIS_SIGN: CRISIS_TEXT}


def summary(patient_id: int) -> intake_port.IntakeSummary | None:
    result = latest(patient_id)
    if result is None:
        return None
    return intake_port.IntakeSummary(
        created_at=result.created_at,
        recommendation=result.care,
        reasons=list(result.reasons),
        signs=[WORDS.get(s, s) for s in result.signs],
        phq9_total=result.phq9_total,
        gad7_total=result.gad7_total,
        crisis=result.crisis,
    )


def connect() -> None:
    intake_port.provide(summary)

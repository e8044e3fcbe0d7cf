"""PHQ-9 and GAD-7: items, scoring, severity bands, treat-to-target outcomes and caseload flags.

Pure: no Flask, no database. Facts from the clinical reference: items 0–3; PHQ-9 bands 0–4 minimal,
5–9 mild, 10–14 moderate, 15–19 moderately severe, 20–27 severe; GAD-7 bands 0–4, 5–9, 10–14,
15–21; response is the integer rule ``2 * latest <= baseline`` (undefined for a baseline of 0);
remission is a PHQ-9 under 5; item 9 above 0 needs same-day follow-up whatever the total.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

ANSWER_LABELS = ("Not at all", "Several days", "More than half the days", "Nearly every day")

PHQ9_ITEMS = (
    "Little interest or pleasure in doing things",
    "Feeling down, depressed, or hopeless",
    "Trouble falling or staying asleep, or sleeping too much",
    "Feeling tired or having little energy",
    "Poor appetite or overeating",
    "Feeling bad about yourself — or that you are a failure or have let yourself or your family down",
    "Trouble concentrating on things, such as reading the newspaper or watching television",
    "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety "
    "or restless that you have been moving around a lot more than usual",
    "Thoughts that you would be better off dead or of hurting yourself in some way",
)
GAD7_ITEMS = (
    "Feeling nervous, anxious or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid as if something awful might happen",
)
LOINC = {"PHQ-9": {"panel": "44249-1", "total": "44261-6", "item9": "44260-8"},
         "GAD-7": {"panel": "69737-5", "total": "70274-6"}}  # fmt: skip

_BANDS = {
    "PHQ-9": ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately_severe"), (27, "severe")),
    "GAD-7": ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")),
}
ITEM_COUNT = {"PHQ-9": len(PHQ9_ITEMS), "GAD-7": len(GAD7_ITEMS)}


class InvalidAnswers(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int
    severity: str
    item9_positive: bool | None  # PHQ-9 only


def severity(instrument: str, total: int) -> str:
    for upper, name in _BANDS[instrument]:
        if total <= upper:
            return name
    raise InvalidAnswers("total out of range")


def score_assessment(instrument: str, answers: Sequence[int]) -> Score:
    """Validate and score one questionnaire; ``InvalidAnswers`` says what is wrong."""
    if instrument not in ITEM_COUNT:
        raise InvalidAnswers("instrument must be PHQ-9 or GAD-7")
    if not isinstance(answers, (list, tuple)) or len(answers) != ITEM_COUNT[instrument]:
        raise InvalidAnswers(f"{instrument} needs exactly {ITEM_COUNT[instrument]} answers")
    for answer in answers:
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer <= 3:
            raise InvalidAnswers("each answer must be a whole number from 0 to 3")
    total = sum(answers)
    item9 = answers[8] > 0 if instrument == "PHQ-9" else None
    return Score(instrument, total, severity(instrument, total), item9)


def change_percent(baseline: int | None, latest: int | None) -> float | None:
    """(baseline - latest) / baseline * 100, positive meaning better; None without a baseline above 0."""
    if not baseline or latest is None:
        return None
    return round((baseline - latest) / baseline * 100, 1)


def is_response(baseline: int | None, latest: int | None) -> bool | None:
    if not baseline or latest is None:
        return None
    return 2 * latest <= baseline


def is_remission(latest: int | None) -> bool:
    return latest is not None and latest < 5


@dataclass(frozen=True)
class Measurement:
    taken_at: datetime
    total: int
    item9: int


@dataclass(frozen=True)
class CaseloadSummary:
    baseline_phq9: int | None
    latest_phq9: int | None
    change_percent: float | None
    weeks_in_care: int
    flags: tuple[str, ...]


def caseload_flags(history: Sequence[Measurement], now: datetime, not_improving_weeks: int = 10,
                   recent_days: int = 30) -> list[str]:  # fmt: skip
    """Flags in the contract's order. With one measurement baseline and latest are the same, so
    ``not_improving`` can fire once ten weeks pass without a follow-up score."""
    ordered = sorted(history, key=lambda m: m.taken_at)
    if not ordered:
        return ["no_recent_measure"]
    baseline, latest = ordered[0], ordered[-1]
    flags = []
    if latest.item9 > 0:
        flags.append("safety")
    if is_remission(latest.total):
        flags.append("remission")
    responded = len(ordered) > 1 and bool(is_response(baseline.total, latest.total))
    if responded:
        flags.append("response")
    if now - baseline.taken_at >= timedelta(weeks=not_improving_weeks) and not responded:
        flags.append("not_improving")
    if now - latest.taken_at > timedelta(days=recent_days):
        flags.append("no_recent_measure")
    return flags


def summarize(history: Sequence[Measurement], now: datetime, care_started_at: datetime) -> CaseloadSummary:
    ordered = sorted(history, key=lambda m: m.taken_at)
    baseline = ordered[0].total if ordered else None
    latest = ordered[-1].total if ordered else None
    weeks = max(0, (now - care_started_at).days // 7)
    return CaseloadSummary(baseline, latest, change_percent(baseline, latest), weeks,
                           tuple(caseload_flags(ordered, now)))  # fmt: skip

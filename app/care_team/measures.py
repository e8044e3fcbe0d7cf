"""PHQ-9 and GAD-7: items, scoring, severity bands, treat-to-target outcomes, caseload flags, CoCM codes.

Pure (standard library only). Rules, from docs/clinical-reference.md and the API contract:

* Every item is answered 0..3. PHQ-9 has 9 items (total 0..27), GAD-7 has 7 (total 0..21).
* PHQ-9 bands 0–4 minimal, 5–9 mild, 10–14 moderate, 15–19 moderately_severe, 20–27 severe;
  GAD-7 bands 0–4 minimal, 5–9 mild, 10–14 moderate, 15–21 severe.
* PHQ-9 item 9 above 0 needs same-day follow-up whatever the total.
* Response: ``2 * latest <= baseline`` (integers, no floats); undefined (None) for a baseline of 0.
  Remission: a PHQ-9 under 5. ``change_percent`` = (baseline - latest) / baseline * 100, positive = better.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum


class Instrument(StrEnum):
    PHQ9 = "PHQ-9"
    GAD7 = "GAD-7"


ITEM_STEM = "Over the last 2 weeks, how often have you been bothered by any of the following problems?"
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
    "Feeling nervous, anxious, or on edge",
    "Not being able to stop or control worrying",
    "Worrying too much about different things",
    "Trouble relaxing",
    "Being so restless that it is hard to sit still",
    "Becoming easily annoyed or irritable",
    "Feeling afraid, as if something awful might happen",
)

# LOINC: 44260-8 is PHQ-9 item 9, not the total (some public code gets this wrong).
PHQ9_PANEL_LOINC, PHQ9_TOTAL_LOINC, PHQ9_ITEM9_LOINC = "44249-1", "44261-6", "44260-8"
GAD7_PANEL_LOINC, GAD7_TOTAL_LOINC = "69737-5", "70274-6"
# Keyed by ``Instrument`` members, which are the strings themselves: a plain "PHQ-9" finds them too.
LOINC: dict[str, dict[str, str]] = {
    Instrument.PHQ9: {"panel": PHQ9_PANEL_LOINC, "total": PHQ9_TOTAL_LOINC, "item9": PHQ9_ITEM9_LOINC},
    Instrument.GAD7: {"panel": GAD7_PANEL_LOINC, "total": GAD7_TOTAL_LOINC},
}

ITEM_COUNT: dict[str, int] = {Instrument.PHQ9: len(PHQ9_ITEMS), Instrument.GAD7: len(GAD7_ITEMS)}
# (highest total in the band, band name), lowest band first.
_BANDS: dict[str, tuple[tuple[int, str], ...]] = {
    Instrument.PHQ9: ((4, "minimal"), (9, "mild"), (14, "moderate"), (19, "moderately_severe"), (27, "severe")),
    Instrument.GAD7: ((4, "minimal"), (9, "mild"), (14, "moderate"), (21, "severe")),
}
SEVERITIES = {name: tuple(band for _, band in bands) for name, bands in _BANDS.items()}


class InvalidAnswers(ValueError):
    """Answers that cannot be scored; ``reason`` says why (shown to the user)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Score:
    instrument: str
    total: int
    severity: str
    item9_positive: bool | None  # PHQ-9 only; None for GAD-7


def severity(instrument: str, total: int) -> str:
    """The band name for a total; ``InvalidAnswers`` for an unknown instrument or a total out of range."""
    if instrument not in _BANDS:
        raise InvalidAnswers("instrument must be PHQ-9 or GAD-7")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise InvalidAnswers("total out of range")
    for upper, name in _BANDS[instrument]:
        if total <= upper:
            return name
    raise InvalidAnswers("total out of range")


def score_assessment(instrument: str, answers: Sequence[int]) -> Score:
    """Validate and score one questionnaire: total = sum of the answers.

    Raises ``InvalidAnswers`` for an unknown instrument, the wrong number of answers, or an answer that
    is not an ``int`` in 0..3 (``bool`` is rejected although it is an ``int`` subclass).
    """
    if instrument not in ITEM_COUNT:
        raise InvalidAnswers("instrument must be PHQ-9 or GAD-7")
    count = ITEM_COUNT[instrument]
    if not isinstance(answers, Sequence) or isinstance(answers, (str, bytes)) or len(answers) != count:
        raise InvalidAnswers(f"{instrument} needs exactly {count} answers")
    for answer in answers:
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer <= 3:
            raise InvalidAnswers("each answer must be a whole number from 0 to 3")
    total = sum(answers)
    item9 = answers[8] > 0 if instrument == Instrument.PHQ9 else None
    return Score(str(instrument), total, severity(instrument, total), item9)


def change_percent(baseline: int | None, latest: int | None) -> float | None:
    """(baseline - latest) / baseline * 100 to 1 decimal, positive = better; None without a baseline
    above 0 or without a latest score."""
    if not baseline or latest is None:
        return None
    return round((baseline - latest) / baseline * 100, 1)


def is_response(baseline: int | None, latest: int | None) -> bool | None:
    """Response = latest at most half the baseline, integer rule ``2 * latest <= baseline``.
    None (undefined) when the baseline is 0 or either score is missing."""
    if not baseline or latest is None:
        return None
    return 2 * latest <= baseline


def is_remission(latest: int | None) -> bool:
    """Remission = PHQ-9 below 5."""
    return latest is not None and latest < 5


@dataclass(frozen=True)
class Measurement:
    taken_at: datetime  # timezone-aware
    total: int
    item9: int


@dataclass(frozen=True)
class CaseloadSummary:
    baseline_phq9: int | None
    latest_phq9: int | None
    change_percent: float | None
    weeks_in_care: int
    flags: tuple[str, ...]


FLAGS = ("safety", "remission", "response", "not_improving", "no_recent_measure")


def caseload_flags(phq9_history: Sequence[Measurement], now: datetime, not_improving_weeks: int = 10,
                   recent_days: int = 30) -> list[str]:  # fmt: skip
    """Flags, always in the order of ``FLAGS``. Baseline = oldest PHQ-9, latest = newest.

    * ``safety``: latest item 9 > 0.  * ``remission``: latest total < 5.
    * ``response``: ``is_response(baseline, latest)`` is True and there are at least two measurements.
    * ``not_improving``: ``now - baseline.taken_at >= not_improving_weeks`` weeks and no response
      ("under 50 % improvement"; an undefined response, baseline 0, counts as no response). With a
      single measurement baseline == latest, so it fires once the weeks pass without a follow-up score.
    * ``no_recent_measure``: no PHQ-9 taken within the last ``recent_days`` days (exactly 30 days ago
      still counts as recent), or none ever.
    """
    ordered = sorted(phq9_history, key=lambda m: m.taken_at)
    if not ordered:
        return ["no_recent_measure"]
    baseline, latest = ordered[0], ordered[-1]
    responded = len(ordered) > 1 and is_response(baseline.total, latest.total) is True
    flags = []
    if latest.item9 > 0:
        flags.append("safety")
    if is_remission(latest.total):
        flags.append("remission")
    if responded:
        flags.append("response")
    if now - baseline.taken_at >= timedelta(weeks=not_improving_weeks) and not responded:
        flags.append("not_improving")
    if now - latest.taken_at > timedelta(days=recent_days):
        flags.append("no_recent_measure")
    return flags


def summarize(phq9_history: Sequence[Measurement], now: datetime, care_started_at: datetime,
              not_improving_weeks: int = 10, recent_days: int = 30) -> CaseloadSummary:  # fmt: skip
    """One caseload row; ``weeks_in_care`` = whole weeks since ``care_started_at`` (floor, at least 0)."""
    ordered = sorted(phq9_history, key=lambda m: m.taken_at)
    baseline = ordered[0].total if ordered else None
    latest = ordered[-1].total if ordered else None
    weeks = max(0, (now - care_started_at) // timedelta(weeks=1))
    flags = caseload_flags(ordered, now, not_improving_weeks, recent_days)
    return CaseloadSummary(baseline, latest, change_percent(baseline, latest), weeks, tuple(flags))


def caseload_sort_key(summary: CaseloadSummary) -> tuple[int, int]:
    """Sort key: ``safety`` rows first, then ``not_improving``, then the rest; within each group the
    highest latest PHQ-9 first and rows without any score last."""
    group = 0 if "safety" in summary.flags else 1 if "not_improving" in summary.flags else 2
    return group, -(summary.latest_phq9 if summary.latest_phq9 is not None else -1)


@dataclass(frozen=True)
class CocmBands:
    """Minute thresholds for CoCM codes in one calendar month (CPT midpoint rule; payers differ).

    A timed unit counts once more than half of it has passed: G2214 (30 min) from 16; 99492 (70 min,
    initial month) from 36; 99493 (60 min, later months) from 31; each 30-minute 99494 add-on once 16
    of its minutes have passed, i.e. the first from 70 + 16 = 86 (initial) or 60 + 16 = 76 (later),
    and one more every further 30 minutes (116, 146, ... / 106, 136, ...).
    """

    g2214_from: int = 16
    initial_base_from: int = 36
    later_base_from: int = 31
    initial_addon_from: int = 86
    later_addon_from: int = 76
    addon_step: int = 30

    def __post_init__(self) -> None:
        for base, addon in ((self.initial_base_from, self.initial_addon_from),
                            (self.later_base_from, self.later_addon_from)):  # fmt: skip
            if not 0 < self.g2214_from <= base < addon:
                raise ValueError("CoCM bands must satisfy 0 < G2214 <= base < add-on")
        if self.addon_step <= 0:
            raise ValueError("CoCM add-on step must be positive")


DEFAULT_BANDS = CocmBands()


def cocm_codes(minutes: int, initial_month: bool, bands: CocmBands = DEFAULT_BANDS, *,
               consent_on_file: bool) -> list[tuple[str, int]]:  # fmt: skip
    """(code, units) for the care-management minutes of one calendar month.

    ``consent_on_file`` has no default: every caller must say whether the patient's consent to
    collaborative care is on file. Nothing without it or under ``g2214_from`` minutes; G2214 below the base code;
    99492 (initial month) or 99493 (later months), never both; 99494 only as an add-on to the base code,
    ``1 + (minutes - addon_from) // addon_step`` units from ``addon_from`` on.
    """
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise ValueError("minutes must be a whole number of at least 0")
    if not consent_on_file or minutes < bands.g2214_from:
        return []
    base_code, base_from, addon_from = (
        ("99492", bands.initial_base_from, bands.initial_addon_from) if initial_month
        else ("99493", bands.later_base_from, bands.later_addon_from)
    )  # fmt: skip
    if minutes < base_from:
        return [("G2214", 1)]
    codes = [(base_code, 1)]
    if minutes >= addon_from:
        codes.append(("99494", 1 + (minutes - addon_from) // bands.addon_step))
    return codes


EPISODE_GAP_MONTHS = 6


def _month_index(day: date) -> int:
    return day.year * 12 + day.month - 1


def is_initial_month(month: date, previous_service_months: Iterable[date]) -> bool:
    """Whether ``month`` (any day in it) is the initial month of a CoCM episode.

    The first month with service is initial. An episode ends after 6 calendar months in a row with no
    CoCM service, so the next month of service is initial again: last service in January, none
    February–July, service in August → initial; service in July instead → not initial. Months in
    ``previous_service_months`` on or after ``month`` are ignored.
    """
    current = _month_index(month)
    earlier = [i for i in map(_month_index, previous_service_months) if i < current]
    return not earlier or current - max(earlier) - 1 >= EPISODE_GAP_MONTHS

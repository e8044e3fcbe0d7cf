"""The weekly "review with psychiatrist" list: for the psychiatric consultant (a prescriber), the
patients on their teams to talk through this week, each with the reason.

A patient is on the list when any of these holds (rules on top of ``care_team.measures``):

* ``safety``: the latest PHQ-9 has item 9 above 0;
* ``not_improving``: the caseload flag (10 weeks or more since the baseline PHQ-9 without a 50 %
  response);
* ``new``: the first PHQ-9 was taken within the last 4 weeks, or the patient joined the care team
  less than 4 weeks ago.

Order: safety first, then not improving, then new; within each, the highest latest PHQ-9 first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.accounts.user import User
from app.care_team import service
from app.care_team.measures import CaseloadSummary, Measurement, summarize
from app.db import utcnow
from app.errors import Forbidden
from app.reference.roles import ClinicalRole

NEW_WINDOW = timedelta(weeks=4)
REASON_ORDER = ("safety", "not_improving", "new")


class ConsultantOnly(Forbidden):
    code = "prescriber_only"
    message = "The review list is for the psychiatric consultant (a prescriber on the team)."


@dataclass(frozen=True)
class Reason:
    code: str  # safety | not_improving | new
    text: str


@dataclass(frozen=True)
class ReviewRow:
    patient: Any  # a row with ``id``, ``name`` and ``added_at`` (see ``service.team_phq9``)
    summary: CaseloadSummary
    reasons: tuple[Reason, ...]


def _day(at: datetime) -> str:
    return f"{at:%b} {at.day}, {at.year}"


def review_reasons(
    phq9_history: Sequence[Measurement], care_started_at: datetime, now: datetime, summary: CaseloadSummary
) -> list[Reason]:
    """Why this patient should be reviewed this week (empty: not on the list). Pure."""
    ordered = sorted(phq9_history, key=lambda m: m.taken_at)
    reasons = []
    if "safety" in summary.flags:
        reasons.append(Reason("safety", f"Latest PHQ-9 item 9 was {ordered[-1].item9} (thoughts of self-harm)"))
    if "not_improving" in summary.flags:
        weeks = (now - ordered[0].taken_at) // timedelta(weeks=1)
        change = f"{summary.change_percent} %" if summary.change_percent is not None else "no change measurable"
        reasons.append(
            Reason(
                "not_improving",
                f"Not improving: PHQ-9 {summary.baseline_phq9} → {summary.latest_phq9} ({change}) "
                f"after {weeks} weeks; under 50 % better",
            )
        )
    if ordered and now - ordered[0].taken_at < NEW_WINDOW:
        reasons.append(Reason("new", f"New: first PHQ-9 ({ordered[0].total}) on {_day(ordered[0].taken_at)}"))
    elif now - care_started_at < NEW_WINDOW:
        reasons.append(Reason("new", f"New: in care since {_day(care_started_at)}"))
    return reasons


def sort_key(row: ReviewRow) -> tuple[int, int]:
    first = min(REASON_ORDER.index(r.code) for r in row.reasons)
    latest = row.summary.latest_phq9
    return first, -(latest if latest is not None else -1)


def review_list(consultant: User, now: datetime | None = None) -> list[ReviewRow]:
    """The week's list for a prescriber; ``ConsultantOnly`` (403) for a therapist. Audited."""
    now = now or utcnow()
    if consultant.clinician is None or consultant.clinician.clinical_role != ClinicalRole.PRESCRIBER.value:
        raise ConsultantOnly()
    result = []
    for patient, history in service.team_phq9(consultant, "review_list.read"):
        summary = summarize(history, now, patient.added_at)
        reasons = review_reasons(history, patient.added_at, now, summary)
        if reasons:
            result.append(ReviewRow(patient, summary, tuple(reasons)))
    return sorted(result, key=sort_key)

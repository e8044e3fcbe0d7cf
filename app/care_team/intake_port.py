"""The chart header's window on the intake ("Which care fits me?"). The intake domain sits above the
care team, so the care team does not import it: it declares what it reads here and the intake plugs a
reader in at start-up (``app.intake.for_chart.connect``, called from ``create_app``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class IntakeSummary:
    created_at: datetime
    recommendation: str  # "psychiatric_evaluation", "psychotherapy" or "both"
    reasons: list[str]
    signs: list[str]  # the statements the patient chose, in their words
    phq9_total: int | None
    gad7_total: int | None
    crisis: bool


Reader = Callable[[int], IntakeSummary | None]
_reader: Reader = lambda _patient_id: None  # noqa: E731 - no intake plugged in: none shown


def provide(reader: Reader) -> None:
    global _reader
    _reader = reader


def latest(patient_id: int) -> IntakeSummary | None:
    """The patient's latest intake result (one query), or None."""
    return _reader(patient_id)

"""The visit types a patient's intake recommended, asked of the domain that knows: the intake sits
above booking, so booking asks through this port and the composition root (``create_app``) installs
the answer. Without one installed, nothing is recommended."""

from __future__ import annotations

from collections.abc import Callable, Collection


def _nothing(_patient_id: int) -> Collection[str]:
    return ()


_answer: Callable[[int], Collection[str]] = _nothing


def install(recommended_types: Callable[[int], Collection[str]]) -> None:
    """``recommended_types(patient_id)`` answers the appointment type codes the patient's latest
    intake recommends (empty when they took none)."""
    global _answer
    _answer = recommended_types


def recommended_types(patient_id: int) -> Collection[str]:
    return _answer(patient_id)

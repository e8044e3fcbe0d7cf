"""Scoring an intake and keeping it on the patient's record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from app.accounts.user import User
from app.audit import service as audit
from app.care_team.measures import Score, score_assessment
from app.extensions import db
from app.intake.recommend import CRISIS_SIGN, PSYCHIATRY_SIGNS, THERAPY_SIGNS, Care, Recommendation, recommend
from app.intake.result import IntakeResult

KNOWN_SIGNS = frozenset(PSYCHIATRY_SIGNS) | frozenset(THERAPY_SIGNS) | {CRISIS_SIGN}


@dataclass(frozen=True)
class IntakeOutcome:
    recommendation: Recommendation
    phq9: Score | None
    gad7: Score | None


def evaluate(signs: set[str], phq9: Sequence[int] | None, gad7: Sequence[int] | None) -> IntakeOutcome:
    """Score the questionnaires (raising ``InvalidAnswers`` for bad answers) and recommend."""
    phq9_score = score_assessment("PHQ-9", phq9) if phq9 is not None else None
    gad7_score = score_assessment("GAD-7", gad7) if gad7 is not None else None
    rec = recommend(
        signs & KNOWN_SIGNS,
        phq9_total=phq9_score.total if phq9_score else None,
        phq9_item9=phq9[8] if phq9 is not None else None,
        gad7_total=gad7_score.total if gad7_score else None,
    )
    return IntakeOutcome(rec, phq9_score, gad7_score)


def save(patient: User, signs: set[str], phq9: Sequence[int] | None, gad7: Sequence[int] | None,
         outcome: IntakeOutcome) -> IntakeResult:  # fmt: skip
    result = IntakeResult(
        patient_id=patient.id,
        care=outcome.recommendation.care.value,
        signs=sorted(signs & KNOWN_SIGNS),
        reasons=list(outcome.recommendation.reasons),
        phq9_answers=list(phq9) if phq9 is not None else None,
        gad7_answers=list(gad7) if gad7 is not None else None,
        phq9_total=outcome.phq9.total if outcome.phq9 else None,
        gad7_total=outcome.gad7.total if outcome.gad7 else None,
        crisis=outcome.recommendation.crisis,
    )
    db.session.add(result)
    db.session.flush()
    audit.record(
        "intake.create", actor=patient, patient_id=patient.id, object_type="intake_result", object_id=result.id
    )
    db.session.commit()
    return result


def latest(patient_id: int) -> IntakeResult | None:
    return db.session.scalar(
        db.select(IntakeResult).where(IntakeResult.patient_id == patient_id).order_by(IntakeResult.id.desc()).limit(1)
    )


# What each recommendation means for booking: the visit a member starts with at each kind of clinician.
VISITS_FOR_CARE: dict[str, tuple[str, ...]] = {
    Care.EVALUATION: ("psychiatric_evaluation",),
    Care.THERAPY: ("therapy_session",),
    Care.BOTH: ("psychiatric_evaluation", "therapy_session"),
}


def recommended_visit_types(patient_id: int) -> tuple[str, ...]:
    """The appointment type codes the patient's latest intake recommends (booking's default visit);
    empty when they took none."""
    found = latest(patient_id)
    return VISITS_FOR_CARE.get(found.care, ()) if found else ()

"""The appointment types (codes fixed by the public contract)."""

from __future__ import annotations

from dataclasses import dataclass

from app.reference.roles import ClinicalRole


@dataclass(frozen=True)
class AppointmentType:
    code: str
    name: str
    duration_minutes: int
    clinical_role: str | None  # None: any clinician
    requires_membership: bool


TYPES: dict[str, AppointmentType] = {
    t.code: t
    for t in (
        AppointmentType("initial_consultation", "Initial consultation", 20, None, False),
        AppointmentType("psychiatric_evaluation", "Psychiatric evaluation", 60, ClinicalRole.PRESCRIBER.value, True),
        AppointmentType("medication_management", "Medication management", 30, ClinicalRole.PRESCRIBER.value, True),
        AppointmentType("therapy_session", "Therapy session", 50, ClinicalRole.THERAPIST.value, True),
    )
}


def offered_by(clinical_role: str) -> list[AppointmentType]:
    return [t for t in TYPES.values() if t.clinical_role in (None, clinical_role)]

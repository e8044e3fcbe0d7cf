"""Request and response models of the care-team API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StringConstraints, model_validator

from app.reference import icd10
from app.validation import MAX_DB_ID, DbId

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
Short = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _icd10_code(value: str) -> str:
    if icd10.lookup(value) is None:
        written = icd10.normalise(value)
        under = [code for code, _ in icd10.search(written, limit=3) if code.startswith(written)]
        if under:  # a heading such as F33
            raise ValueError(f"{written} is not a billable ICD-10-CM code; codes under it: {', '.join(under)}")
        raise ValueError("not a billable ICD-10-CM code")
    return icd10.normalise(value)


class Problem(_Strict):
    """``code`` is stored as CMS writes it ("f331" becomes "F33.1") with the code set's ``description``;
    a ``description`` sent (a plan read and sent back) is replaced by the code set's."""

    text: Text
    code: Annotated[str, StringConstraints(max_length=10), AfterValidator(_icd10_code)] | None = None
    description: str | None = None
    status: Literal["active", "resolved"] = Field(
        default="active", description="A resolved problem stays on the list (and in the plan's history)."
    )
    resolved_on: date | None = Field(default=None, description="The day it was resolved; only when resolved.")

    @model_validator(mode="after")
    def _describe(self) -> Problem:
        self.description = icd10.lookup(self.code) if self.code else None
        if self.status == "active":
            self.resolved_on = None
        return self


class Goal(_Strict):
    text: Text
    target: Short | None = None
    status: Literal["active", "met", "not_met", "on_hold"] = "active"


class Intervention(_Strict):
    text: Text
    modality: Short | None = None
    owner_id: DbId | None = None


class PlanPatch(_Strict):
    base_version: StrictInt = Field(ge=0, le=MAX_DB_ID)
    problems: list[Problem] | None = Field(default=None, max_length=50)
    goals: list[Goal] | None = Field(default=None, max_length=50)
    interventions: list[Intervention] | None = Field(default=None, max_length=50)


class MedicationIn(_Strict):
    name: Short
    dose: Short
    frequency: Short
    instructions: Annotated[str, StringConstraints(max_length=2000)] = ""
    route: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    started_on: date | None = None  # the day the patient started it; today when not given
    confirm_duplicate: bool = False  # a second active medication of the same name needs this


class MedicationChangeIn(_Strict):
    dose: Short
    frequency: Short | None = None  # kept as it is when not given
    reason: Text


class DiscontinueIn(_Strict):
    reason: Text


class DoseOut(BaseModel):
    """An earlier dose: what it was, since when and who set it, until when and who changed it, why."""

    dose: str
    frequency: str
    since: datetime
    set_by: int | None
    until: datetime
    changed_by: int | None
    reason: str


class MedicationOut(BaseModel):
    id: int
    name: str
    dose: str
    frequency: str
    instructions: str
    status: str
    prescribed_by: int | None
    started_at: datetime
    discontinued_at: datetime | None
    reason: str | None
    route: str | None = None
    discontinued_by: int | None = None
    history: list[DoseOut] = Field(default_factory=list)  # earlier doses, oldest first


class TaskIn(_Strict):
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=300)]
    owner_id: DbId
    due: date | None = None  # due at the end of that day in the creator's time zone
    priority: Literal["normal", "urgent"] = "normal"


class TaskEventOut(BaseModel):
    """One row of a task's history, oldest first."""

    kind: Literal["opened", "repeat_positive_screen", "crisis_message", "done"] = Field(
        description="opened; repeat_positive_screen: another PHQ-9 with item 9 above 0 while the safety task "
        "was open (the task is not opened twice); crisis_message: the patient wrote a message in crisis words "
        "while it was open; done"
    )
    at: datetime
    actor_id: int | None = Field(description="who: the user who did it (null: the scheduler, or not recorded)")
    assessment_id: int | None = Field(description="the PHQ-9 check-in that opened or added to a safety task")
    score: int | None = Field(description="that check-in's PHQ-9 total")


class TaskOut(BaseModel):
    id: int
    patient_id: int
    owner_id: int
    title: str
    priority: Literal["normal", "urgent"]
    status: str
    kind: Literal["safety"] | None = Field(
        description="safety: the same-day follow-up after a PHQ-9 with item 9 above 0 (one open per patient "
        "and owner; a repeat positive answer is added to its history)"
    )
    due_at: datetime | None
    created_at: datetime
    history: list[TaskEventOut]


class PlanOut(BaseModel):
    patient_id: int
    version: int
    problems: list[dict]
    goals: list[dict]
    interventions: list[dict]
    medications: list[MedicationOut]
    updated_at: datetime | None
    updated_by: int | None


class FieldChangeOut(BaseModel):
    field: str
    before: str | int | None
    after: str | int | None


class PlanChangeOut(BaseModel):
    """One readable change against the previous version (see ``care_team.plan_diff``)."""

    section: Literal["problem", "goal", "intervention", "medication"]
    kind: Literal["added", "removed", "changed", "started", "discontinued"]
    item: str
    fields: list[FieldChangeOut]
    reason: str | None = None


class VersionOut(BaseModel):
    version: int
    updated_at: datetime
    updated_by: int | None
    summary: str
    changes: list[PlanChangeOut] = Field(default_factory=list)


class TeamMemberOut(BaseModel):
    clinician_id: int
    name: str
    clinical_role: str


class NoteIn(_Strict):
    body: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000)]


class NoteOut(BaseModel):
    id: int
    patient_id: int
    author_id: int | None
    body: str
    created_at: datetime


class AssessmentIn(_Strict):
    instrument: Literal["PHQ-9", "GAD-7"]
    # JSON numbers only: the string "2" or true is not an answer (the range 0..3 is the scorer's 422).
    answers: list[StrictInt] = Field(max_length=20)


class AssessmentOut(BaseModel):
    id: int
    instrument: str
    score: int
    severity: str
    created_at: datetime
    item9_positive: bool | None = None
    crisis_resources: dict | None = None


class AssessmentQuery(_Strict):
    instrument: Literal["PHQ-9", "GAD-7"] | None = None


class CaseloadRow(BaseModel):
    patient_id: int
    name: str
    baseline_phq9: int | None
    latest_phq9: int | None
    change_percent: float | None
    weeks_in_care: int
    flags: list[str]
    last_contact: datetime | None = None  # latest completed visit or check-in


class EmergencyIn(_Strict):
    reason: Annotated[str, StringConstraints(strip_whitespace=True, min_length=10, max_length=1000)]


class EmergencyOut(BaseModel):
    patient_id: int
    expires_at: datetime

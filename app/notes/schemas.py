"""Request and response models of the visit-notes API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from app.notes.note_templates import MAX_SECTION_CHARS

TemplateCode = Literal["psychiatric_evaluation", "medication_management", "soap", "dap", "birp", "consultation"]
SectionText = Annotated[str, StringConstraints(max_length=MAX_SECTION_CHARS)]
Sections = Annotated[dict[Annotated[str, StringConstraints(max_length=60)], SectionText], Field(max_length=20)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_SECTION_CHARS)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoteIn(_Strict):
    template: TemplateCode
    sections: Sections = Field(default_factory=dict, description="section key -> text; keys from the template")


class NotePatch(_Strict):
    sections: Sections = Field(description="the sections to change; the others are kept")


class AddendumIn(_Strict):
    text: LongText


class WithholdIn(_Strict):
    reason: Reason = Field(description="why access is reasonably likely to endanger someone (45 CFR 171.201)")


class PsychotherapyNoteIn(_Strict):
    text: Annotated[str, StringConstraints(max_length=MAX_SECTION_CHARS)]


class AddendumOut(BaseModel):
    id: int
    text: str
    author_id: int | None
    signed_at: datetime


class VisitNoteOut(BaseModel):
    id: int
    appointment_id: int
    patient_id: int
    template: str
    sections: dict[str, Any]
    status: Literal["draft", "signed"]
    author_id: int | None
    created_at: datetime
    updated_at: datetime
    signed_at: datetime | None = None
    signed_by: int | None = None
    withheld: bool = False
    withheld_at: datetime | None = None
    withheld_reason: str | None = None
    addenda: list[AddendumOut] = Field(default_factory=list)


class PsychotherapyNoteOut(BaseModel):
    appointment_id: int
    text: str
    author_id: int
    updated_at: datetime | None

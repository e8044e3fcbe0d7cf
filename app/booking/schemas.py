"""Request and response models of the booking API (they also generate the OpenAPI document)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, field_validator, model_validator

from app.booking.slots import parse_hhmm
from app.reference.roles import Modality
from app.validation import Day, DbId, Instant, StateCode, TimeZoneName

HHMM = Annotated[str, Field(pattern=r"^\d{2}:\d{2}$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IntervalIn(_Strict):
    start: HHMM
    end: HHMM

    @model_validator(mode="after")
    def _order(self) -> IntervalIn:
        try:
            start, end = parse_hhmm(self.start), parse_hhmm(self.end, allow_24=True)
        except ValueError as exc:
            raise ValueError("times are HH:MM from 00:00 to 23:59 (24:00 allowed as an end)") from exc
        if start >= end:
            raise ValueError("start must be before end")
        return self


class WeeklyIn(IntervalIn):
    weekday: StrictInt = Field(ge=0, le=6)


class OverrideIn(_Strict):
    date: Day
    intervals: list[IntervalIn] = Field(default_factory=list, max_length=24)


class AvailabilityDoc(BaseModel):
    timezone: str
    weekly: list[WeeklyIn]
    overrides: list[OverrideIn]
    gap_minutes: int
    slot_step_minutes: int
    min_notice_minutes: int
    horizon_days: int
    max_per_day: int | None


class AvailabilityPatch(_Strict):
    """Every field optional: a PUT changes only the fields it names. Only ``max_per_day`` may be
    sent as null (no daily limit); the others are optional but never null (their defaults are not
    validated, so "left out" stays distinguishable from a value)."""

    timezone: TimeZoneName = None  # type: ignore[assignment]
    weekly: list[WeeklyIn] = Field(default=None, max_length=100)  # type: ignore[assignment]
    overrides: list[OverrideIn] = Field(default=None, max_length=400)  # type: ignore[assignment]
    gap_minutes: StrictInt = Field(default=None, ge=0, le=240)  # type: ignore[assignment]
    slot_step_minutes: StrictInt = Field(default=None, ge=5, le=240)  # type: ignore[assignment]
    min_notice_minutes: StrictInt = Field(default=None, ge=0, le=60 * 24 * 30)  # type: ignore[assignment]
    horizon_days: StrictInt = Field(default=None, ge=0, le=365)  # type: ignore[assignment]
    max_per_day: StrictInt | None = Field(default=None, ge=1, le=48)

    @field_validator("overrides")
    @classmethod
    def _unique_dates(cls, value: list[OverrideIn] | None) -> list[OverrideIn] | None:
        if value is not None and len({o.date for o in value}) != len(value):
            raise ValueError("each date may have one override")
        return value


class ClinicianQuery(_Strict):
    clinical_role: Literal["prescriber", "therapist"] | None = None
    state: StateCode | None = None
    modality: Modality | None = None
    language: str | None = Field(default=None, max_length=40)


class ClinicianOut(BaseModel):
    id: int
    name: str
    credential: str
    clinical_role: str
    licensed_states: list[str]
    modalities: list[str]
    languages: list[str]
    timezone: str
    bio: str = ""


class AppointmentTypeOut(BaseModel):
    code: str
    name: str
    duration_minutes: int
    clinical_role: str | None
    requires_membership: bool


class SlotsQuery(_Strict):
    type: str = Field(max_length=40)
    from_: Day = Field(alias="from")
    to: Day
    tz: TimeZoneName | None = None

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    @model_validator(mode="after")
    def _range(self) -> SlotsQuery:
        if self.to < self.from_:
            raise ValueError("to must not be before from")
        if (self.to - self.from_).days + 1 > 62:
            raise ValueError("a range may cover at most 62 days")
        return self


class SlotOut(BaseModel):
    start: datetime
    end: datetime


class SlotsOut(BaseModel):
    timezone: str
    slots: list[SlotOut]


class BookRequest(_Strict):
    clinician_id: DbId
    type: str = Field(max_length=40)
    start: Instant
    # Optional: true records the patient's consent to coordinated care (app/booking/care_consent.py) in
    # the booking's transaction.
    care_consent: StrictBool | None = None


class RescheduleRequest(_Strict):
    start: Instant


class CancelRequest(_Strict):
    reason: str | None = Field(default=None, max_length=1000)


class AppointmentOut(BaseModel):
    id: int
    clinician_id: int
    patient_id: int
    type: str
    start: datetime
    end: datetime
    status: str
    video_url: str
    late_cancellation: bool | None = None


class CancelOut(BaseModel):
    status: str
    late: bool


class StatusOut(BaseModel):
    status: str

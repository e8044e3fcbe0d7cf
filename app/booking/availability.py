from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

DEFAULTS: dict[str, Any] = {
    "weekly": [], "overrides": [], "gap_minutes": 0, "slot_step_minutes": 30, "min_notice_minutes": 240,
    "horizon_days": 60, "max_per_day": None,
}  # fmt: skip


class ClinicianAvailability(db.Model):
    """A clinician's availability document (contract shape). The row is also the lock booking takes
    to serialise the check-then-insert for one clinician."""

    __tablename__ = "clinician_availability"

    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    weekly: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    overrides: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    gap_minutes: Mapped[int] = mapped_column(Integer, default=0)
    slot_step_minutes: Mapped[int] = mapped_column(Integer, default=30)
    min_notice_minutes: Mapped[int] = mapped_column(Integer, default=240)
    horizon_days: Mapped[int] = mapped_column(Integer, default=60)
    max_per_day: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    def document(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone, "weekly": self.weekly, "overrides": self.overrides,
            "gap_minutes": self.gap_minutes, "slot_step_minutes": self.slot_step_minutes,
            "min_notice_minutes": self.min_notice_minutes, "horizon_days": self.horizon_days,
            "max_per_day": self.max_per_day,
        }  # fmt: skip

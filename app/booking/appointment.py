from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class AppointmentStatus(StrEnum):
    """An appointment's status; the column stores the value."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"


STATUSES = tuple(AppointmentStatus)


class Appointment(db.Model):
    """A visit between one patient and one clinician.

    ``blocked_until`` is ``end_at`` plus the clinician's gap at booking time, so PostgreSQL's
    exclusion constraint (migration 0002) can forbid overlapping booked appointments of a clinician
    with an immutable range expression; another forbids overlaps for a patient.
    """

    __tablename__ = "appointments"
    __table_args__ = (
        CheckConstraint("status IN ('booked', 'cancelled', 'completed', 'no_show')", name="status_known"),
        CheckConstraint("end_at > start_at", name="ends_after_start"),
        Index("ix_appointments_clinician_id_start_at", "clinician_id", "start_at"),
        Index("ix_appointments_patient_id_start_at", "patient_id", "start_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    clinician_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(40))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    blocked_until: Mapped[datetime] = mapped_column(UTCDateTime())
    gap_minutes: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=AppointmentStatus.BOOKED.value)
    # The visit link's token (``/visits/<visit_token>``, the API's ``video_url``). It is not the video
    # provider's room: that is derived from it secretly (app.booking.video.room_name) and stored nowhere.
    # The column keeps its historical name ``video_room`` (from when the two were one value): renaming
    # it would mean rebuilding the table on SQLite, triggers and all, for a name.
    visit_token: Mapped[str] = mapped_column("video_room", String(64), unique=True)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    cancelled_late: Mapped[bool | None] = mapped_column(Boolean)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    patient_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # replied "C" to a reminder
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

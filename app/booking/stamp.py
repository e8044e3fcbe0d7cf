from __future__ import annotations

from sqlalchemy import BigInteger, Integer
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db


class ScheduleStamp(db.Model):
    """A random value that changes whenever anything a clinician's open slots are computed from
    changes: one of their appointments or their availability document.

    Database triggers (migration 0012) write it, so no code path can change a schedule without
    changing its stamp, bulk SQL and other instances included. Open-slot caches key on it. The
    value is random rather than a counter so that a restored backup or a rolled-back test can
    never bring back a stamp some cache already holds for other data. No foreign key: the row is
    written by triggers that may fire while a user is being deleted; an orphan is harmless.
    """

    __tablename__ = "schedule_stamps"

    clinician_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    stamp: Mapped[int] = mapped_column(BigInteger)

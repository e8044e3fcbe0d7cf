from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, cast

from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.reference.roles import Role

if TYPE_CHECKING:
    from app.accounts.clinician import ClinicianProfile
    from app.accounts.patient import PatientProfile

ROLE_VALUES = ", ".join(f"'{r.value}'" for r in Role)


class User(db.Model):
    """Anyone who signs in. The role decides which profile (if any) goes with the account."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(f"role IN ({ROLE_VALUES})", name="role_known"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    timezone: Mapped[str] = mapped_column(String(64), default="America/New_York")
    is_enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # Two-factor sign-in is confirmed (staff must enrol after their first login; patients may opt in).
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    patient: Mapped[PatientProfile | None] = relationship(back_populates="user", uselist=False)
    clinician: Mapped[ClinicianProfile | None] = relationship(back_populates="user", uselist=False)

    # Set by the auth layer for the request: the server-side session this user came in with.
    login_session_id = cast("str | None", None)  # a plain attribute, not a column (no annotation: the ORM would map it)
    # True while a browser session still owes its second factor (set by the session loader).
    mfa_pending = False

    # Flask-Login protocol -------------------------------------------------------------------
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.is_enabled

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # The cookie names the server-side session, never the user: ending that row ends the login.
        if not self.login_session_id:
            raise RuntimeError("user has no login session")
        return self.login_session_id

    @property
    def must_use_mfa(self) -> bool:
        """Staff always need a second factor; patients only once they chose one."""
        return self.role != Role.PATIENT or self.mfa_enabled

    def has_role(self, *roles: Role | str) -> bool:
        return self.role in {str(r) for r in roles}

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role}>"

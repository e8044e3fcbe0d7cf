from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.reference.roles import ClinicalRole, Credential

if TYPE_CHECKING:
    from app.accounts.user import User

_CREDENTIALS = ", ".join(f"'{c.value}'" for c in Credential)
_CLINICAL_ROLES = ", ".join(f"'{c.value}'" for c in ClinicalRole)


class ClinicianProfile(db.Model):
    """A clinician's public profile. ``clinical_role`` is derived from the credential and stored for queries."""

    __tablename__ = "clinician_profiles"
    __table_args__ = (
        CheckConstraint(f"credential IN ({_CREDENTIALS})", name="credential_known"),
        CheckConstraint(f"clinical_role IN ({_CLINICAL_ROLES})", name="clinical_role_known"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    credential: Mapped[str] = mapped_column(String(10))
    clinical_role: Mapped[str] = mapped_column(String(20), index=True)
    bio: Mapped[str] = mapped_column(Text, default="")

    user: Mapped[User] = relationship(back_populates="clinician")
    license_rows: Mapped[list[ClinicianLicense]] = relationship(
        cascade="all, delete-orphan", order_by="ClinicianLicense.state", lazy="selectin"
    )
    modality_rows: Mapped[list[ClinicianModality]] = relationship(
        cascade="all, delete-orphan", order_by="ClinicianModality.modality", lazy="selectin"
    )
    language_rows: Mapped[list[ClinicianLanguage]] = relationship(
        cascade="all, delete-orphan", order_by="ClinicianLanguage.language", lazy="selectin"
    )

    licensed_states: AssociationProxy[list[str]] = association_proxy(
        "license_rows", "state", creator=lambda state: ClinicianLicense(state=state)
    )
    modalities: AssociationProxy[list[str]] = association_proxy(
        "modality_rows", "modality", creator=lambda modality: ClinicianModality(modality=modality)
    )
    languages: AssociationProxy[list[str]] = association_proxy(
        "language_rows", "language", creator=lambda language: ClinicianLanguage(language=language)
    )


class ClinicianLicense(db.Model):
    """A state the clinician may see patients in; the directory and booking filter on it."""

    __tablename__ = "clinician_licenses"

    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinician_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    state: Mapped[str] = mapped_column(String(2), primary_key=True, index=True)


class ClinicianModality(db.Model):
    __tablename__ = "clinician_modalities"

    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinician_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    modality: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class ClinicianLanguage(db.Model):
    __tablename__ = "clinician_languages"

    clinician_id: Mapped[int] = mapped_column(
        ForeignKey("clinician_profiles.user_id", ondelete="CASCADE"), primary_key=True
    )
    language: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)

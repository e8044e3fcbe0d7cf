"""Roles, credentials and the reference lists (states, modalities) accounts are validated against."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    PATIENT = "patient"
    CLINICIAN = "clinician"
    BILLING_ADMIN = "billing_admin"
    ADMIN = "admin"


class ClinicalRole(StrEnum):
    PRESCRIBER = "prescriber"
    THERAPIST = "therapist"


class Credential(StrEnum):
    MD = "MD"
    DO = "DO"
    PMHNP = "PMHNP"
    PHD = "PhD"
    PSYD = "PsyD"
    LCSW = "LCSW"
    LMHC = "LMHC"
    LMFT = "LMFT"


CLINICAL_ROLE_BY_CREDENTIAL: dict[Credential, ClinicalRole] = {
    Credential.MD: ClinicalRole.PRESCRIBER,
    Credential.DO: ClinicalRole.PRESCRIBER,
    Credential.PMHNP: ClinicalRole.PRESCRIBER,
    Credential.PHD: ClinicalRole.THERAPIST,
    Credential.PSYD: ClinicalRole.THERAPIST,
    Credential.LCSW: ClinicalRole.THERAPIST,
    Credential.LMHC: ClinicalRole.THERAPIST,
    Credential.LMFT: ClinicalRole.THERAPIST,
}

CREDENTIAL_TITLES: dict[Credential, str] = {
    Credential.MD: "Psychiatrist (MD)",
    Credential.DO: "Psychiatrist (DO)",
    Credential.PMHNP: "Psychiatric nurse practitioner (PMHNP)",
    Credential.PHD: "Psychologist (PhD)",
    Credential.PSYD: "Psychologist (PsyD)",
    Credential.LCSW: "Licensed clinical social worker (LCSW)",
    Credential.LMHC: "Licensed mental health counselor (LMHC)",
    Credential.LMFT: "Licensed marriage and family therapist (LMFT)",
}


class Modality(StrEnum):
    CBT = "CBT"
    DBT = "DBT"
    PSYCHODYNAMIC = "psychodynamic"
    TRAUMA_INFORMED = "trauma_informed"
    FAMILY_COUPLES = "family_couples"
    MEDICATION_MANAGEMENT = "medication_management"


MODALITY_LABELS: dict[Modality, str] = {
    Modality.CBT: "Cognitive behavioral therapy (CBT)",
    Modality.DBT: "Dialectical behavior therapy (DBT)",
    Modality.PSYCHODYNAMIC: "Psychodynamic therapy",
    Modality.TRAUMA_INFORMED: "Trauma-informed care",
    Modality.FAMILY_COUPLES: "Family and couples therapy",
    Modality.MEDICATION_MANAGEMENT: "Medication management",
}

# The 50 states, DC and Puerto Rico: where US telehealth licensure is granted.
US_STATES: dict[str, str] = {
    "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas", "CA": "California",
    "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware", "DC": "District of Columbia",
    "FL": "Florida", "GA": "Georgia", "HI": "Hawaii", "ID": "Idaho", "IL": "Illinois",
    "IN": "Indiana", "IA": "Iowa", "KS": "Kansas", "KY": "Kentucky", "LA": "Louisiana",
    "ME": "Maine", "MD": "Maryland", "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota",
    "MS": "Mississippi", "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
    "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
    "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma", "OR": "Oregon",
    "PA": "Pennsylvania", "PR": "Puerto Rico", "RI": "Rhode Island", "SC": "South Carolina",
    "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah", "VT": "Vermont",
    "VA": "Virginia", "WA": "Washington", "WV": "West Virginia", "WI": "Wisconsin", "WY": "Wyoming",
}  # fmt: skip

# Zones offered first in pickers; any IANA name is accepted.
COMMON_US_TIMEZONES: tuple[str, ...] = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
)  # fmt: skip

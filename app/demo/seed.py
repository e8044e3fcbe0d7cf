"""Seed a small practice: clinicians of every credential across a few states, patients, staff, and
the patients' care so far (``stories.py``: visits, check-ins, plans, medications, notes, minutes).

Idempotent: each account is created only when its e-mail is not taken, and each part of a patient's
care only when they have none of it, through the same services the app uses, so the demo data
obeys every rule real data does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app

from app.accounts import service as accounts
from app.accounts.schemas import ClinicianCreate, PatientSignup, StaffCreate
from app.billing.demo import simulate as demo_billing
from app.booking import service as booking
from app.booking.availability import ClinicianAvailability
from app.db import utcnow
from app.demo import history, visit_notes
from app.demo.stories import STORIES
from app.extensions import db
from app.reference.roles import CLINICAL_ROLE_BY_CREDENTIAL, Credential

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 - printed for the local demo on purpose
DOMAIN = "demo-clinic.example.com"

CLINICIANS = [
    ("psychiatrist", "Dr. Maya Chen", "MD", ["NY", "NJ", "CA", "WA"], ["medication_management"],
     "America/New_York", ["English", "Mandarin"],
     "Board-certified psychiatrist focused on depression, anxiety and bipolar disorder."),
    ("do", "Dr. Samuel Okafor", "DO", ["CA", "WA", "OR"], ["medication_management"],
     "America/Los_Angeles", ["English"], "Osteopathic psychiatrist; ADHD and mood disorders."),
    ("pmhnp", "Jordan Lee, PMHNP", "PMHNP", ["NY", "WA", "CA"], ["medication_management"],
     "America/Chicago", ["English", "Spanish"], "Psychiatric nurse practitioner; medication management."),
    ("psyd", "Dr. Ana Torres, PsyD", "PsyD", ["NY", "FL", "CA"], ["CBT", "trauma_informed"],
     "America/New_York", ["English", "Spanish"], "Clinical psychologist; CBT and trauma-informed care."),
    ("phd", "Dr. Eli Goldberg, PhD", "PhD", ["NY", "NJ"], ["psychodynamic", "CBT"],
     "America/New_York", ["English", "Hebrew"], "Psychologist; psychodynamic therapy for adults."),
    ("lcsw", "Priya Patel, LCSW", "LCSW", ["NY", "CA", "WA"], ["CBT", "DBT"],
     "America/Los_Angeles", ["English", "Hindi"], "Clinical social worker; CBT and DBT skills."),
    ("lmhc", "Marcus Green, LMHC", "LMHC", ["NY", "WA"], ["CBT", "trauma_informed"],
     "America/New_York", ["English"], "Mental health counselor; anxiety and life transitions."),
    ("lmft", "Sofia Rossi, LMFT", "LMFT", ["CA", "NY"], ["family_couples", "CBT"],
     "America/Los_Angeles", ["English", "Italian"], "Marriage and family therapist; couples and families."),
]  # fmt: skip

PATIENTS = [
    ("patient", "Alex Rivera", "NY", "America/New_York", "+12125550142"),
    ("patient2", "Sam Nguyen", "CA", "America/Los_Angeles", None),
]
# Every demo patient has a date of birth (the chart header shows the age; evaluations need it).
BIRTH_DATES = {
    "patient": date(1991, 3, 14), "patient2": date(1985, 11, 2), "patient3": date(1978, 7, 30),
    "patient4": date(1996, 1, 9), "patient5": date(1969, 5, 21), "patient6": date(2001, 9, 17),
}  # fmt: skip
# The other patients of the stories (patient3 to patient6, same password).
STORY_PATIENTS = [(s.handle, s.name, s.state, s.timezone, s.phone) for s in STORIES
                  if s.handle not in {p[0] for p in PATIENTS}]  # fmt: skip

STAFF = [("billing", "Bailey Brooks", "billing_admin"), ("admin", "Avery Admin", "admin")]

ROLE_LABELS = {
    "psychiatrist": "psychiatrist (MD)", "do": "psychiatrist (DO)",
    "pmhnp": "psychiatric nurse practitioner (PMHNP)", "psyd": "psychologist (PsyD)", "phd": "psychologist (PhD)",
    "lcsw": "clinical social worker (LCSW)", "lmhc": "counselor (LMHC)", "lmft": "family therapist (LMFT)",
    "billing": "billing admin", "admin": "admin",
}  # fmt: skip
PATIENT_NOTES = {
    "patient": "free trial, new to care", "patient2": "no membership: the booking gate shows",
    "patient3": "12 weeks of care, improving to remission", "patient4": "not improving; CoCM minutes",
}  # fmt: skip


@dataclass(frozen=True)
class DemoLogin:
    """One printed demo account: who it is, in which role, and who they work with."""

    email: str
    name: str
    role: str
    works_with: str = ""

    def line(self) -> str:
        return f"  {self.email:<37} {self.name:<22} {self.role}" + (f" — {self.works_with}" if self.works_with else "")


def _clinical_role(handle: str) -> str:
    credential = next(c[2] for c in CLINICIANS if c[0] == handle)
    return CLINICAL_ROLE_BY_CREDENTIAL[Credential(credential)].value


def demo_logins() -> list[DemoLogin]:
    """Every demo account, patients first, with their care team (from the stories' visits), then the
    clinicians with their demo patients, then staff: what `demo seed` prints and the README lists."""
    names = {c[0]: c[1] for c in CLINICIANS}
    teams = {s.handle: list(dict.fromkeys(v.clinician for v in s.visits)) for s in STORIES}
    patients = [(p[0], p[1]) for p in PATIENTS + STORY_PATIENTS]
    logins = []
    for handle, name in patients:
        team = ", ".join(f"{names[c]} ({_clinical_role(c)})" for c in teams.get(handle, []))
        about = "; ".join(x for x in (PATIENT_NOTES.get(handle, ""), f"care team: {team}" if team else "") if x)
        logins.append(DemoLogin(email_for(handle), name, "patient", about))
    for handle, name, *_ in CLINICIANS:
        theirs = ", ".join(n for h, n in patients if handle in teams.get(h, []))
        logins.append(DemoLogin(email_for(handle), name, ROLE_LABELS[handle], f"patients: {theirs}" if theirs else ""))
    logins += [DemoLogin(email_for(h), name, ROLE_LABELS[h]) for h, name, _ in STAFF]
    return logins


def email_for(handle: str) -> str:
    return f"{handle}@{DOMAIN}"


def seed_demo(now: datetime | None = None) -> tuple[bool, list[DemoLogin]]:
    """Create whatever demo accounts and care are missing; return (anything created?, the logins).
    The care histories are placed relative to ``now`` (default: the current time)."""
    created, now = False, now or utcnow()
    for handle, name, role in STAFF:
        if accounts.find_by_email(email_for(handle)) is None:
            accounts.create_staff(
                StaffCreate(email=email_for(handle), password=DEMO_PASSWORD, name=name, role=role), actor=None
            )
            created = True
    for handle, name, credential, states, modalities, tz, languages, bio in CLINICIANS:
        if accounts.find_by_email(email_for(handle)) is None:
            data = ClinicianCreate(
                email=email_for(handle), password=DEMO_PASSWORD, name=name, credential=credential,
                licensed_states=states, modalities=modalities, timezone=tz, bio=bio, languages=languages,
            )  # fmt: skip
            accounts.create_clinician(data, actor=None)
            created = True
        clinician = accounts.find_by_email(email_for(handle))
        if db.session.get(ClinicianAvailability, clinician.id) is None:
            weekly = [{"weekday": d, "start": "09:00", "end": "17:00"} for d in range(5)]
            booking.update_availability(clinician, {"weekly": weekly, "min_notice_minutes": 60}, actor=None)
            created = True
    for handle, name, state, tz, phone in PATIENTS + STORY_PATIENTS:
        if accounts.find_by_email(email_for(handle)) is None:
            data = PatientSignup(
                email=email_for(handle), password=DEMO_PASSWORD, name=name, state=state, timezone=tz,
                phone=phone, sms_opt_in=phone is not None, date_of_birth=BIRTH_DATES.get(handle),
            )  # fmt: skip
            patient = accounts.register_patient(data, source="demo_seed")
            if handle == "patient" and current_app.config["BILLING_BACKEND"] == "dummy":
                demo_billing.seed_trial(patient.id, "monthly", now)  # Sam (patient2) has none: the gate shows
            created = True
    team = {c[0]: accounts.find_by_email(email_for(c[0])) for c in CLINICIANS}
    for story in STORIES:
        created |= history.play(story, accounts.find_by_email(email_for(story.handle)), team, now)
    created |= visit_notes.seed_notes(now)
    return created, demo_logins()

"""Care-management minutes: team members log time spent on a patient's collaborative care; a monthly
report per patient (and per clinician caseload) shows the total and the CoCM codes it supports.

Rules (docs/clinical-reference.md, "CoCM time and US billing codes"):

* Only minutes on days with the patient's consent to collaborative care in force count towards codes;
  with no consent in force at all during the month there are no codes, and the report says so.
* The month is initial (99492) when no month in the previous 6 had CoCM service (a month with at least
  the G2214 threshold of counted minutes), later (99493) otherwise.
* Team members only: the patient is told it is for the team (403); everyone else, including billing
  admins and clinicians holding emergency access, gets 404. Every read and change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, SmallInteger, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column

from app.accounts.queries import names_by_id
from app.accounts.user import User
from app.audit import service as audit
from app.care_team import access, consent
from app.care_team.measures import EPISODE_GAP_MONTHS, CocmBands, cocm_codes, is_initial_month
from app.care_team.member import CareTeamMember
from app.csv_safe import to_csv
from app.db import UTCDateTime, utcnow
from app.errors import Forbidden, Invalid, NotFound
from app.extensions import db

ACTIVITIES = {
    "care_coordination": "Care coordination",
    "outreach": "Outreach or follow-up contact",
    "measurement": "Measurement and tracking (PHQ-9/GAD-7)",
    "caseload_review": "Caseload review with the psychiatric consultant",
    "brief_intervention": "Brief intervention (e.g. behavioural activation)",
    "relapse_prevention": "Relapse prevention planning",
}
MAX_MINUTES = 240
MAX_NOTE = 2000
OLDEST_DAYS = 366  # a year back at most: billing corrections beyond that are not done here


class CareMinutes(db.Model):
    """Minutes one team member spent on one patient's care on one day."""

    __tablename__ = "care_minutes"
    __table_args__ = (
        CheckConstraint(f"minutes >= 1 AND minutes <= {MAX_MINUTES}", name="minutes_range"),
        Index("ix_care_minutes_patient_id_service_date", "patient_id", "service_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    service_date: Mapped[date] = mapped_column(Date)
    minutes: Mapped[int] = mapped_column(SmallInteger)
    activity: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


def today_for(user: User, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(user.timezone)).date()


def month_start(day: date) -> date:
    return day.replace(day=1)


def add_months(month: date, n: int) -> date:
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


def parse_month(raw: str | None, default: date) -> date:
    """``YYYY-MM`` to the first day of that month; ``default``'s month for anything else."""
    try:
        year, month = (int(part) for part in (raw or "").split("-"))
        if 2000 <= year <= 2100:
            return date(year, month, 1)
    except ValueError:
        pass
    return month_start(default)


def log(user: User, patient_id: int, service_date: date | None, minutes: int | None, activity: str,
        note: str = "", now: datetime | None = None) -> CareMinutes:  # fmt: skip
    """A team member logs minutes (1..240) for a day in the last year, up to today in their zone."""
    access.member_only(user, patient_id)
    today = today_for(user, now)
    errors: dict[str, str] = {}
    if service_date is None or service_date > today or service_date < today - timedelta(days=OLDEST_DAYS):
        errors["date"] = "Pick a day in the last year, today at the latest."
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= MAX_MINUTES:
        errors["minutes"] = f"Minutes must be a whole number from 1 to {MAX_MINUTES}."
    if activity not in ACTIVITIES:
        errors["activity"] = "Choose what the time was spent on."
    note = (note or "").strip()
    if len(note) > MAX_NOTE or "\x00" in note:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    if errors:
        raise Invalid(errors)
    row = CareMinutes(patient_id=patient_id, clinician_id=user.id, service_date=service_date, minutes=minutes,
                      activity=activity, note=note, created_at=now or utcnow())  # fmt: skip
    db.session.add(row)
    db.session.flush()
    audit.record("care_minutes.create", actor=user, patient_id=patient_id, object_type="care_minutes",
                 object_id=row.id)  # fmt: skip
    db.session.commit()
    return row


def remove(user: User, patient_id: int, entry_id: int) -> None:
    """The team member who logged an entry removes it (a correction); the removal is audited."""
    access.member_only(user, patient_id)
    row = db.session.get(CareMinutes, entry_id)
    if row is None or row.patient_id != patient_id:
        raise NotFound()
    if row.clinician_id != user.id:
        raise Forbidden("Only the person who logged these minutes removes them.")
    db.session.delete(row)
    audit.record("care_minutes.delete", actor=user, patient_id=patient_id, object_type="care_minutes",
                 object_id=entry_id)  # fmt: skip
    db.session.commit()


@dataclass(frozen=True)
class MonthReport:
    patient: User
    month: date
    entries: list[CareMinutes]
    total_minutes: int
    counted_minutes: int  # on days with consent in force
    consent_on_file: bool
    initial_month: bool
    codes: list[tuple[str, int]]
    remarks: list[str]

    @property
    def codes_text(self) -> str:
        return "; ".join(f"{code} x{units}" for code, units in self.codes) or "none"


def _entries(patient_id: int, first: date, last: date) -> list[CareMinutes]:
    return list(
        db.session.scalars(
            select(CareMinutes)
            .where(CareMinutes.patient_id == patient_id, CareMinutes.service_date.between(first, last))
            .order_by(CareMinutes.service_date, CareMinutes.id)
        )
    )


def _build(patient: User, month: date, bands: CocmBands) -> MonthReport:
    """The report for one patient and month (no access check, no audit: callers do both)."""
    first, last = month, add_months(month, 1) - timedelta(days=1)
    window_start = add_months(month, -EPISODE_GAP_MONTHS)
    covered = consent.covered_days(patient.id, window_start, last, patient.timezone)
    history = _entries(patient.id, window_start, last)
    counted_by_month: dict[date, int] = {}
    for row in history:
        if row.service_date in covered:
            key = month_start(row.service_date)
            counted_by_month[key] = counted_by_month.get(key, 0) + row.minutes
    entries = [r for r in history if r.service_date >= first]
    total = sum(r.minutes for r in entries)
    counted = counted_by_month.get(month, 0)
    on_file = any(first <= d <= last for d in covered)
    service_months = [m for m, n in counted_by_month.items() if m < month and n >= bands.g2214_from]
    initial = is_initial_month(month, service_months)
    codes = cocm_codes(counted, initial, bands, consent_on_file=on_file)
    remarks = []
    if not on_file:
        remarks.append("No consent to collaborative care on file for this month: these minutes support no CoCM code.")
    elif counted < total:
        remarks.append(f"{total - counted} minutes were logged on days without consent in force and do not count.")
    if on_file and not codes:
        remarks.append(f"Under {bands.g2214_from} counted minutes: no code this month.")
    return MonthReport(patient, month, entries, total, counted, on_file, initial, codes, remarks)


def month_report(user: User, patient_id: int, month: date, bands: CocmBands) -> MonthReport:
    report = month_report_rows(user, patient_id, month, bands)
    db.session.commit()
    return report


def month_report_rows(user: User, patient_id: int, month: date, bands: CocmBands) -> MonthReport:
    """``month_report`` with its audit row added to the session but not committed: for a use case that
    reads more (the chart header) and commits once."""
    patient = access.member_only(user, patient_id)
    report = _build(patient, month, bands)
    audit.record("care_minutes.read", actor=user, patient_id=patient_id, object_type="care_minutes",
                 object_id=f"{month:%Y-%m}")  # fmt: skip
    return report


@dataclass(frozen=True)
class CaseloadMinutes:
    report: MonthReport
    my_minutes: int


def caseload_report(clinician: User, month: date, bands: CocmBands) -> list[CaseloadMinutes]:
    """One row per patient on the clinician's teams; each patient's read is audited on their record."""
    patients = db.session.scalars(
        select(User)
        .join(CareTeamMember, CareTeamMember.patient_id == User.id)
        .where(CareTeamMember.clinician_id == clinician.id)
        .order_by(User.name, User.id)
    ).all()
    rows = []
    for patient in patients:
        report = _build(patient, month, bands)
        mine = sum(r.minutes for r in report.entries if r.clinician_id == clinician.id)
        rows.append(CaseloadMinutes(report, mine))
    audit.record_patients("care_minutes.read", actor=clinician, patient_ids=[p.id for p in patients],
                          object_type="care_minutes", object_id=f"{month:%Y-%m}")  # fmt: skip
    audit.commit_keeping_loaded()
    return rows


def names_for(entries: list[CareMinutes]) -> dict[int, str]:
    return names_by_id(e.clinician_id for e in entries)


# --- CSV -------------------------------------------------------------------------------------------


def month_csv(report: MonthReport) -> str:
    names = names_for(report.entries)
    remarks: list[list[object]] = [["remark", remark] for remark in report.remarks]
    rows: list[list[object]] = [
        ["patient", report.patient.name],
        ["month", f"{report.month:%Y-%m}"],
        ["total minutes", report.total_minutes],
        ["counted minutes (consent in force)", report.counted_minutes],
        ["consent on file", "yes" if report.consent_on_file else "no"],
        ["month of episode", "initial" if report.initial_month else "later"],
        ["CoCM codes", report.codes_text],
        *remarks,
        [],
        ["date", "team member", "activity", "minutes", "note"],
    ]
    for e in report.entries:
        who = names.get(e.clinician_id, "former team member") if e.clinician_id else "former team member"
        rows.append([e.service_date.isoformat(), who, ACTIVITIES.get(e.activity, e.activity), e.minutes, e.note])
    return to_csv(rows)


def caseload_csv(rows: list[CaseloadMinutes], month: date) -> str:
    table: list[list[object]] = [
        ["month", "patient", "total minutes", "my minutes", "counted minutes", "consent on file", "month of episode",
         "CoCM codes", "remarks"],
    ]  # fmt: skip
    for row in rows:
        r = row.report
        table.append([f"{month:%Y-%m}", r.patient.name, r.total_minutes, row.my_minutes, r.counted_minutes,
                      "yes" if r.consent_on_file else "no", "initial" if r.initial_month else "later", r.codes_text,
                      " ".join(r.remarks)])  # fmt: skip
    return to_csv(table)

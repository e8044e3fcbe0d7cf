"""The demo clinic's patients and their care so far, as data: visits, check-ins, care plans,
medications, handoff notes and care-management minutes, each placed in days from today.

``history.py`` plays these through the services the app uses. The four stories give the demo
psychiatrist (Dr. Maya Chen) every caseload flag but safety: Morgan responds and reaches remission,
Riley is not improving after 12 weeks, Devon has no recent measure, Alex is new. PHQ-9 item 9 is
always 0 here: a positive answer opens urgent tasks, which the browser tests create themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Visit:
    clinician: str  # handle
    type: str
    day: int  # from today; a weekend moves to the weekday away from today (past: Friday, future: Monday)
    at: str  # wall time in the clinician's zone, on their availability grid
    outcome: str = "completed"  # completed | no_show | booked (days ahead only)


@dataclass(frozen=True)
class Membership:
    plan: str  # monthly | annual
    day: int  # trial started
    converted: bool  # the trial ended with a paid first charge (then renewed as the plan says)


@dataclass(frozen=True)
class PlanChange:
    day: int
    at: str
    author: str
    problems: list[dict] | None = None
    goals: list[dict] | None = None
    interventions: list[dict] | None = None  # owner: a handle, turned into owner_id


@dataclass(frozen=True)
class DoseChange:
    day: int  # at the medication's wall time, by its prescriber
    dose: str
    reason: str
    frequency: str | None = None  # None: unchanged


@dataclass(frozen=True)
class Medication:
    day: int
    at: str  # wall time in the prescriber's zone (also for changing and stopping)
    prescriber: str
    name: str
    dose: str
    frequency: str
    instructions: str = ""
    stop_day: int | None = None
    stop_reason: str | None = None
    changes: tuple[DoseChange, ...] = ()  # the earlier dose is kept in the medication's history


@dataclass(frozen=True)
class Note:
    day: int
    at: str
    author: str
    body: str


@dataclass(frozen=True)
class Minutes:
    month: int  # 0 = this month, -1 = last month
    day: int  # this month: days back from today (kept inside the month); last month: day of the month
    clinician: str
    minutes: int
    activity: str
    note: str = ""


@dataclass(frozen=True)
class Story:
    handle: str
    name: str
    state: str
    timezone: str
    phone: str | None = None
    membership: Membership | None = None
    visits: list[Visit] = field(default_factory=list)
    phq9: list[tuple[int, int]] = field(default_factory=list)  # (day, total 0..24; item 9 stays 0)
    gad7: list[tuple[int, int]] = field(default_factory=list)  # (day, total 0..21)
    plan: list[PlanChange] = field(default_factory=list)
    medications: list[Medication] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    minutes: list[Minutes] = field(default_factory=list)


def _weekly(start: int, end: int, step: int = 7) -> list[int]:
    return list(range(start, end + 1, step))


MDD_MODERATE = {"text": "Major depressive disorder, single episode, moderate", "code": "F32.1"}
MDD_RECURRENT = {"text": "Major depressive disorder, recurrent, moderate", "code": "F33.1"}
GAD = {"text": "Generalized anxiety disorder", "code": "F41.1"}
ADJUSTMENT = {"text": "Adjustment disorder with mixed anxiety and depressed mood", "code": "F43.23"}
ADHD = {"text": "ADHD, predominantly inattentive presentation", "code": "F90.0"}

ALEX = Story(
    "patient", "Alex Rivera", "NY", "America/New_York", "+12125550142",
    visits=[
        Visit("psychiatrist", "initial_consultation", -21, "10:00"),
        Visit("lmhc", "initial_consultation", -15, "14:00"),
        Visit("psychiatrist", "psychiatric_evaluation", 3, "11:00", "booked"),
        Visit("lmhc", "therapy_session", 4, "15:00", "booked"),
        Visit("lmhc", "therapy_session", 11, "15:00", "booked"),
    ],
    phq9=[(-21, 14), (-7, 12)],
    gad7=[(-21, 13), (-7, 11)],
    plan=[
        PlanChange(-15, "15:00", "lmhc", problems=[GAD], goals=[
            {"text": "I want to ride the subway to work without a panic attack", "target": "3 rides a week by March"},
            {"text": "Fall asleep without my mind racing", "target": "asleep within 30 minutes, 5 nights a week"},
        ], interventions=[
            {"text": "CBT for worry and panic, weekly sessions", "modality": "CBT", "owner": "lmhc"},
            {"text": "Psychiatric evaluation: discuss medication options", "owner": "psychiatrist"},
        ]),
    ],
    notes=[Note(-15, "15:10", "lmhc", "Consultation done: worry most days, panic on the subway, no safety concerns. "
                                      "Booked weekly CBT; evaluation with Dr. Chen is on the calendar.")],
)  # fmt: skip

MORGAN = Story(
    "patient3", "Morgan Ellis", "NY", "America/New_York",
    membership=Membership("annual", -90, converted=True),
    visits=[
        Visit("psychiatrist", "psychiatric_evaluation", -84, "10:00"),
        *[Visit("psyd", "therapy_session", d, "13:00") for d in _weekly(-80, -3, 14)],
        *[Visit("psychiatrist", "medication_management", d, "11:00") for d in (-70, -42, -14)],
        Visit("psyd", "therapy_session", 6, "13:00", "booked"),
    ],
    phq9=list(zip(_weekly(-84, -7), [18, 17, 16, 14, 13, 11, 9, 8, 7, 6, 5, 4], strict=True)),
    gad7=list(zip(_weekly(-84, -7, 14), [15, 13, 11, 9, 7, 5], strict=True)),
    plan=[
        PlanChange(-84, "11:15", "psychiatrist", problems=[MDD_MODERATE], goals=[
            {"text": "Get back to running twice a week", "target": "2 runs a week"},
            {"text": "Sleep through the night most nights", "target": "5 nights a week"},
        ]),
        PlanChange(-80, "14:00", "psyd", interventions=[
            {"text": "Sertraline, titrate to response", "modality": "medication management", "owner": "psychiatrist"},
            {"text": "CBT with behavioural activation, every other week", "modality": "CBT", "owner": "psyd"},
        ]),
        PlanChange(-10, "14:00", "psyd", goals=[
            {"text": "Get back to running twice a week", "target": "2 runs a week", "status": "met"},
            {"text": "Sleep through the night most nights", "target": "5 nights a week"},
        ], interventions=[
            {"text": "Sertraline, titrate to response", "modality": "medication management", "owner": "psychiatrist"},
            {"text": "CBT with behavioural activation, every other week", "modality": "CBT", "owner": "psyd"},
            {"text": "Relapse prevention plan: early signs and what helps", "modality": "CBT", "owner": "psyd"},
        ]),
    ],
    medications=[Medication(-84, "11:05", "psychiatrist", "Sertraline", "25 mg", "once daily",
                            "Take in the morning with food.", changes=(
                                DoseChange(-70, "50 mg", "Tolerating 25 mg without side effects; up to the usual "
                                                         "starting dose."),
                            ))],
    notes=[
        Note(-42, "11:45", "psychiatrist", "Sertraline 50 mg tolerated well, PHQ-9 down from 18 to 11. No change."),
        Note(-10, "14:10", "psyd", "Running twice a week again and PHQ-9 at 5: in remission range. Starting "
                                   "relapse prevention planning."),
    ],
)  # fmt: skip

RILEY = Story(
    "patient4", "Riley Carter", "WA", "America/Los_Angeles",
    membership=Membership("monthly", -90, converted=True),
    visits=[
        Visit("psychiatrist", "psychiatric_evaluation", -84, "13:00"),
        *[Visit("lmhc", "therapy_session", d, "16:00") for d in _weekly(-77, -7)],
        Visit("lmhc", "therapy_session", -2, "16:00", "no_show"),
        *[Visit("psychiatrist", "medication_management", d, "14:00") for d in (-70, -42, -14)],
        Visit("lmhc", "therapy_session", 2, "16:00", "booked"),
        Visit("psychiatrist", "medication_management", 11, "14:00", "booked"),  # a weekend moves it to +13 at most
    ],
    phq9=list(zip(_weekly(-84, -7), [19, 19, 18, 18, 17, 17, 16, 17, 16, 15, 16, 15], strict=True)),
    gad7=list(zip(_weekly(-84, -7, 14), [12, 12, 11, 11, 10, 10], strict=True)),
    plan=[
        PlanChange(-84, "14:15", "psychiatrist", problems=[MDD_RECURRENT, GAD], goals=[
            {"text": "Get out of bed before 9 on workdays", "target": "4 of 5 workdays"},
            {"text": "Call my sister once a week", "target": "every week"},
        ], interventions=[
            {"text": "Escitalopram, reassess at 6 weeks", "modality": "medication management",
             "owner": "psychiatrist"},
            {"text": "Behavioural activation, weekly sessions", "modality": "CBT", "owner": "lmhc"},
        ]),
        PlanChange(-42, "14:45", "psychiatrist", interventions=[
            {"text": "Bupropion XL, reassess at 8 weeks", "modality": "medication management", "owner": "psychiatrist"},
            {"text": "Behavioural activation, weekly sessions", "modality": "CBT", "owner": "lmhc"},
            {"text": "Weekly caseload review with the psychiatric consultant", "owner": "psychiatrist"},
        ]),
    ],
    medications=[
        Medication(-84, "14:05", "psychiatrist", "Escitalopram", "10 mg", "once daily", stop_day=-42,
                   stop_reason="Nausea most days and no benefit after 6 weeks; switched to bupropion XL."),
        Medication(-42, "14:35", "psychiatrist", "Bupropion XL", "150 mg", "once every morning", "Not after 2 pm."),
    ],
    notes=[
        Note(-42, "14:50", "psychiatrist", "Stopped escitalopram for nausea; started bupropion XL 150 mg. "
                                           "Watch sleep and appetite."),
        Note(-4, "17:00", "lmhc", "PHQ-9 still 15 after 11 weeks; energy and sleep unchanged. @Maya Chen could we "
                                  "talk about the medication plan at this week's review?"),
    ],
    minutes=[
        Minutes(-1, 6, "lmhc", 20, "outreach", "Phone check-in about the new medication."),
        Minutes(-1, 13, "psychiatrist", 15, "caseload_review", "Reviewed PHQ-9 trend; no change yet."),
        Minutes(-1, 20, "lmhc", 10, "measurement", "PHQ-9 and GAD-7 by phone."),
        Minutes(0, 0, "lmhc", 20, "care_coordination", "Missed visit: called, rebooked for this week."),
        Minutes(0, 0, "psychiatrist", 15, "caseload_review", "Not improving at 12 weeks: consider augmentation."),
    ],
)  # fmt: skip

DEVON = Story(
    "patient5", "Devon Park", "CA", "America/Los_Angeles",
    visits=[
        Visit("psychiatrist", "initial_consultation", -56, "15:00"),
        Visit("lcsw", "initial_consultation", -54, "10:00"),
    ],
    phq9=[(-56, 13), (-42, 12), (-35, 12)],
    gad7=[(-56, 9)],
    plan=[
        PlanChange(-54, "11:00", "lcsw", problems=[ADJUSTMENT], goals=[
            {"text": "Make one friend in my new city", "target": "one plan with someone a week"},
        ], interventions=[
            {"text": "Weekly therapy once a membership is in place", "modality": "CBT", "owner": "lcsw"},
        ]),
    ],
    notes=[Note(-3, "12:00", "lcsw", "Devon has not booked since the consultation and has no membership yet. "
                                     "Last check-in was a month ago; will reach out.")],
)  # fmt: skip

QUINN = Story(
    "patient6", "Quinn Harper", "CA", "America/Los_Angeles",
    membership=Membership("annual", -8, converted=False),
    visits=[
        Visit("do", "psychiatric_evaluation", -4, "10:00"),
        Visit("lmft", "therapy_session", -3, "14:00"),
        Visit("lmft", "therapy_session", 4, "14:00", "booked"),
        Visit("do", "medication_management", 10, "11:00", "booked"),
    ],
    phq9=[(-4, 11)],
    gad7=[(-4, 8)],
    plan=[
        PlanChange(-4, "11:30", "do", problems=[ADHD, {"text": "Major depressive disorder, single episode, mild",
                                                       "code": "F32.0"}], goals=[
            {"text": "Finish work tasks without staying up past midnight", "target": "4 nights a week"},
        ], interventions=[
            {"text": "Atomoxetine, review at the next visit", "modality": "medication management", "owner": "do"},
            {"text": "Skills for planning and time, with my partner", "modality": "family_couples", "owner": "lmft"},
        ]),
    ],
    medications=[Medication(-4, "11:05", "do", "Atomoxetine", "40 mg", "once daily")],
)  # fmt: skip

STORIES = [ALEX, MORGAN, RILEY, DEVON, QUINN]

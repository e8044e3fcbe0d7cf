"""The membership gate: billing says whether a patient is a member and why not; booking decides which
visit types need it (the initial consultation does not) and refuses the others with a 402."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.billing.gate import MembershipRequired, NotMember, is_member, standing
from app.booking import service as booking
from tests.integration.conftest import give_membership

EVERY_DAY = {"weekly": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)], "min_notice_minutes": 0}


def _start(day_offset: int = 3, hour: int = 14) -> datetime:
    ny = ZoneInfo("America/New_York")
    day = datetime.now(UTC).astimezone(ny).date() + timedelta(days=day_offset)
    return datetime(day.year, day.month, day.day, hour, tzinfo=ny).astimezone(UTC)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("trialing", None),
        ("active", None),
        ("none", NotMember.NO_MEMBERSHIP),
        ("incomplete", NotMember.NO_MEMBERSHIP),
        ("incomplete_expired", NotMember.NO_MEMBERSHIP),
        ("past_due", NotMember.PAST_DUE),
        ("unpaid", NotMember.PAST_DUE),
        ("canceled", NotMember.CANCELED),
        ("paused", NotMember.PAUSED),
        ("some_status_stripe_adds_later", NotMember.NO_MEMBERSHIP),
    ],
)
def test_standing_says_whether_a_patient_is_a_member_and_why_not(make_patient, status, reason):
    patient = make_patient(member=False)
    give_membership(patient, status=status)
    found = standing(patient.id)
    assert (found.status, found.reason, found.is_member) == (status, reason, reason is None)
    assert is_member(patient.id) is (reason is None)


def test_a_patient_with_no_membership_row_is_no_member(make_patient):
    patient = make_patient(member=False)
    assert standing(patient.id).reason == NotMember.NO_MEMBERSHIP and not is_member(patient.id)


def test_booking_decides_which_visits_need_a_membership_and_says_why_it_refused(make_patient, make_clinician):
    therapist = make_clinician("LCSW", licensed_states=["NY"], timezone="America/New_York")
    booking.update_availability(therapist, EVERY_DAY, actor=therapist)
    patient = make_patient(member=False)
    give_membership(patient, status="past_due")
    assert booking.needs_membership(patient, "therapy_session")
    assert not booking.needs_membership(patient, "initial_consultation")
    with pytest.raises(MembershipRequired) as refused:
        booking.book(patient, therapist.id, "therapy_session", _start())
    assert refused.value.reason == NotMember.PAST_DUE and refused.value.status == 402
    assert booking.book(patient, therapist.id, "initial_consultation", _start(4)).status == "booked"

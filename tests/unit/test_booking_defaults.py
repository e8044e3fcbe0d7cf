"""The visit a booking page starts on: the one the patient can book now."""

from __future__ import annotations

from app.booking.defaults import Viewer, default_type


def test_without_a_membership_the_free_consultation():
    for role in ("prescriber", "therapist"):
        assert (
            default_type(role, Viewer(member=False, recommended=("psychiatric_evaluation",))) == "initial_consultation"
        )


def test_a_member_starts_on_the_intakes_recommendation_where_the_clinician_offers_it():
    both = Viewer(member=True, recommended=("psychiatric_evaluation", "therapy_session"))
    assert default_type("prescriber", both) == "psychiatric_evaluation"
    assert default_type("therapist", both) == "therapy_session"
    therapy = Viewer(member=True, recommended=("therapy_session",))
    assert default_type("prescriber", therapy) == "medication_management"  # not offered here: the clinician's own


def test_a_member_without_an_intake_starts_on_the_clinicians_own_visit():
    assert default_type("prescriber", Viewer(member=True)) == "medication_management"
    assert default_type("therapist", Viewer(member=True)) == "therapy_session"

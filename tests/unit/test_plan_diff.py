"""The readable diff between care-plan versions."""

from __future__ import annotations

from app.care_team.plan_diff import Change, FieldChange, describe, diff_plans, version_changes


def med(id_, name="Sertraline", dose="50 mg", status="active", reason=None, **extra):
    return {
        "id": id_,
        "name": name,
        "dose": dose,
        "frequency": "daily",
        "instructions": "",
        "status": status,
        "prescribed_by": 7,
        "started_at": "2025-01-06T15:00:00+00:00",
        "discontinued_at": extra.get("discontinued_at"),
        "reason": reason,
    }


def plan(problems=(), goals=(), interventions=(), medications=()):
    return {
        "problems": list(problems),
        "goals": list(goals),
        "interventions": list(interventions),
        "medications": list(medications),
    }


WALK = {"text": "Walk every day", "target": "5 days a week", "status": "active"}
SLEEP = {"text": "Sleep by 11 pm", "target": None, "status": "active"}


def test_first_version_is_all_added():
    changes = diff_plans(None, plan(problems=[{"text": "Low mood", "code": "F32.1"}], goals=[WALK]))
    assert changes == [Change("problem", "added", "Low mood"), Change("goal", "added", "Walk every day")]
    assert describe(changes[0]) == "Problem added: “Low mood”"


def test_identical_plans_have_no_changes():
    p = plan(goals=[WALK, SLEEP], medications=[med(1)])
    assert diff_plans(p, p) == []


def test_goal_added_and_removed():
    changes = diff_plans(plan(goals=[WALK, SLEEP]), plan(goals=[{"text": "Call a friend weekly", "status": "active"}]))
    kinds = [(c.kind, c.item) for c in changes]
    # "Call a friend" sits where "Walk" was, so it reads as Walk's wording being edited; Sleep was removed.
    assert kinds == [("changed", "Call a friend weekly"), ("removed", "Sleep by 11 pm")]


def test_goal_added_at_the_end_is_added_not_changed():
    changes = diff_plans(plan(goals=[WALK]), plan(goals=[WALK, SLEEP]))
    assert changes == [Change("goal", "added", "Sleep by 11 pm")]


def test_goal_removed_from_the_front_is_matched_by_text():
    changes = diff_plans(plan(goals=[WALK, SLEEP]), plan(goals=[SLEEP]))
    assert changes == [Change("goal", "removed", "Walk every day")]


def test_reordered_goals_are_not_changes():
    assert diff_plans(plan(goals=[WALK, SLEEP]), plan(goals=[SLEEP, WALK])) == []


def test_goal_changed_field_by_field():
    met = WALK | {"status": "met", "target": "7 days a week"}
    (change,) = diff_plans(plan(goals=[WALK]), plan(goals=[met]))
    assert change.kind == "changed" and change.section == "goal" and change.item == "Walk every day"
    assert change.fields == (
        FieldChange("target", "5 days a week", "7 days a week"),
        FieldChange("status", "active", "met"),
    )
    assert describe(change) == (
        "Goal changed: “Walk every day”: target 5 days a week → 7 days a week; status active → met"
    )


def test_goal_wording_edited_in_place():
    (change,) = diff_plans(plan(goals=[WALK]), plan(goals=[WALK | {"text": "Walk 20 minutes a day"}]))
    assert change.fields == (FieldChange("text", "Walk every day", "Walk 20 minutes a day"),)
    assert "wording Walk every day → Walk 20 minutes a day" in describe(change)


def test_problem_added():
    old = plan(problems=[{"text": "Low mood", "code": None}])
    new = plan(problems=[{"text": "Low mood", "code": None}, {"text": "Panic attacks", "code": "F41.0"}])
    assert diff_plans(old, new) == [Change("problem", "added", "Panic attacks")]


def test_problem_code_added():
    old = plan(problems=[{"text": "Low mood"}])
    (change,) = diff_plans(old, plan(problems=[{"text": "Low mood", "code": "F32.1"}]))
    assert describe(change) == "Problem changed: “Low mood”: ICD-10 code nothing → F32.1"


def test_intervention_owner_changed_named():
    old = plan(interventions=[{"text": "CBT", "modality": "CBT", "owner_id": 3}])
    new = plan(interventions=[{"text": "CBT", "modality": "CBT weekly", "owner_id": 4}])
    (change,) = diff_plans(old, new)
    assert change.section == "intervention"
    assert [f.field for f in change.fields] == ["modality", "owner_id"]
    assert describe(change, {3: "Dana Lee", 4: "Sam Ortiz"}) == (
        "Intervention changed: “CBT”: modality CBT → CBT weekly; owner Dana Lee → Sam Ortiz"
    )
    assert "owner clinician #3 → clinician #4" in describe(change)


def test_medication_started():
    (change,) = diff_plans(plan(), plan(medications=[med(1)]))
    assert change == Change(
        "medication",
        "started",
        "Sertraline",
        (FieldChange("dose", None, "50 mg"), FieldChange("frequency", None, "daily")),
    )
    assert describe(change) == "Medication started: Sertraline (50 mg, daily)"


def test_medication_discontinued_with_reason():
    stopped = med(1, status="discontinued", reason="Nausea", discontinued_at="2025-02-01T10:00:00+00:00")
    (change,) = diff_plans(
        plan(medications=[med(1), med(2, "Bupropion")]), plan(medications=[stopped, med(2, "Bupropion")])
    )
    assert change.kind == "discontinued" and change.item == "Sertraline" and change.reason == "Nausea"
    assert change.fields == ()
    assert describe(change) == "Medication discontinued: Sertraline — reason: Nausea"


def test_medication_dose_changed():
    (change,) = diff_plans(plan(medications=[med(1)]), plan(medications=[med(1, dose="100 mg")]))
    assert change.kind == "changed" and change.fields == (FieldChange("dose", "50 mg", "100 mg"),)


def test_medication_same_name_new_id_is_a_new_start():
    stopped = med(1, status="discontinued", reason="Dose change")
    changes = diff_plans(plan(medications=[med(1)]), plan(medications=[stopped, med(2, dose="100 mg")]))
    assert [(c.kind, c.item) for c in changes] == [("discontinued", "Sertraline"), ("started", "Sertraline")]


def test_sections_in_order():
    new = plan(
        problems=[{"text": "P"}],
        goals=[{"text": "G", "status": "active"}],
        interventions=[{"text": "I"}],
        medications=[med(1)],
    )
    assert [c.section for c in diff_plans(None, new)] == ["problem", "goal", "intervention", "medication"]


def test_version_changes_compares_each_with_the_one_before():
    v1 = plan(goals=[WALK])
    v2 = plan(goals=[WALK], medications=[med(1)])
    v3 = plan(goals=[WALK | {"status": "met"}], medications=[med(1)])
    result = version_changes([v1, v2, v3])
    assert [[(c.section, c.kind) for c in cs] for cs in result] == [
        [("goal", "added")],
        [("medication", "started")],
        [("goal", "changed")],
    ]


def test_as_dict_is_json_ready():
    (change,) = diff_plans(plan(goals=[WALK]), plan(goals=[WALK | {"status": "on_hold"}]))
    assert change.as_dict() == {
        "section": "goal",
        "kind": "changed",
        "item": "Walk every day",
        "fields": [{"field": "status", "before": "active", "after": "on_hold"}],
        "reason": None,
    }
    assert "status active → on hold" in describe(change)


def test_missing_lists_are_empty():
    assert diff_plans({}, {"goals": None}) == []


def test_a_resolved_problem_is_a_change_and_a_problem_stored_before_statuses_counts_as_active():
    before = {"text": "Worry", "code": "F41.1"}  # written before problems had a status
    now_active = before | {"status": "active", "resolved_on": None}
    assert diff_plans(plan(problems=[before]), plan(problems=[now_active])) == []
    resolved = before | {"status": "resolved", "resolved_on": "2026-12-01"}
    [change] = diff_plans(plan(problems=[before]), plan(problems=[resolved]))
    assert describe(change) == "Problem changed: “Worry”: status active → resolved; resolved on nothing → 2026-12-01"

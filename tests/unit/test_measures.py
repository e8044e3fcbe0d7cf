"""PHQ-9/GAD-7 scoring at every band boundary, outcomes, caseload flags and CoCM billing codes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.care_team.measures import (
    ANSWER_LABELS,
    DEFAULT_BANDS,
    GAD7_ITEMS,
    LOINC,
    PHQ9_ITEMS,
    SEVERITIES,
    CaseloadSummary,
    CocmBands,
    Instrument,
    InvalidAnswers,
    Measurement,
    caseload_flags,
    caseload_sort_key,
    change_percent,
    cocm_codes,
    is_initial_month,
    is_remission,
    is_response,
    score_assessment,
    severity,
    summarize,
)

NOW = datetime(2027, 6, 1, 12, tzinfo=UTC)


def answers_for(total: int, count: int) -> list[int]:
    answers = [3] * (total // 3) + ([total % 3] if total % 3 else [])
    return answers + [0] * (count - len(answers))


PHQ9_BOUNDARIES = [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
                   (15, "moderately_severe"), (19, "moderately_severe"), (20, "severe"), (27, "severe")]  # fmt: skip
GAD7_BOUNDARIES = [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
                   (15, "severe"), (21, "severe")]  # fmt: skip


@pytest.mark.parametrize(("total", "band"), PHQ9_BOUNDARIES)
def test_phq9_bands(total, band):
    score = score_assessment("PHQ-9", answers_for(total, 9))
    assert (score.instrument, score.total, score.severity) == ("PHQ-9", total, band)


@pytest.mark.parametrize(("total", "band"), GAD7_BOUNDARIES)
def test_gad7_bands(total, band):
    score = score_assessment("GAD-7", answers_for(total, 7))
    assert (score.instrument, score.total, score.severity, score.item9_positive) == ("GAD-7", total, band, None)


@pytest.mark.parametrize(("instrument", "total"), [("PHQ-9", 28), ("GAD-7", 22), ("PHQ-9", -1), ("BDI", 3)])
def test_severity_rejects_totals_out_of_range(instrument, total):
    with pytest.raises(InvalidAnswers):
        severity(instrument, total)


def test_enum_instrument_is_accepted():
    assert score_assessment(Instrument.PHQ9, [1] * 9).total == 9
    assert score_assessment(Instrument.GAD7, [1] * 7).severity == "mild"


def test_item9_positive_whatever_the_total():
    assert score_assessment("PHQ-9", [0] * 8 + [1]).item9_positive is True
    assert score_assessment("PHQ-9", [0] * 8 + [1]).severity == "minimal"
    assert score_assessment("PHQ-9", [3] * 8 + [0]).item9_positive is False


def test_item_texts_labels_and_loinc():
    assert len(PHQ9_ITEMS) == 9 and len(GAD7_ITEMS) == 7
    assert PHQ9_ITEMS[0] == "Little interest or pleasure in doing things"
    assert PHQ9_ITEMS[8] == "Thoughts that you would be better off dead or of hurting yourself in some way"
    assert GAD7_ITEMS[1] == "Not being able to stop or control worrying"
    assert ANSWER_LABELS == ("Not at all", "Several days", "More than half the days", "Nearly every day")
    assert LOINC["PHQ-9"] == {"panel": "44249-1", "total": "44261-6", "item9": "44260-8"}
    assert LOINC["GAD-7"] == {"panel": "69737-5", "total": "70274-6"}


@pytest.mark.parametrize(
    ("instrument", "answers", "reason"),
    [("PHQ-9", [0] * 8, "exactly 9"), ("PHQ-9", [0] * 10, "exactly 9"), ("GAD-7", [0] * 9, "exactly 7"),
     ("GAD-7", [], "exactly 7"), ("PHQ-9", None, "exactly 9"), ("PHQ-9", "000000000", "exactly 9"),
     ("PHQ-9", [4] + [0] * 8, "0 to 3"), ("PHQ-9", [-1] + [0] * 8, "0 to 3"), ("GAD-7", [True] * 7, "0 to 3"),
     ("GAD-7", [False] * 7, "0 to 3"), ("GAD-7", ["1"] * 7, "0 to 3"), ("GAD-7", [1.0] * 7, "0 to 3"),
     ("GAD-7", [None] * 7, "0 to 3"), ("BDI", [0] * 21, "PHQ-9 or GAD-7"), ("phq-9", [0] * 9, "PHQ-9 or GAD-7")],
)  # fmt: skip
def test_invalid_answers(instrument, answers, reason):
    with pytest.raises(InvalidAnswers) as info:
        score_assessment(instrument, answers)
    assert reason in info.value.reason and isinstance(info.value, ValueError)


instruments = st.sampled_from(["PHQ-9", "GAD-7"])


ITEMS = {"PHQ-9": PHQ9_ITEMS, "GAD-7": GAD7_ITEMS}
valid_cases = instruments.flatmap(
    lambda i: st.tuples(st.just(i), st.lists(st.integers(0, 3), min_size=len(ITEMS[i]), max_size=len(ITEMS[i])))
)


@given(valid_cases)
def test_total_is_the_sum(case):
    instrument, answers = case
    score = score_assessment(instrument, answers)
    assert score.total == sum(answers)
    assert score.severity == severity(instrument, sum(answers))
    if instrument == "PHQ-9":
        assert score.item9_positive is (answers[8] > 0)


@given(instruments, st.data())
def test_severity_is_monotone_in_the_total(instrument, data):
    top = 27 if instrument == "PHQ-9" else 21
    low = data.draw(st.integers(0, top))
    high = data.draw(st.integers(low, top))
    order = SEVERITIES[instrument]
    assert order.index(severity(instrument, low)) <= order.index(severity(instrument, high))


@given(instruments, st.lists(st.one_of(st.integers(), st.booleans(), st.floats(), st.text(max_size=2), st.none()),
                             max_size=12))  # fmt: skip
def test_invalid_input_always_raises(instrument, answers):
    count = 9 if instrument == "PHQ-9" else 7
    valid = len(answers) == count and all(type(a) is int and 0 <= a <= 3 for a in answers)
    if valid:
        assert score_assessment(instrument, answers).total == sum(answers)
    else:
        with pytest.raises(InvalidAnswers):
            score_assessment(instrument, answers)


@given(st.text(min_size=0, max_size=8).filter(lambda s: s not in ("PHQ-9", "GAD-7")))
def test_unknown_instrument_always_raises(name):
    with pytest.raises(InvalidAnswers):
        score_assessment(name, [0] * 9)


def test_response_integer_rule_at_the_boundary():
    assert is_response(10, 5) is True
    assert is_response(10, 6) is False
    assert is_response(11, 5) is True and is_response(11, 6) is False  # 5.5 is the exact half
    assert is_response(0, 0) is None and is_response(0, 3) is None
    assert is_response(None, 3) is None and is_response(10, None) is None


@given(st.integers(1, 27), st.integers(0, 27))
def test_response_matches_change_percent(baseline, latest):
    assert is_response(baseline, latest) == ((baseline - latest) / baseline >= 0.5)


def test_change_percent_and_remission():
    assert change_percent(20, 5) == 75.0 and change_percent(10, 12) == -20.0
    assert change_percent(3, 2) == 33.3 and change_percent(3, 1) == 66.7
    assert change_percent(0, 3) is None and change_percent(None, 3) is None and change_percent(10, None) is None
    assert is_remission(4) is True and is_remission(5) is False and is_remission(None) is False


def m(days_ago: float, total: int, item9: int = 0) -> Measurement:
    return Measurement(NOW - timedelta(days=days_ago), total, item9)


@pytest.mark.parametrize(
    ("history", "flags"),
    [([], ["no_recent_measure"]),
     ([m(80, 20), m(1, 9, item9=1)], ["safety", "response"]),
     ([m(80, 20, item9=2), m(1, 9)], ["response"]),  # only the latest item 9 counts
     ([m(80, 20), m(1, 4)], ["remission", "response"]),
     ([m(80, 6), m(1, 4)], ["remission", "not_improving"]),  # remission but under 50 % better
     ([m(80, 10), m(1, 5)], ["response"]),
     ([m(80, 10), m(1, 6)], ["not_improving"]),
     ([m(70, 20), m(1, 11)], ["not_improving"]),  # exactly 10 weeks
     ([m(69.99, 20), m(1, 11)], []),
     ([m(40, 12), m(30, 11)], []),  # exactly 30 days ago is still recent
     ([m(40, 12), m(30.01, 11)], ["no_recent_measure"]),
     ([m(1, 4), m(80, 20)], ["remission", "response"]),  # order of the input does not matter
     ([m(100, 0), m(1, 0)], ["remission", "not_improving"]),  # response undefined for a baseline of 0
     ([m(5, 3)], ["remission"]),  # one measurement: never a response
     ([m(70, 12)], ["not_improving", "no_recent_measure"]),  # one measurement, 10 weeks without follow-up
     ([m(69, 12)], ["no_recent_measure"]),
     ([m(100, 27, item9=3), m(50, 20), m(31, 27, item9=1)], ["safety", "not_improving", "no_recent_measure"])],
)  # fmt: skip
def test_flags(history, flags):
    assert caseload_flags(history, NOW) == flags


def test_flag_thresholds_are_configurable():
    history = [m(30, 20), m(20, 15)]
    assert caseload_flags(history, NOW) == []
    assert caseload_flags(history, NOW, not_improving_weeks=4, recent_days=10) == ["not_improving", "no_recent_measure"]


def test_summary():
    summary = summarize([m(1, 8), m(50, 16)], NOW, care_started_at=NOW - timedelta(days=55))
    assert summary == CaseloadSummary(16, 8, 50.0, 7, ("response",))


@pytest.mark.parametrize(("days", "weeks"), [(0, 0), (6.99, 0), (7, 1), (13.99, 1), (14, 2), (-3, 0)])
def test_weeks_in_care_is_floored_and_never_negative(days, weeks):
    assert summarize([], NOW, NOW - timedelta(days=days)).weeks_in_care == weeks


def test_summary_without_measures():
    assert summarize([], NOW, NOW) == CaseloadSummary(None, None, None, 0, ("no_recent_measure",))


def test_caseload_sort_key():
    def row(latest, *flags):
        return CaseloadSummary(None, latest, None, 0, flags)

    rows = [row(None), row(3, "remission"), row(22), row(12, "not_improving"), row(5, "safety"),
            row(20, "not_improving", "no_recent_measure"), row(9, "safety", "not_improving"), row(0)]  # fmt: skip
    ordered = sorted(rows, key=caseload_sort_key)
    assert [(r.latest_phq9, r.flags[:1]) for r in ordered] == [
        (9, ("safety",)), (5, ("safety",)), (20, ("not_improving",)), (12, ("not_improving",)),
        (22, ()), (3, ("remission",)), (0, ()), (None, ())]  # fmt: skip


INITIAL = [(0, []), (15, []), (16, [("G2214", 1)]), (35, [("G2214", 1)]), (36, [("99492", 1)]),
           (85, [("99492", 1)]), (86, [("99492", 1), ("99494", 1)]), (115, [("99492", 1), ("99494", 1)]),
           (116, [("99492", 1), ("99494", 2)]), (145, [("99492", 1), ("99494", 2)]),
           (146, [("99492", 1), ("99494", 3)])]  # fmt: skip
LATER = [(0, []), (15, []), (16, [("G2214", 1)]), (30, [("G2214", 1)]), (31, [("99493", 1)]),
         (75, [("99493", 1)]), (76, [("99493", 1), ("99494", 1)]), (105, [("99493", 1), ("99494", 1)]),
         (106, [("99493", 1), ("99494", 2)]), (135, [("99493", 1), ("99494", 2)]),
         (136, [("99493", 1), ("99494", 3)])]  # fmt: skip


@pytest.mark.parametrize(("minutes", "codes"), INITIAL)
def test_cocm_initial_month(minutes, codes):
    assert cocm_codes(minutes, initial_month=True, consent_on_file=True) == codes


@pytest.mark.parametrize(("minutes", "codes"), LATER)
def test_cocm_later_months(minutes, codes):
    assert cocm_codes(minutes, initial_month=False, consent_on_file=True) == codes


@given(st.integers(0, 600), st.booleans())
def test_cocm_invariants(minutes, initial):
    codes = dict(cocm_codes(minutes, initial, consent_on_file=True))
    assert not ("99492" in codes and "99493" in codes)
    assert "99494" not in codes or ("99492" if initial else "99493") in codes
    assert "G2214" not in codes or len(codes) == 1
    assert cocm_codes(minutes, initial, consent_on_file=False) == []
    assert len(cocm_codes(minutes + 1, initial, consent_on_file=True)) >= len(codes)


def test_cocm_consent_is_a_required_argument():
    with pytest.raises(TypeError):
        cocm_codes(200, True)  # type: ignore[call-arg]


def test_cocm_no_consent_and_bad_minutes():
    assert cocm_codes(200, True, consent_on_file=False) == []
    assert cocm_codes(200, False, consent_on_file=False) == []
    for bad in (-1, True, 30.0):
        with pytest.raises(ValueError):
            cocm_codes(bad, True, consent_on_file=True)


def test_cocm_bands_can_be_overridden_and_are_checked():
    bands = CocmBands(g2214_from=20, initial_base_from=40, later_base_from=35, initial_addon_from=90,
                      later_addon_from=80, addon_step=20)  # fmt: skip
    assert cocm_codes(19, True, bands, consent_on_file=True) == []
    assert cocm_codes(20, True, bands, consent_on_file=True) == [("G2214", 1)]
    assert cocm_codes(110, True, bands, consent_on_file=True) == [("99492", 1), ("99494", 2)]
    assert cocm_codes(79, False, bands, consent_on_file=True) == [("99493", 1)]
    assert DEFAULT_BANDS == CocmBands()
    with pytest.raises(ValueError):
        CocmBands(initial_base_from=90)  # base above the add-on
    with pytest.raises(ValueError):
        CocmBands(addon_step=0)


@pytest.mark.parametrize(
    ("month", "previous", "initial"),
    [(date(2027, 1, 1), [], True),
     (date(2027, 2, 10), [date(2027, 1, 1)], False),
     (date(2027, 7, 1), [date(2027, 1, 31)], False),  # February–June empty: 5 months
     (date(2027, 8, 1), [date(2027, 1, 31)], True),  # February–July empty: 6 months, a new episode
     (date(2027, 8, 1), [date(2026, 12, 1), date(2027, 1, 5), date(2027, 3, 1)], False),
     (date(2028, 1, 1), [date(2027, 6, 30)], True),  # across the year: July–December empty
     (date(2028, 1, 1), [date(2027, 7, 1)], False),  # August–December empty: 5 months
     (date(2027, 12, 1), [date(2027, 6, 1)], False),
     (date(2027, 3, 1), [date(2027, 3, 1), date(2027, 5, 1)], True)],  # same and later months ignored
)  # fmt: skip
def test_is_initial_month(month, previous, initial):
    assert is_initial_month(month, previous) is initial


def test_invalid_answers_carry_their_reason_as_the_message():
    from app.care_team.measures import InvalidAnswers, score_assessment

    with pytest.raises(InvalidAnswers, match=r"^PHQ-9 needs exactly 9 answers$") as caught:
        score_assessment("PHQ-9", [0, 1])
    assert caught.value.reason == "PHQ-9 needs exactly 9 answers"


@pytest.mark.parametrize(
    ("instrument", "total", "reason"),
    [("BDI", 3, "instrument must be PHQ-9 or GAD-7"), ("PHQ-9", -1, "total out of range"),
     ("PHQ-9", 28, "total out of range"), ("GAD-7", 22, "total out of range"),
     ("PHQ-9", True, "total out of range"), ("PHQ-9", 3.5, "total out of range")],
)  # fmt: skip
def test_severity_refuses_a_total_that_is_not_a_whole_number_in_range_and_says_why(instrument, total, reason):
    with pytest.raises(InvalidAnswers, match=f"^{reason}$"):
        severity(instrument, total)


def test_cocm_minutes_that_are_not_a_whole_number_say_so():
    for bad in (-1, True, 30.0):
        with pytest.raises(ValueError, match=r"^minutes must be a whole number of at least 0$"):
            cocm_codes(bad, True, consent_on_file=True)


def test_summary_latest_is_the_newest_of_several_scores():
    summary = summarize([m(40, 12), m(2, 6), m(90, 20)], NOW, care_started_at=NOW - timedelta(days=100))
    assert (summary.baseline_phq9, summary.latest_phq9, summary.change_percent) == (20, 6, 70.0)


def test_summary_flags_default_to_10_weeks_without_response_and_30_days_since_the_last_score():
    """The caseload and the review call ``summarize`` with its defaults: both sides of each."""
    started = NOW - timedelta(weeks=12)
    assert summarize([m(70, 12), m(30.01, 12)], NOW, started).flags == ("not_improving", "no_recent_measure")
    assert summarize([m(69.99, 12), m(30, 12)], NOW, started).flags == ()


def test_summary_passes_its_thresholds_on_to_the_flags():
    summary = summarize([m(30, 20), m(20, 15)], NOW, NOW - timedelta(days=40), not_improving_weeks=4, recent_days=10)
    assert summary.flags == ("not_improving", "no_recent_measure")


def test_invalid_answers_say_exactly_what_is_wrong():
    """The reason is shown to the user as it is: the whole sentence, not a fragment of it."""
    cases = [("BDI", [0] * 21, "instrument must be PHQ-9 or GAD-7"),
             ("GAD-7", [4] * 7, "each answer must be a whole number from 0 to 3")]  # fmt: skip
    for instrument, answers, reason in cases:
        with pytest.raises(InvalidAnswers, match=f"^{reason}$"):
            score_assessment(instrument, answers)


def test_cocm_bands_are_checked_on_both_sides_of_each_bound():
    assert CocmBands(g2214_from=1).g2214_from == 1  # any positive threshold
    assert CocmBands(g2214_from=31, later_base_from=31).later_base_from == 31  # G2214 may equal the base
    assert CocmBands(addon_step=1).addon_step == 1
    order = r"^CoCM bands must satisfy 0 < G2214 <= base < add-on$"
    for bad in ({"g2214_from": 0}, {"g2214_from": 32}, {"later_base_from": 76}):  # 0; above a base; base == add-on
        with pytest.raises(ValueError, match=order):
            CocmBands(**bad)
    with pytest.raises(ValueError, match=r"^CoCM add-on step must be positive$"):
        CocmBands(addon_step=0)


def test_the_caseload_change_words_cannot_be_misread():
    from app.care_team.measures import describe_change

    assert describe_change(50.0) == "\u221250 % (better)"
    assert describe_change(-25.0) == "+25 % (worse)"
    assert describe_change(12.5) == "\u221212.5 % (better)"
    assert describe_change(0.0) == "0 % (no change)"
    assert describe_change(None) == "—"
    # Under one point either way still says which way (change_percent has one decimal).
    assert describe_change(-0.5) == "+0.5 % (worse)"
    assert describe_change(0.5) == "\u22120.5 % (better)"

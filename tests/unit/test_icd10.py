"""ICD-10-CM lookup and search over the packaged code set (app/reference/icd10.py)."""

from __future__ import annotations

import gzip
import importlib.util
import itertools
from pathlib import Path
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.reference import icd10

PSYCHIATRIC = ["F32.0", "F32.1", "F32.A", "F33.1", "F33.9", "F41.1", "F43.10", "F43.23", "F90.0"]


@pytest.mark.parametrize("code", [*PSYCHIATRIC, "I10", "S72.001A", "Z63.0"])
def test_billable_codes_have_their_description(code: str) -> None:
    assert icd10.lookup(code)


def test_known_descriptions() -> None:
    assert icd10.lookup("F33.1") == "Major depressive disorder, recurrent, moderate"
    assert icd10.lookup("F41.1") == "Generalized anxiety disorder"


@pytest.mark.parametrize("written", ["F33.1", "f33.1", "F331", "f331", " F33.1 ", "F3.31"])
def test_lookup_reads_any_case_with_or_without_the_dot(written: str) -> None:
    assert icd10.lookup(written) == "Major depressive disorder, recurrent, moderate"


@pytest.mark.parametrize(
    "code",
    [
        "F33",  # a category heading, not billable
        "F43.1",  # a subcategory with children
        "F33.7",  # not in the code set
        "F99.99",
        "Q",
        "",
        "   ",
        "recurrent depression",
    ],
)
def test_headings_and_unknown_codes_are_not_billable(code: str) -> None:
    assert icd10.lookup(code) is None


def test_normalise_writes_the_cms_form() -> None:
    assert icd10.normalise("f331") == "F33.1"
    assert icd10.normalise(" s72001a ") == "S72.001A"
    assert icd10.normalise("i10") == "I10"
    assert icd10.normalise("F33.") == "F33"


def test_exact_code_comes_first_then_the_codes_under_it() -> None:
    results = icd10.search("F33.1")
    assert results[0] == ("F33.1", "Major depressive disorder, recurrent, moderate")
    under = [code for code, _ in icd10.search("F33")]
    assert "F33.1" in under and "F33.9" in under and "F33" not in under
    assert under == sorted(under, key=lambda c: (len(c), c))  # shorter codes first
    assert icd10.search("f331")[0][0] == "F33.1"


def test_words_in_any_order_find_recurrent_depression() -> None:
    for q in ("recurrent depression", "depression recurrent", "Recurrent  Depressive", "major depressive recurrent"):
        codes = [code for code, _ in icd10.search(q)]
        assert "F33.1" in codes, q
        assert all(code.startswith("F33") for code in codes[:9]), (q, codes)


def test_every_word_must_match() -> None:
    for code, description in icd10.search("generalized anxiety"):
        words = description.lower()
        assert "generali" in words and "anxi" in words, (code, description)
    assert icd10.search("generalized anxiety")[0][0] == "F41.1"


def test_inclusion_terms_are_searched_after_descriptions() -> None:
    # "Monopolar depression NOS" is an inclusion term of F33.9, not its description.
    assert [c for c, _ in icd10.search("monopolar")] == ["F33.9"]
    # "Anxiety neurosis" is F41.1's inclusion term; no description holds both words.
    assert "F41.1" in [c for c, _ in icd10.search("anxiety neurosis")]


@pytest.mark.parametrize(
    ("q", "expected"), [("PTSD", "F43.10"), ("adhd", "F90.0"), ("GAD", "F41.1"), ("mdd recurrent", "F33.1")]
)
def test_common_abbreviations(q: str, expected: str) -> None:
    assert expected in [code for code, _ in icd10.search(q)]


def test_mental_disorders_rank_before_other_chapters() -> None:
    codes = [code for code, _ in icd10.search("anxiety")]
    assert codes and all(code.startswith("F") for code in codes[:5])


def test_limit_and_nothing_found() -> None:
    assert len(icd10.search("disorder")) == 20
    assert len(icd10.search("disorder", limit=5)) == 5
    assert icd10.search("disorder", limit=0) == []
    assert icd10.search("") == []
    assert icd10.search("   ") == []
    assert icd10.search("xyzzyplugh") == []
    assert icd10.search("F99.99") == []


code_prefixes = st.builds(
    lambda letter, digits: letter + digits,
    st.sampled_from("ABCDEFGHIJKLMNOPQRSTVZ"),
    st.text(alphabet="0123456789", min_size=1, max_size=3),
)


@settings(max_examples=200, deadline=None)
@given(prefix=code_prefixes, lower=st.booleans(), dot=st.booleans())
def test_every_result_of_a_code_search_starts_with_it_and_looks_up(prefix: str, lower: bool, dot: bool) -> None:
    written = prefix.lower() if lower else prefix
    if dot and len(written) > 3:
        written = written[:3] + "." + written[3:]
    bare = prefix.upper()
    results = icd10.search(written)
    assert len(results) <= 20
    assert len({code for code, _ in results}) == len(results)  # no duplicates
    for code, description in results:
        assert code.replace(".", "").startswith(bare)
        assert icd10.lookup(code) == description
        assert icd10.normalise(code) == code


@settings(max_examples=200, deadline=None)
@given(q=st.text(max_size=40))
def test_any_text_searches_without_error_and_every_result_looks_up(q: str) -> None:
    for code, description in icd10.search(q, limit=5):
        assert icd10.lookup(code) == description


@settings(max_examples=100, deadline=None)
@given(q=st.text(max_size=20))
def test_lookup_of_any_text_is_a_description_or_none(q: str) -> None:
    result = icd10.lookup(q)
    assert result is None or (isinstance(result, str) and result)


@pytest.fixture(scope="module")
def build_tool() -> ModuleType:
    path = Path(__file__).resolve().parents[2] / "tools" / "build_icd10.py"
    spec = importlib.util.spec_from_file_location("build_icd10", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_shipped_code_set_is_what_the_tool_writes_from_the_installed_package(build_tool: ModuleType) -> None:
    # Fails after an upgrade of simple-icd-10-cm (its version is in the header) until the file is rewritten.
    shipped = gzip.decompress(icd10.DATA_FILE.read_bytes()).decode("utf-8").split("\n")
    expected = build_tool.render().split("\n")
    first_difference = next(
        ((n, got, want) for n, (got, want) in enumerate(itertools.zip_longest(shipped, expected)) if got != want), None
    )
    assert first_difference is None, f"run tools/build_icd10.py; (line, shipped, expected): {first_difference}"


def test_every_billable_code_of_the_package_looks_up_to_its_description(build_tool: ModuleType) -> None:
    # Read back from the file: tabs inside CMS's descriptions ("...involvement/\tadvanced dry stage") survive.
    package = [(code, description) for code, description, _ in build_tool.billable_codes()]
    assert len(package) > 70_000
    wrong = [(code, want, got) for code, want in package if (got := icd10.lookup(code)) != want]
    assert not wrong, wrong[:5]

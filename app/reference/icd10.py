"""ICD-10-CM diagnosis codes: look one up, search by code prefix or by words.

The code set is CMS's tabular list as shipped by ``simple-icd-10-cm`` (the package carries the fiscal
year's file, updated on its April/October releases), written by ``tools/build_icd10.py`` into
``data/icd10cm.tsv.gz`` beside this module: to move to a new release, bump the package (a ``dev`` extra),
run the tool and commit the file (tests/unit/test_icd10.py fails while the two differ). Only
**billable** codes count: the leaves of the tabular list (``F33.1``, ``F41.1``, ``I10``, 7th-character
codes such as ``S72.001A``). A category such as ``F33`` is a heading that a claim or a problem list cannot
carry, so ``lookup("F33")`` is ``None`` and ``search("F33")`` lists the codes under it.

Codes are read in any case, with or without the dot and surrounding spaces (``"f331"``, ``" F33.1 "``)
and always returned in CMS's written form ``"F33.1"`` (``normalise``).

The file (0.6 MB, 6.7 MB of text) is read on the first lookup or search, once per process, and the index
below is built from it then; the package itself, which parses a 10 MB XML file when imported (seconds and
about 200 MB per process), is never imported here.
"""

from __future__ import annotations

import bisect
import gzip
import heapq
import re
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DATA_FILE = Path(__file__).with_name("data") / "icd10cm.tsv.gz"

_CODE_SHAPE = re.compile(r"[A-Z][0-9][0-9A-Z]{0,5}")
_WORD = re.compile(r"[a-z0-9]+")
# Words that say nothing on their own; dropped from a query unless it has nothing else.
_STOP_WORDS = frozenset({"a", "an", "and", "as", "by", "due", "for", "in", "of", "on", "or", "the", "to", "with"})
# Abbreviations clinicians type that the tabular list spells out.
_ABBREVIATIONS = {
    "adhd": "attention deficit hyperactivity",
    "gad": "generalized anxiety",
    "mdd": "major depressive",
    "ocd": "obsessive compulsive",
    "ptsd": "post traumatic stress",
}
# A query word this short matches whole words only: as a prefix it would match a tenth of the vocabulary.
_PREFIX_MIN = 3


def normalise(code: str) -> str:
    """``code`` in CMS's written form: upper case, the dot after the third character (not checked)."""
    bare = code.strip().upper().replace(".", "")
    return f"{bare[:3]}.{bare[3:]}" if len(bare) > 3 else bare


def lookup(code: str) -> str | None:
    """The description of a billable ICD-10-CM code, ``None`` for anything else."""
    return _index().descriptions.get(normalise(code))


def search(q: str, limit: int = 20) -> list[tuple[str, str]]:
    """Billable codes matching ``q``, best first: ``[(code, description)]``, at most ``limit``.

    ``q`` is a code or the start of one ("F33", "f33.1") or words in any order, each matching the start of
    a word of the description or of CMS's inclusion terms ("recurrent depression" finds F33.x, "depress"
    finds depressive; words under three letters match whole words; "PTSD", "ADHD", "GAD", "MDD" and
    "OCD" are spelled out). Ranked: the exact code, then codes starting with ``q``, then codes whose description
    holds every word, then codes that need the inclusion terms for it; within each, mental and behavioural
    disorders (chapter F) before the rest, shorter codes before longer, shorter descriptions before
    longer (the general before the qualified), then in code order.
    """
    if limit <= 0:
        return []
    index = _index()
    found: list[str] = []
    seen: set[str] = set()

    def take(codes: Iterable[str]) -> bool:
        for code in codes:
            if code not in seen:
                seen.add(code)
                found.append(code)
                if len(found) >= limit:
                    return True
        return False

    bare = q.strip().upper().replace(".", "")
    if _CODE_SHAPE.fullmatch(bare):
        code = normalise(bare)
        if code in index.descriptions and take([code]):
            return index.rows(found)
        take(index.codes_starting(bare, limit + 1))
        return index.rows(found)  # a code is not also read as words
    words = _query_words(q)
    if words:
        in_description, in_terms = index.word_matches(words)

        def rank(code: str) -> tuple[bool, int, int, str]:
            return (not code.startswith("F"), len(code), len(index.descriptions[code]), code)

        if not take(sorted(in_description, key=rank)):
            take(sorted(in_terms - in_description, key=rank))
    return index.rows(found)


def _stem(word: str) -> str:
    """A light English stem, so "depression" and "depressive", "disorders" and "disorder" meet."""
    if any(ch.isdigit() for ch in word):  # a code or a number: as written
        return word
    for suffix, replacement in (("ies", "y"), ("ions", ""), ("ion", ""), ("ives", ""), ("ive", ""), ("ed", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)] + replacement
    if word.endswith("s") and not word.endswith(("ss", "us", "is")) and len(word) > 4:
        return word[:-1]
    return word


def _words(text: str, stems: dict[str, str] | None = None) -> set[str]:
    """The stems of ``text``'s words; ``stems`` remembers each word's stem across calls (the index build
    stems 800,000 words, 10,600 of them distinct)."""
    found = _WORD.findall(text.lower().replace(".", ""))
    if stems is None:
        return {_stem(w) for w in found}
    return {stems[w] if w in stems else stems.setdefault(w, _stem(w)) for w in found}


def _query_words(q: str) -> list[str]:
    spelled = " ".join(_ABBREVIATIONS.get(w, w) for w in _WORD.findall(q.lower()))
    words = sorted(_words(spelled))
    meaningful = [w for w in words if w not in _STOP_WORDS]
    return meaningful or words


@dataclass
class _Index:
    descriptions: dict[str, str]  # billable code (CMS form) -> description
    bare_codes: list[str]  # sorted codes without the dot, for prefix ranges
    by_bare: dict[str, str]  # code without the dot -> CMS form
    vocabulary: list[str]  # sorted stems, for prefix ranges
    # Tuples, not sets: a third of the memory; a query turns the few it needs into sets.
    description_postings: dict[str, tuple[str, ...]]  # stem -> codes whose description or code has it
    term_postings: dict[str, tuple[str, ...]]  # stem -> codes whose inclusion terms have it

    def rows(self, codes: list[str]) -> list[tuple[str, str]]:
        return [(code, self.descriptions[code]) for code in codes]

    def codes_starting(self, bare_prefix: str, limit: int) -> list[str]:
        start = bisect.bisect_left(self.bare_codes, bare_prefix)
        end = bisect.bisect_left(self.bare_codes, bare_prefix + "\x7f")
        return heapq.nsmallest(limit, (self.by_bare[c] for c in self.bare_codes[start:end]), key=lambda c: (len(c), c))

    def word_matches(self, words: list[str]) -> tuple[set[str], set[str]]:
        """Codes whose description (or code) has a word starting with each of ``words``; and codes for
        which the inclusion terms count too."""
        in_description: set[str] | None = None
        anywhere: set[str] | None = None
        for word in words:
            if len(word) < _PREFIX_MIN:
                stems = [word]
            else:
                start = bisect.bisect_left(self.vocabulary, word)
                end = bisect.bisect_left(self.vocabulary, word + "\x7f")
                stems = self.vocabulary[start:end]
            here: set[str] = set()
            terms: set[str] = set()
            for stem in stems:
                here.update(self.description_postings.get(stem, ()))
                terms.update(self.term_postings.get(stem, ()))
            in_description = here if in_description is None else in_description & here
            anywhere = (here | terms) if anywhere is None else anywhere & (here | terms)
        return in_description or set(), anywhere or set()


_built: _Index | None = None
_lock = threading.Lock()


def _index() -> _Index:
    global _built
    if _built is None:
        with _lock:  # two first requests in one process build it once
            if _built is None:
                _built = _build()
    return _built


def _build() -> _Index:
    # Lists while building (a code is added to a word once), tuples once built: sets here would double
    # the peak, and a worker keeps the peak as resident memory.
    descriptions: dict[str, str] = {}
    description_words: dict[str, list[str]] = {}
    term_words: dict[str, list[str]] = {}
    stems: dict[str, str] = {}
    for code, description, terms in _read(DATA_FILE):
        descriptions[code] = description
        bare = code.replace(".", "").lower()
        for word in _words(description, stems) | {bare}:
            description_words.setdefault(word, []).append(code)
        for word in set().union(*(_words(term, stems) for term in terms)):
            term_words.setdefault(word, []).append(code)
    by_bare = {code.replace(".", ""): code for code in descriptions}
    return _Index(
        descriptions=descriptions,
        bare_codes=sorted(by_bare),
        by_bare=by_bare,
        vocabulary=sorted(description_words.keys() | term_words.keys()),
        description_postings=_frozen(description_words),
        term_postings=_frozen(term_words),
    )


def _frozen(postings: dict[str, list[str]]) -> dict[str, tuple[str, ...]]:
    frozen: dict[str, tuple[str, ...]] = {}
    while postings:  # each list is dropped as soon as it is copied
        word, codes = postings.popitem()
        frozen[word] = tuple(codes)
    return frozen


_ESCAPED = re.compile(r"\\(.)")
_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "\\": "\\"}


def _read(path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """``(code, description, inclusion terms)`` of each billable code in the file (tools/build_icd10.py
    says its form: a ``#`` header line, then tab-separated fields with tab, newline, CR and backslash
    escaped). Read a line at a time: the whole text would be another 7 to 14 MB at the peak."""
    with gzip.open(path, "rt", encoding="utf-8", newline="\n") as lines:
        for line in lines:
            if line.startswith("#"):
                continue
            fields = line.removesuffix("\n").split("\t")
            if "\\" in line:
                fields = [_ESCAPED.sub(lambda m: _ESCAPES[m[1]], field) for field in fields]
            code, description, *terms = fields
            yield code, description, terms

"""Write the ICD-10-CM code set that app/reference/icd10.py loads, from the installed simple-icd-10-cm.

    .venv/bin/python tools/build_icd10.py          # (re)write app/reference/data/icd10cm.tsv.gz
    .venv/bin/python tools/build_icd10.py --check  # exit 1 if the shipped file is not what this writes

The package (a ``dev`` extra: only this tool needs it) parses CMS's 10 MB tabular-list XML when imported,
about 4-12 s and 200 MB per process; the app reads this file instead. After upgrading the package (its
April/October releases carry CMS's new files), run this and commit the file: tests/unit/test_icd10.py fails
while the shipped file differs from what this writes.

The file is UTF-8 text, gzip-compressed: a first line ``# ...`` naming the package version and the CMS
release, then one line per **billable** code (a leaf of the tabular list), in the tabular list's order:
the code in CMS's written form, its description, then its inclusion terms, separated by tabs. A tab,
newline, carriage return or backslash inside a field is written ``\\t``, ``\\n``, ``\\r``, ``\\\\`` (CMS's
text has tabs inside a few hundred descriptions, kept as they are).
"""

from __future__ import annotations

import argparse
import gzip
import re
import sys
import warnings
from collections.abc import Iterator
from importlib.metadata import version
from importlib.resources import files
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "app" / "reference" / "data" / "icd10cm.tsv.gz"
_TABULAR_FILE = re.compile(r"icd10c-tabular-(?P<release>.+)\.xml")


def render() -> str:
    """The file's text for the installed package."""
    data = files(_package().__name__) / "data"
    releases = sorted(match["release"] for entry in data.iterdir() if (match := _TABULAR_FILE.fullmatch(entry.name)))
    if len(releases) != 1:
        raise SystemExit(f"expected one CMS tabular list in simple_icd_10_cm/data, found {releases}")
    lines = [
        f"# ICD-10-CM billable codes from simple-icd-10-cm {version('simple-icd-10-cm')}, CMS tabular list "
        f"{releases[0]}; code, description, inclusion terms (tab-separated); written by tools/build_icd10.py"
    ]
    for code, description, terms in billable_codes():
        if not description:
            raise SystemExit(f"{code} has no description")
        lines.append("\t".join(_escape(field) for field in (code, description, *terms)))
    return "\n".join(lines) + "\n"


def billable_codes() -> Iterator[tuple[str, str, list[str]]]:
    """``(code, description, inclusion terms)`` of each billable code, in the tabular list's order."""
    cm = _package()
    for code in cm.get_all_codes(with_dots=True):
        if not cm.is_chapter_or_block(code) and cm.is_leaf(code):
            yield code, cm.get_description(code), cm.get_inclusion_term(code)


def _package() -> ModuleType:
    # The package parses the code set on import. On Python 3.11 it reads its data with
    # importlib.resources.read_text and open_text, deprecated there (and restored in 3.13): not ours to fix.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="(read|open)_text is deprecated", category=DeprecationWarning)
        import simple_icd_10_cm

    return simple_icd_10_cm


def _escape(field: str) -> str:
    return field.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the shipped file, write nothing")
    args = parser.parse_args()
    text = render()
    if args.check:
        shipped = gzip.decompress(OUTPUT.read_bytes()).decode("utf-8") if OUTPUT.exists() else ""
        if shipped != text:
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run tools/build_icd10.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    # mtime=0 and no file name in the header: the same text always gives the same bytes.
    OUTPUT.write_bytes(gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0))
    print(f"{OUTPUT.relative_to(ROOT)}: {text.count(chr(10)) - 1} codes, {OUTPUT.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Mutation testing of the two pure modules (slot maths, measures) against their unit tests only.

mutmut maps each function to every test that calls it during its stats run, and its test selection
is one list for the whole project: a mutant of ``compute_slots`` would also run the booking API, time
rules and access-matrix integration tests (about 13 s for each survivor instead of 4). These modules
are pure and unit-tested, so they get a mutmut project of their own in ``build/mutate-pure/``: the
same ``app/``, ``tests/``, ``migrations/`` and ``wsgi.py`` (symlinks), and the same pyproject.toml
except its ``[tool.mutmut]`` table: only the pure modules, only their unit tests. The main
``[tool.mutmut]`` (the other modules, with their integration tests) is not touched.

Run: ``python tools/mutate_pure.py run --max-children 1 [NAME ...]``, ``... results``, ``... show NAME``
(any mutmut command; ``make mutate`` runs ``run`` and ``results``). Results stay in
``build/mutate-pure/mutants/`` (git-ignored), so a second run only re-checks what changed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "mutate-pure"
LINKED = ["app", "tests", "migrations", "wsgi.py"]
PURE = ["app/booking/slots.py", "app/care_team/measures.py"]
UNIT_TESTS = ["tests/unit/test_slots.py", "tests/unit/test_measures.py"]
MUTMUT_TABLE = re.compile(r"^\[tool\.mutmut\]\n(?:(?!\[).*\n|\n)*", re.MULTILINE)


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def prepare() -> None:
    WORK.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = WORK / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    source = (ROOT / "pyproject.toml").read_text()
    if len(MUTMUT_TABLE.findall(source)) != 1:
        raise SystemExit("pyproject.toml: expected exactly one [tool.mutmut] table")
    table = (
        "[tool.mutmut]\n"
        'source_paths = ["app"]\n'
        f"only_mutate = {_toml_list(PURE)}\n"
        'pytest_add_cli_args = ["-q", "-x"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(UNIT_TESTS)}\n"
        'also_copy = ["migrations", "wsgi.py"]\n\n'
    )
    target = WORK / "pyproject.toml"
    text = MUTMUT_TABLE.sub(table, source)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def main(argv: list[str]) -> int:
    prepare()
    mutmut = Path(sys.executable).parent / "mutmut"
    return subprocess.run([str(mutmut), *argv], cwd=WORK, env=os.environ.copy()).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["run", "--max-children", "1"]))

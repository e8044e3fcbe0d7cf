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

``--project fast-rules`` (first argument) is a second such project, ``build/mutate-fast-rules/``, for a
quick pass over the booking rules and the outbox: the same integration tests as the main
``[tool.mutmut]`` (read from it) minus ``test_access_roles_matrix.py`` and three files that reach neither
module. That one test takes 15 s, mutmut maps it to
nearly every booking function and runs a mutant's tests in no set order, so in the main project it
makes most mutants, killed or not, cost 15 s or more. A mutant that survives the fast pass is
re-run in the main project (``mutmut run NAME``), where the matrix test is in the selection: only
the main project's verdict counts.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINKED = ["app", "tests", "migrations", "wsgi.py"]
# project name -> (modules to mutate, the tests mutmut may map to them)
PROJECTS: dict[str, tuple[list[str], list[str] | None]] = {
    "pure": (
        ["app/booking/slots.py", "app/care_team/measures.py"],
        ["tests/unit/test_slots.py", "tests/unit/test_slots_is_free.py", "tests/unit/test_measures.py"],
    ),
    # The main [tool.mutmut] selection (read from pyproject.toml, so the two never drift apart) minus
    # the files below: the slow access matrix, and the tests that reach neither module.
    "fast-rules": (["app/booking/service.py", "app/sms/outbox.py"], None),
}
FAST_RULES_LEAVE_OUT = {
    "tests/integration/test_access_roles_matrix.py",
    "tests/integration/test_billing_stripe.py",
    "tests/integration/test_mfa.py",
    "tests/integration/test_emergency_access.py",
}
MUTMUT_TABLE = re.compile(r"^\[tool\.mutmut\]\n(?:(?!\[).*\n|\n)*", re.MULTILINE)


def _toml_list(items: list[str]) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


def main_selection() -> list[str]:
    """The test files of pyproject.toml's own [tool.mutmut] table."""
    with (ROOT / "pyproject.toml").open("rb") as f:
        return list(tomllib.load(f)["tool"]["mutmut"]["pytest_add_cli_args_test_selection"])


def prepare(project: str) -> Path:
    modules, listed = PROJECTS[project]
    tests = listed if listed is not None else [t for t in main_selection() if t not in FAST_RULES_LEAVE_OUT]
    work = ROOT / "build" / f"mutate-{project}"
    work.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = work / name
        if not link.is_symlink():
            link.symlink_to(ROOT / name)
    source = (ROOT / "pyproject.toml").read_text()
    if len(MUTMUT_TABLE.findall(source)) != 1:
        raise SystemExit("pyproject.toml: expected exactly one [tool.mutmut] table")
    table = (
        "[tool.mutmut]\n"
        'source_paths = ["app"]\n'
        f"only_mutate = {_toml_list(modules)}\n"
        'pytest_add_cli_args = ["-q", "-x"]\n'
        f"pytest_add_cli_args_test_selection = {_toml_list(tests)}\n"
        'also_copy = ["migrations", "wsgi.py"]\n\n'
    )
    target = work / "pyproject.toml"
    text = MUTMUT_TABLE.sub(table, source)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)
    return work


def main(argv: list[str]) -> int:
    project = "pure"
    if argv[:1] == ["--project"]:
        project, argv = argv[1], argv[2:]
    work = prepare(project)
    mutmut = Path(sys.executable).parent / "mutmut"
    return subprocess.run([str(mutmut), *argv], cwd=work, env=os.environ.copy()).returncode  # noqa: S603


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["run", "--max-children", "1"]))

"""The hand-made mutants of issue 18, each run against the test named to kill it.

mutmut's operators change a number by one (24 -> 25), never 24 h -> 12 h, and never drop a
keyword argument or a whole check: these are the rule changes a skeptic tried by hand, kept here so
that "each is killed by a named test" stays checkable. Each mutant is applied to a copy of the
project in a temporary directory (the working tree is never touched), the named tests run there
and must fail. Run: ``.venv/bin/python tools/mutants_table.py`` (``make mutate`` runs it too).
Exits non-zero if a mutant survives or a named test fails on the unmutated code.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPY = ["app", "tests", "migrations", "pyproject.toml", "wsgi.py"]
TR = "tests/integration/test_time_rules.py"


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str
    before: str
    after: str
    tests: tuple[str, ...]


MUTANTS = [
    Mutant("late-cancel cutoff 24 h -> 12 h", "app/booking/service.py", "LATE_CANCEL = timedelta(hours=24)",
           "LATE_CANCEL = timedelta(hours=12)", (f"{TR}::test_late_cancel_is_under_24_hours_before_start",)),
    Mutant("late-cancel cutoff 24 h -> 48 h", "app/booking/service.py", "LATE_CANCEL = timedelta(hours=24)",
           "LATE_CANCEL = timedelta(hours=48)", (f"{TR}::test_late_cancel_is_under_24_hours_before_start",)),
    Mutant("complete/no-show from 60 min before start instead of 15", "app/booking/service.py",
           "EARLY_ACTION = timedelta(minutes=15)", "EARLY_ACTION = timedelta(minutes=60)",
           (f"{TR}::test_complete_and_no_show_allowed_from_15_minutes_before_start",)),
    Mutant("same-day safety task due in 48 h instead of 4 h", "app/care_team/service.py",
           "due_at=now + timedelta(hours=4),", "due_at=now + timedelta(hours=48),",
           (f"{TR}::test_safety_task_is_due_4_hours_after_the_phq9",)),
    Mutant("care-plan review after 80 days instead of 90", "app/care_team/followups.py",
           "PLAN_REVIEW = timedelta(days=90)", "PLAN_REVIEW = timedelta(days=80)",
           (f"{TR}::test_plan_review_not_before_90_days",)),
    Mutant("check-in reminder 3 days before instead of 2", "app/care_team/followups.py",
           "CHECK_IN_BEFORE = timedelta(days=2)", "CHECK_IN_BEFORE = timedelta(days=3)",
           (f"{TR}::test_check_in_link_not_sent_more_than_2_days_before",)),
    Mutant("scheduler built without its job defaults", "app/scheduler/runner.py",
           'cls(job_defaults=JOB_DEFAULTS, timezone="UTC")', 'cls(timezone="UTC")',
           ("tests/integration/test_scheduler.py::test_the_built_scheduler_gives_every_job_the_safe_defaults",)),
    Mutant("Stripe 'already processed -> duplicate' check removed", "app/billing/events.py",
           'if row is not None and row.outcome != EventOutcome.FAILED and not again:', "if False:",
           ("tests/integration/test_billing_stripe.py::"
            "test_an_event_delivered_again_after_it_was_processed_is_a_duplicate_and_changes_nothing",)),
    Mutant("SMS take-over matches a body by prefix (the defect)", "app/sms/backends.py",
           '(message.body or "") == body', '(message.body or "").startswith(body)',
           ("tests/integration/test_sms.py::test_take_over_does_not_adopt_a_text_whose_body_merely_starts_with_ours",)),
    Mutant("a row's error stops the sender (the defect)", "app/sms/sender.py",
           "        except Exception:\n", "        except ZeroDivisionError:\n",
           ("tests/integration/test_sms.py::"
            "test_a_sender_survives_one_rows_error_and_the_row_is_reconciled_on_take_over",)),
    # Import-time code: mutmut switches a mutant on only inside a call made during a test, so these
    # two (every route's rule is computed when the app is imported) survive there and are tried here.
    Mutant("route rules: roles(...) builds no set (mutmut x_roles__mutmut_1)", "app/access.py",
           "return frozenset(allowed)", "return frozenset(None)",
           ("tests/integration/test_access_roles_matrix.py::test_access_matrix",)),
    Mutant("route rules: mark() drops the rule (mutmut x_mark__mutmut_1)", "app/access.py",
           "view.access_rule = rule  # type: ignore[attr-defined]", "view.access_rule = None",
           ("tests/integration/test_access_roles_matrix.py::test_access_matrix",)),
]  # fmt: skip


def _copy(into: Path) -> None:
    for name in COPY:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, into / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, into / name)


def _pytest(cwd: Path, tests: tuple[str, ...]) -> int:
    # cwd first on sys.path: the copy's ``app`` is imported, not the editable install's.
    command = [sys.executable, "-m", "pytest", "-q", "-x", *tests]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True).returncode  # noqa: S603 (fixed argv)


def main() -> int:
    rows, bad = [], 0
    with tempfile.TemporaryDirectory(prefix="mutants-table-") as tmp:
        base = Path(tmp) / "base"
        _copy(base)
        named = tuple(sorted({t for m in MUTANTS for t in m.tests}))
        if _pytest(base, named) != 0:
            print("the named tests do not all pass on the unmutated code", file=sys.stderr)
            return 2
        for i, mutant in enumerate(MUTANTS):
            work = Path(tmp) / f"m{i}"
            _copy(work)
            target = work / mutant.path
            source = target.read_text()
            if source.count(mutant.before) != 1:
                print(f"{mutant.name}: the text to mutate is not found once in {mutant.path}", file=sys.stderr)
                return 2
            target.write_text(source.replace(mutant.before, mutant.after))
            killed = _pytest(work, mutant.tests) != 0
            bad += not killed
            rows.append(f"| {mutant.name} | `{mutant.path}` | {', '.join(t.split('::')[-1] for t in mutant.tests)} "
                        f"| {'killed' if killed else 'SURVIVED'} |")  # fmt: skip
            shutil.rmtree(work)
    print("| mutant | file | killing test | result |\n|---|---|---|---|")
    print("\n".join(rows))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

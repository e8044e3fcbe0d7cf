"""Run the benchmarks and write bench/results/latest.json and latest.md.

``python -m bench`` runs them all; ``python -m bench http`` (or ``slots``, ``outbox``) runs only
those named and keeps the other sections' figures from the last latest.json.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ORDER = ("http", "slots", "outbox")


def _runner(name: str):
    from bench import http, outbox, slots

    return {"http": http.run, "slots": slots.run, "outbox": outbox.run}[name]


def _table(section: dict) -> list[str]:
    rows = section.get("rows") or []
    if not rows:
        return []
    if "rps" in rows[0]:
        lines = [
            "| measurement | req/s | p50 ms | p95 ms | p99 ms | ratio to floor | worker CPU ms/req | n |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            lines.append(
                f"| {r['name']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | {r['p99_ms']:.1f} | "
                f"{r.get('ratio_to_floor', 0):.3f} | {r['worker_cpu_ms']:.2f} | {r['n']} |"
            )
        return lines
    lines = ["| measurement | p50 ms | p95 ms | n |", "|---|---|---|---|"]
    lines += [f"| {r['name']} | {r['p50_ms']:.2f} | {r['p95_ms']:.2f} | {r['n']} |" for r in rows]
    return lines


def render(results: dict) -> str:
    lines = ["# Benchmarks", ""]
    for name in [n for n in ORDER if n in results] + [n for n in results if n not in ORDER]:
        section = results[name]
        when = f" ({section['date']})" if section.get("date") else ""
        lines += [f"## {name}{when}", ""]
        table = _table(section)
        lines += [*table, ""] if table else []
        lines += [f"- {note}" for note in section.get("notes", [])] + [""]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    wanted = argv or list(ORDER)
    unknown = [n for n in wanted if n not in ORDER]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(ORDER)}", file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    latest = RESULTS / "latest.json"
    results = json.loads(latest.read_text()) if latest.exists() else {}
    for name in wanted:
        print(f"== {name}", flush=True)
        section = _runner(name)()
        section.setdefault("date", datetime.now(UTC).date().isoformat())
        results[name] = section
        latest.write_text(json.dumps(results, indent=2) + "\n")  # after each, so a later failure keeps it
    text = render(results)
    (RESULTS / "latest.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Run every benchmark and write bench/results/latest.json and latest.md."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench import outbox, slots

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    results = {"slots": slots.run(), "outbox": outbox.run()}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2))
    lines = ["# Benchmarks", ""]
    for name, section in results.items():
        lines += [f"## {name}", ""]
        if section["rows"]:
            lines += ["| measurement | p50 ms | p95 ms | n |", "|---|---|---|---|"]
        for row in section["rows"]:
            lines.append(f"| {row['name']} | {row['p50_ms']:.2f} | {row['p95_ms']:.2f} | {row['n']} |")
        lines += [""] + [f"- {note}" for note in section.get("notes", [])] + [""]
    (RESULTS / "latest.md").write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

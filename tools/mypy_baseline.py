"""Print the mypy baseline of pyproject.toml for the current code (issue 14).

    .venv/bin/python tools/mypy_baseline.py

Runs mypy with the [tool.mypy] settings of pyproject.toml minus the baseline (every override that sets
``disable_error_code``) and prints, for each group of modules with the same failing error codes, the
``[[tool.mypy.overrides]]`` block that silences exactly those codes. Paste it over the baseline at the
end of pyproject.toml after moving or fixing code; the baseline should only ever shrink.
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
import tomllib
from collections import defaultdict
from pathlib import Path

import mypy.api

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's app, not whichever one is installed
ERROR = re.compile(r"^(?P<path>[^:]+\.py):\d+: error: .*\[(?P<code>[a-z-]+)\]$")


def ini_value(value: object) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def main() -> int:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    lines = ["[mypy]"]
    lines += [f"{key} = {ini_value(value)}" for key, value in config.items() if key != "overrides"]
    for override in config.get("overrides", []):
        if "disable_error_code" in override:
            continue
        modules = override["module"] if isinstance(override["module"], list) else [override["module"]]
        lines.append(f"[mypy-{','.join(modules)}]")
        lines += [f"{key} = {ini_value(value)}" for key, value in override.items() if key != "module"]
    with tempfile.NamedTemporaryFile("w", suffix=".ini", delete=False) as ini:
        ini.write("\n".join(lines) + "\n")
    os.chdir(ROOT)
    stdout, stderr, status = mypy.api.run(["--config-file", ini.name])
    Path(ini.name).unlink()
    codes: dict[str, set[str]] = defaultdict(set)
    for line in stdout.splitlines():
        match = ERROR.match(line)
        if match:
            module = match["path"].removesuffix(".py").removesuffix("/__init__").replace("/", ".")
            codes[module].add(match["code"])
    if status not in (0, 1) or (status == 1 and not codes):
        sys.stderr.write(stdout + stderr)
        return 2
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for module, found in codes.items():
        groups[tuple(sorted(found))].append(module)
    for found, modules in sorted(groups.items(), key=lambda item: sorted(item[1])):
        print("[[tool.mypy.overrides]]  # debt: issue 14")
        print("module = [" + ", ".join(f'"{m}"' for m in sorted(modules)) + "]")
        print("disable_error_code = [" + ", ".join(f'"{c}"' for c in found) + "]")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())

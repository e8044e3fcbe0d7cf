"""Count the arrows of app's import graph against the layers declared in pyproject.toml (issue 14).

    .venv/bin/python tools/import_graph.py            # the figures quoted in docs/architecture.md
    .venv/bin/python tools/import_graph.py --arrows   # also list every back arrow, package by package
    .venv/bin/python tools/import_graph.py --debt     # the ignore_imports lines the layers contract needs
    .venv/bin/python tools/import_graph.py --check    # fail when a module sits in no layer

Every import counts, including those inside functions and under TYPE_CHECKING (grimp sees them all, as
import-linter does). A *package* is the first level under app (app.booking, app.db, ...); an *arrow* is
a pair of packages where one imports the other. A *back arrow* is an import from a lower layer into a
higher one, or between two siblings of a layer declared independent (``|``); the layers are those of the
contract with id ``layers``. A *cycle* is a strongly connected component of more than one node.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from collections import defaultdict
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # this checkout's app, not whichever one is installed
ROOT_PACKAGE = "app"


def load_layers() -> list[tuple[list[str], bool]]:
    """The layers contract, top first: (modules of the layer, whether its siblings are independent)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c.get("id") == "layers")
    layers = []
    for raw in contract["layers"]:
        independent = ":" not in raw
        names = [name.strip().strip("()") for name in raw.replace(":", "|").split("|")]
        layers.append((names, independent))
    return layers


def package_of(module: str) -> str:
    return ".".join(module.split(".")[:2])


def strongly_connected(nodes: set[str], edges: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative; components of more than one node only."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for start in sorted(nodes):
        if start in index:
            continue
        work = [(start, iter(sorted(edges.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return sorted(found)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arrows", action="store_true", help="list the back arrows")
    parser.add_argument("--debt", action="store_true", help="print the ignore_imports lines")
    parser.add_argument("--check", action="store_true", help="only fail (exit 1) when a module is in no layer")
    options = parser.parse_args()

    graph = grimp.build_graph(ROOT_PACKAGE)
    layers = load_layers()
    place: dict[str, tuple[int, str, bool]] = {}  # layer element -> (depth, element, independent)
    for depth, (names, independent) in enumerate(layers):
        for name in names:
            place[name] = (depth, name, independent)

    def placed(module: str) -> tuple[int, str, bool] | None:
        parts = module.split(".")
        for end in range(len(parts), 0, -1):
            hit = place.get(".".join(parts[:end]))
            if hit:
                return hit
        return None

    modules = set(graph.modules)
    imports = {(m, i) for m in modules for i in graph.find_modules_directly_imported_by(m)}
    module_edges: dict[str, set[str]] = defaultdict(set)
    package_edges: dict[str, set[str]] = defaultdict(set)
    for importer, imported in imports:
        module_edges[importer].add(imported)
        if package_of(importer) != package_of(imported):
            package_edges[package_of(importer)].add(package_of(imported))

    back: list[tuple[str, str]] = []
    for importer, imported in sorted(imports):
        source, target = placed(importer), placed(imported)
        if source is None or target is None:
            continue
        upward = target[0] < source[0]
        across = target[0] == source[0] and target[1] != source[1] and source[2]
        if upward or across:
            back.append((importer, imported))

    packages = {package_of(m) for m in modules}
    arrows = sum(len(targets) for targets in package_edges.values())
    back_arrows = sorted({(package_of(a), package_of(b)) for a, b in back if package_of(a) != package_of(b)})
    package_cycles = strongly_connected(packages, package_edges)
    module_cycles = strongly_connected(modules, module_edges)
    unplaced = sorted(m for m in modules if placed(m) is None and m != ROOT_PACKAGE and not graph.find_children(m))

    if options.check:
        for module in unplaced:
            print(f"{module} is in no layer of the layers contract in pyproject.toml", file=sys.stderr)
        return 1 if unplaced else 0
    if options.debt:
        for importer, imported in back:
            print(f'  "{importer} -> {imported}",  # debt: issue 14')
        return 0

    print(f"modules: {len(modules)}, imports between them: {len(imports)}")
    print(f"packages: {len(packages)}, arrows between packages: {arrows}")
    print(f"back arrows: {len(back_arrows)} between packages, from {len(back)} imports")
    mutual = sorted((a, b) for a in package_edges for b in package_edges[a] if a < b and a in package_edges.get(b, ()))
    print(f"package pairs importing each other: {len(mutual)}" + "".join(f"\n  {a} <-> {b}" for a, b in mutual))
    print(f"package cycles: {len(package_cycles)}" + "".join(f"\n  {' <-> '.join(c)}" for c in package_cycles))
    print(f"module cycles: {len(module_cycles)}" + "".join(f"\n  {' <-> '.join(c)}" for c in module_cycles))
    if options.arrows:
        by_arrow: dict[tuple[str, str], list[str]] = defaultdict(list)
        for importer, imported in back:
            by_arrow[(package_of(importer), package_of(imported))].append(f"{importer} -> {imported}")
        for arrow in sorted(by_arrow):
            print(f"{arrow[0]} -> {arrow[1]}")
            for line in by_arrow[arrow]:
                print(f"    {line}")
    if unplaced:
        print("modules in no layer: " + ", ".join(unplaced))
    return 0


if __name__ == "__main__":
    sys.exit(main())

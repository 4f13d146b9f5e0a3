"""The structure holds: the import graph, drawn from the code itself, has no cycle and no import from a lower
layer to a higher one; no module of the layer is long; one place moves a record's version; no code is
written twice.

Layers, bottom up: what everything may use (errors, wire formats, the clock's deadline, observability,
durations), the models, the providers and the stores (the only code that talks to the outside), the use
cases, the composition root (with the settings and the HTTP edge), and the functions."""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path

from local.template import ROOT

PACKAGE = ROOT / "layers" / "paygate" / "paygate"
FOUNDATION, MODELS, OUTSIDE, USE_CASES, ROOT_LAYER, FUNCTIONS = range(6)
# Module (or package, for everything below it) -> its layer; the longest matching name wins.
LAYERS = {
    "paygate": FOUNDATION,
    "paygate.models": MODELS,
    "paygate.fields": MODELS,
    "paygate.facts": MODELS,
    "paygate.status": MODELS,
    "paygate.events": MODELS,
    "paygate.refunds": MODELS,
    "paygate.reconciliation": MODELS,
    "paygate.settlement": MODELS,
    "paygate.webhooks.models": MODELS,
    "paygate.accounts": MODELS,
    "paygate.accounts.models": MODELS,
    "paygate.accounts.store": OUTSIDE,
    "paygate.accounts.authorize": USE_CASES,
    "paygate.accounts.manage": USE_CASES,
    "paygate.providers": OUTSIDE,
    "paygate.store": OUTSIDE,
    "paygate.publisher": OUTSIDE,
    "paygate.webhooks": OUTSIDE,
    "paygate.checkout": OUTSIDE,
    "paygate.lifecycle": USE_CASES,
    "paygate.webhooks.service": USE_CASES,
    "paygate.webhooks.endpoints": USE_CASES,
    "paygate.exports": MODELS,
    "paygate.exports.store": OUTSIDE,
    "paygate.exports.service": USE_CASES,
    "paygate.config": ROOT_LAYER,
    "paygate.api": ROOT_LAYER,
    "paygate.service": ROOT_LAYER,
    "paygate.deploy_check": ROOT_LAYER,
    "functions": FUNCTIONS,
}
MAX_MODULE_LINES = 300


def modules() -> dict[str, Path]:
    """Every module of the layer's package and every function, by its dotted name."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    for path in (ROOT / "functions").glob("*/app.py"):
        found[f"functions.{path.parent.name}"] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of `known` that `path` imports, wherever the import stands (a function's lazy imports
    and those only for type checking included): `from a.b import c` is a.b.c when that is a module."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return {module for module in found if module in known and module != name}


def graph() -> dict[str, set[str]]:
    found = modules()
    return {name: imports(name, path, set(found)) for name, path in found.items()}


def layer(module: str) -> int:
    matches = [prefix for prefix in LAYERS if module == prefix or module.startswith(prefix + ".")]
    return LAYERS[max(matches, key=len)]


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in edges[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_import_graph_has_no_cycle():
    assert cycles(graph()) == []


def test_no_module_imports_from_a_layer_above_its_own():
    upward = sorted(
        f"{source} ({layer(source)}) imports {target} ({layer(target)})"
        for source, targets in graph().items()
        for target in targets
        if layer(target) > layer(source)
    )
    assert upward == []


def test_every_module_has_a_layer_and_the_graph_sees_the_imports():
    edges = graph()
    assert all(layer(module) is not None for module in edges)
    # The reader finds imports of every kind: module level, lazy (inside a function), for types only.
    assert "paygate.lifecycle.cancel" in edges["paygate.service"]  # lazy
    assert "paygate.providers.registry" in edges["paygate.config"]  # only for type checking
    assert "paygate.store.payments" in edges["paygate.lifecycle.sync"]


def test_the_checks_find_a_cycle_and_an_upward_import():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": set()}) == [["a", "b", "c"]]
    assert layer("paygate.models") < layer("paygate.lifecycle.create") < layer("functions.create_payment")


def test_no_module_of_the_layer_is_over_300_lines():
    long = {
        name: lines
        for name, path in modules().items()
        if name.startswith("paygate") and (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


def test_one_place_in_the_layer_moves_a_version():
    places = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in PACKAGE.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if re.search(r"version\s*\+\s*1", line)
    ]
    assert places == ["layers/paygate/paygate/store/versioned.py:" + places[0].rsplit(":", 1)[1]]


# --- code written twice -------------------------------------------------------------------------------

RUN = 6  # lines in a row that make a duplicate
_SKIPPED = re.compile(r"^(#.*|[()\[\]{},:;]*|(from \S+ )?import .*|\"\"\"|''')$")


def _lines(path: Path) -> list[tuple[int, str]]:
    """The lines that count, with their numbers: no blank lines, comments, lone punctuation or imports,
    white space folded."""
    kept = []
    for number, line in enumerate(path.read_text().splitlines(), start=1):
        text = " ".join(line.split())
        if text and not _SKIPPED.match(text):
            kept.append((number, text))
    return kept


def duplicates(paths: list[Path]) -> list[str]:
    """Every run of RUN identical lines that stands in two places."""
    seen: dict[tuple[str, ...], list[tuple[Path, int]]] = defaultdict(list)
    for path in paths:
        lines = _lines(path)
        for start in range(len(lines) - RUN + 1):
            window = tuple(text for _, text in lines[start : start + RUN])
            places = seen[window]
            if not any(other == path and abs(line - lines[start][0]) < RUN for other, line in places):
                places.append((path, lines[start][0]))
    return sorted(
        " ~ ".join(f"{_shown(path)}:{line}" for path, line in places[:2]) for places in seen.values() if len(places) > 1
    )


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name


def test_no_six_lines_stand_twice_in_the_layer_the_functions_or_the_local_stack():
    paths = [path for folder in ("layers", "functions", "local") for path in (ROOT / folder).rglob("*.py")]
    assert duplicates(paths) == []


def test_the_duplicate_check_finds_a_copy(tmp_path):
    block = "\n".join(f"value_{n} = compute({n}) + {n}" for n in range(RUN))
    (tmp_path / "a.py").write_text(block + "\n")
    (tmp_path / "b.py").write_text("import os\n\n" + block + "\n")
    found = duplicates([tmp_path / "a.py", tmp_path / "b.py"])
    assert len(found) == 1 and "a.py:1" in found[0] and "b.py:3" in found[0]

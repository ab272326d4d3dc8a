"""The package's imports point one way: model -> engine -> analysis -> present -> outputs ->
app -> cli, with no cycle (read from the source with :mod:`ast`, imports inside functions
included, ``if TYPE_CHECKING:`` blocks excluded)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "cxroi"

#: Rooms of the pipeline, lowest first. ``errors`` and ``bundle`` import nothing of cxroi's
#: and serve every room; the CLI sits on top.
LAYERS = ["errors", "bundle", "model", "engine", "analysis", "present", "outputs", "app", "cli"]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py")) if "_bundle" not in p.parts}


def layer(module: str) -> int:
    parts = module.split(".")
    if len(parts) == 1:
        return len(LAYERS)  # the package itself: its lazy public names reach every room
    room = parts[1]
    if room in ("cli", "cli_decisions", "cli_support", "__main__"):
        room = "cli"
    return LAYERS.index(room)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(module: str) -> set[str]:
    """The cxroi modules ``module`` imports anywhere in its code."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "cxroi")
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] == "cxroi":
                for alias in node.names:
                    sub = f"{node.module}.{alias.name}"
                    found.add(sub if sub in MODULES else node.module)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    found.discard(module)
    return {m for m in found if m in MODULES}


GRAPH = {m: _imports(m) for m in MODULES}

#: Import cycles allowed (none): the test fails when a cycle appears.
KNOWN_CYCLES: list[list[str]] = []


def test_every_module_is_in_a_room():
    rooms = {m.split(".")[1] for m in MODULES if "." in m}
    assert rooms <= {*LAYERS, "cli_decisions", "cli_support", "__main__"}, rooms - set(LAYERS)


@pytest.mark.parametrize("module", sorted(m for m in MODULES if m != "cxroi"))
def test_imports_point_down_the_pipeline(module):
    upward = sorted(
        target
        for target in GRAPH[module]
        if target != "cxroi" and layer(target) > layer(module)
    )
    assert upward == [], f"{module} ({LAYERS[layer(module)]}) imports upward: {upward}"


def test_no_import_cycle():
    # Tarjan's strongly connected components; the package root is left out, as its public
    # names are attribute look-ups resolved on first use, not imports at import time.
    graph = {m: {t for t in ts if t != "cxroi"} for m, ts in GRAPH.items() if m != "cxroi"}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def strongconnect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            strongconnect(v)
    assert sorted(cycles) == KNOWN_CYCLES


def test_the_walk_sees_imports_inside_functions():
    # The CLI imports its commands' modules lazily; the walk must still see them.
    assert "cxroi.engine.case" in GRAPH["cxroi.cli"]
    assert "cxroi.app.serve" in GRAPH["cxroi.cli"]


#: Modules above this many lines say why in their docstring, in a paragraph starting "Size:".
MAX_LINES = 800


@pytest.mark.parametrize("module", sorted(MODULES))
def test_a_large_module_says_why(module):
    text = MODULES[module].read_text(encoding="utf-8")
    if text.count("\n") <= MAX_LINES:
        return
    doc = ast.get_docstring(ast.parse(text)) or ""
    assert "\nSize: " in doc, f"{module} has {text.count(chr(10))} lines and no reason"

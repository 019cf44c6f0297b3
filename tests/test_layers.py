"""The import floors of `tiski`, checked over the source with `ast`.

Imports run down the table LAYERS, never up; apps on one floor may use each
other (except the pairs in SIBLING_BANS). No module imports itself round a
loop of other modules. Module-level and function-level imports both count
(a function-level import still means the lower module needs the higher one
to work); imports under `if TYPE_CHECKING:` never run and are ignored.

What is wrong today, and being removed by others, is listed in
KNOWN_VIOLATIONS and KNOWN_CYCLE_EDGES with why; the test also fails when a
listed entry is gone, so the lists only shrink. To add or rename an app, edit
its line in LAYERS.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "tiski"

# Floor -> the names under `tiski.` on it (a top-level module without `.py`).
LAYERS: dict[int, tuple[str, ...]] = {
    # ground floor: imports nothing of tiski but itself
    0: ("core", "env", "settings", "celery", "calendars"),
    # domain
    1: ("accounts", "customers", "tickets"),
    # features working on the domain
    2: (
        "sla",
        "macros",
        "rules",
        "search",
        "reports",
        "surveys",
        "worktime",
        "knowledge",
        "notifications",
    ),
    # channels: how messages come in and go out (add the new package's name here)
    3: ("connectors",),
    # the desk and the API: what people and programs use
    4: ("desk", "setup", "api", "portal", "movein", "sidepanel"),
    # operations (serve, worker, demo and generated data) and the project's wiring
    5: ("operations", "urls", "asgi", "wsgi", "cli"),
}

# Apps on one floor that must not import each other: SLA reaches rules only
# through ticket changes.
SIBLING_BANS: frozenset[tuple[str, str]] = frozenset({("sla", "rules")})

# (importer, imported): imports that break the floors today.
KNOWN_VIOLATIONS: dict[tuple[str, str], str] = {}

# (importer, imported): imports that close an import cycle today. Without
# them the graph has no cycle; each must still be on a cycle.
KNOWN_CYCLE_EDGES: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def find_modules(root: Path = ROOT) -> dict[str, Path]:
    return {
        _module_name(path): path
        for path in sorted(root.rglob("*.py"))
        if "migrations" not in path.parts  # they name apps by label, not by import
    }


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """Every node, except the bodies of `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            for other in child.orelse:
                yield other
                yield from _walk(other)
            continue
        yield child
        yield from _walk(child)


def _resolve(name: str, known: dict[str, Path]) -> str | None:
    """The tiski module an imported name runs: its longest known prefix."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_in(source: str, module: str, known: dict[str, Path], is_package: bool) -> set[str]:
    found: set[str] = set()
    for node in _walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            prefix = node.module or ""
            if node.level:
                base = module.split(".")
                drop = node.level - 1 if is_package else node.level
                base = base[: len(base) - drop]
                prefix = ".".join(base + ([node.module] if node.module else []))
            # `from pkg import sub` runs pkg.sub when sub is a module
            names = [f"{prefix}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name, known) if name.startswith("tiski") else None
            if target and target != module:
                found.add(target)
    return found


def import_graph(known: dict[str, Path]) -> dict[str, set[str]]:
    return {
        module: imports_in(
            path.read_text(encoding="utf-8"), module, known, path.name == "__init__.py"
        )
        for module, path in known.items()
    }


def floor_of(module: str) -> tuple[int, str] | None:
    parts = module.split(".")
    if len(parts) < 2:
        return None  # tiski/__init__.py
    for floor, names in LAYERS.items():
        if parts[1] in names:
            return floor, parts[1]
    return None


def upward_imports(graph: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    bad = {}
    for module, targets in graph.items():
        here = floor_of(module)
        for target in targets:
            there = floor_of(target)
            if here is None or there is None:
                continue
            if there[0] > here[0]:
                bad[(module, target)] = f"{here[1]} (floor {here[0]}) -> {there[1]} ({there[0]})"
            elif (here[1], there[1]) in SIBLING_BANS:
                bad[(module, target)] = f"{here[1]} must not import {there[1]}"
    return bad


def strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """The groups of more than one module that import each other (Tarjan's
    algorithm, iterative so a deep graph cannot hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def enter(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)

    for start in sorted(graph):
        if start in index:
            continue
        enter(start)
        work = [(start, iter(sorted(graph[start])))]
        while work:
            node, edges = work[-1]
            for nxt in edges:
                if nxt not in graph:
                    continue
                if nxt not in index:
                    enter(nxt)
                    work.append((nxt, iter(sorted(graph[nxt]))))
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    if len(group) > 1:
                        found.append(group)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    return import_graph(find_modules())


def test_every_app_is_on_a_floor(graph) -> None:
    missing = sorted({m.split(".")[1] for m in graph if "." in m and floor_of(m) is None})
    assert not missing, f"add these to LAYERS in tests/test_layers.py: {missing}"


def test_no_import_runs_up_a_floor(graph) -> None:
    new = {pair: why for pair, why in upward_imports(graph).items() if pair not in KNOWN_VIOLATIONS}
    assert not new, "imports running up a floor:\n" + "\n".join(
        f"  {a} -> {b}: {why}" for (a, b), why in sorted(new.items())
    )


def test_known_violations_still_exist(graph) -> None:
    gone = sorted(set(KNOWN_VIOLATIONS) - set(upward_imports(graph)))
    assert not gone, f"fixed: remove from KNOWN_VIOLATIONS in tests/test_layers.py: {gone}"


def test_no_import_cycles(graph) -> None:
    pruned = {m: {t for t in ts if (m, t) not in KNOWN_CYCLE_EDGES} for m, ts in graph.items()}
    groups = strongly_connected(pruned)
    assert not groups, "modules importing each other:\n" + "\n".join(
        "  " + " <-> ".join(sorted(g)) for g in groups
    )


def test_known_cycle_edges_still_close_a_cycle(graph) -> None:
    groups = strongly_connected(graph)
    gone = sorted(
        (a, b)
        for a, b in KNOWN_CYCLE_EDGES
        if b not in graph.get(a, set()) or not any(a in g and b in g for g in groups)
    )
    assert not gone, f"fixed: remove from KNOWN_CYCLE_EDGES in tests/test_layers.py: {gone}"


def test_the_ground_floor_imports_only_itself(graph) -> None:
    """Stated on its own as well: core is what everything else stands on.

    Besides itself it may use the environment and the Celery app (queueing a
    task by name, `core.tasks.enqueue`), both below every app."""
    allowed = {(0, "core"), (0, "env"), (0, "celery")}
    for module, targets in graph.items():
        if floor_of(module) == (0, "core"):
            above = sorted(t for t in targets if floor_of(t) not in allowed)
            assert not above, f"{module} imports {above}"


# --- the checker itself --------------------------------------------------------

KNOWN = {
    name: Path(name.replace(".", "/") + ".py")
    for name in (
        "tiski.core.desk",
        "tiski.core.middleware",
        "tiski.core.x",
        "tiski.desk.views",
        "tiski.tickets",
        "tiski.tickets.actions",
        "tiski.tickets.models",
    )
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from tiski.tickets import actions", {"tiski.tickets.actions"}),
        ("from tiski.tickets.models import Ticket", {"tiski.tickets.models"}),
        ("import tiski.tickets.models as m", {"tiski.tickets.models"}),
        ("from tiski.tickets import Anything", {"tiski.tickets"}),
        ("from . import desk", {"tiski.core.desk"}),
        ("from .middleware import X", {"tiski.core.middleware"}),
        ("from ..desk import views", {"tiski.desk.views"}),
        ("def f():\n    from tiski.desk import views", {"tiski.desk.views"}),
        ("if TYPE_CHECKING:\n    import tiski.desk.views", set()),
        (
            "if typing.TYPE_CHECKING:\n    import tiski.desk.views\n"
            "else:\n    import tiski.core.desk",
            {"tiski.core.desk"},
        ),
        ("import django.core", set()),
    ],
)
def test_the_checker_reads_imports(source: str, expected: set[str]) -> None:
    assert imports_in(source, "tiski.core.x", KNOWN, is_package=False) == expected


def test_the_checker_finds_a_cycle_and_an_upward_import() -> None:
    graph = {
        "tiski.core.a": {"tiski.tickets.b"},
        "tiski.tickets.b": {"tiski.tickets.c"},
        "tiski.tickets.c": {"tiski.tickets.b"},
        "tiski.tickets.d": set(),
    }
    assert strongly_connected(graph) == [{"tiski.tickets.b", "tiski.tickets.c"}]
    assert set(upward_imports(graph)) == {("tiski.core.a", "tiski.tickets.b")}

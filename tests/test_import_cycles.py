"""No import cycles between our modules (issue #19): a module that imports another which
imports it back, at module level or inside a function (the usual way to hide a cycle),
is reported. The import graph is read from the source with ``ast``; nothing is imported.

An edge goes from a module to each of our modules it names: ``from a.b import c`` is an
edge to ``a.b.c`` when that is a module, else to ``a.b``. A package's ``__init__`` that
imports its own submodules is not a cycle (Python runs the package first)."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# source folder -> the package folder inside it
PACKAGES = {
    "ckanext-openlima": "ckanext/openlima",
    "ckanext-limaactiva": "ckanext/limaactiva",
    "ckanext-limahonesta": "ckanext/limahonesta",
    "common": "openlima_common",
    "site": "openlima_site",
    "stack": "openlima_stack",
}
# Cycles that exist today and are to go (issue #19 item 4, Lima Honesta). A new cycle
# fails the test; when one of these goes, delete it here.
KNOWN_CYCLES = {
    frozenset({"ckanext.limahonesta.crypto", "ckanext.limahonesta.kdf_slots",
               "ckanext.limahonesta.uploads"}),
    frozenset({"ckanext.limahonesta.staff", "ckanext.limahonesta.unit"}),
}


def our_modules() -> dict[str, tuple[Path, bool]]:
    modules = {}
    for folder, package in PACKAGES.items():
        base = ROOT / folder
        for path in sorted((base / package).rglob("*.py")):
            parts = list(path.relative_to(base).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            modules[".".join(parts)] = (path, is_package)
    return modules


def import_graph(modules: dict[str, tuple[Path, bool]]) -> dict[str, set[str]]:
    def ours(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, (path, is_package) in modules.items():
        package = name if is_package else name.rpartition(".")[0]
        edges = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                edges.update(ours(alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom):
                target = node.module or ""
                if node.level:
                    base = package
                    for _ in range(node.level - 1):
                        base = base.rpartition(".")[0]
                    target = f"{base}.{target}" if target else base
                for alias in node.names:
                    submodule = f"{target}.{alias.name}"
                    edges.add(submodule if submodule in modules else ours(target))
        edges.discard(None)
        edges.discard(name)
        graph[name] = edges
    return graph


def cycles(graph: dict[str, set[str]]) -> set[frozenset[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: set[frozenset[str]] = set()
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.add(frozenset(component))
    return found


def test_the_walk_sees_our_modules_and_their_imports():
    modules = our_modules()
    graph = import_graph(modules)
    assert len(modules) > 150
    # module level, relative, and inside a function: each kind is an edge
    assert "ckanext.limaactiva.logic.shared" in graph["ckanext.limaactiva.logic.notify"]
    assert "ckanext.limahonesta.crypto" in graph["ckanext.limahonesta.uploads"]
    assert "ckanext.limahonesta.staff" in graph["ckanext.limahonesta.unit"]


def test_the_check_finds_a_cycle_hidden_in_a_function():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == {frozenset({"a", "b", "c"})}
    assert cycles({"a": {"b"}, "b": set()}) == set()


def test_no_new_import_cycles():
    found = cycles(import_graph(our_modules()))
    new = found - KNOWN_CYCLES
    assert not new, "import cycles: " + "; ".join(
        " <-> ".join(sorted(cycle)) for cycle in new)


@pytest.mark.parametrize("cycle", sorted(KNOWN_CYCLES, key=sorted),
                         ids=lambda cycle: "+".join(sorted(cycle)))
def test_the_known_cycles_are_still_there(cycle):
    # keeps KNOWN_CYCLES true: a cycle that was removed is deleted from it
    assert cycle in cycles(import_graph(our_modules())), \
        f"{sorted(cycle)} is no longer a cycle: delete it from KNOWN_CYCLES"


def test_lima_activa_actions_and_moderation_do_not_import_each_other():
    graph = import_graph(our_modules())
    actions = {name for name in graph
               if name.startswith("ckanext.limaactiva.logic.action")}
    for module in ("moderation", "notify", "shared"):
        assert not graph[f"ckanext.limaactiva.logic.{module}"] & actions, module

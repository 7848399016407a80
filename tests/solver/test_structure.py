"""The solver package's import rules: no loops, no imports inside functions, no method module
importing another, nothing from Django."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "planner" / "solver"
METHODS = {"compact", "patterns", "greedy"}


def trees() -> dict[str, ast.Module]:
    return {p.stem: ast.parse(p.read_text(encoding="utf-8")) for p in PACKAGE.glob("*.py")}


def local_imports(tree: ast.Module) -> set[str]:
    return {n.module for n in tree.body if isinstance(n, ast.ImportFrom) and n.level == 1}


def test_no_imports_inside_functions() -> None:
    found = [
        f"{name}.{fn.name}"
        for name, tree in trees().items()
        for fn in ast.walk(tree)
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
        for node in ast.walk(fn)
        if isinstance(node, ast.Import | ast.ImportFrom)
    ]
    assert found == []


def test_no_import_loops_and_methods_stay_apart() -> None:
    graph = {name: local_imports(tree) for name, tree in trees().items()}
    for name in METHODS:
        assert not graph[name] & (METHODS - {name}), name

    def reach(start: str, seen: set[str]) -> set[str]:
        for dep in graph.get(start, set()):
            if dep not in seen:
                seen.add(dep)
                reach(dep, seen)
        return seen

    assert [name for name in graph if name in reach(name, set())] == []


def test_pure_no_django_or_celery() -> None:
    for name, tree in trees().items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & {"django", "rest_framework", "celery", "planner", "inventory"}, name

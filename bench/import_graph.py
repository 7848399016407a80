"""The project's own import graph: modules, levels, loops and imports inside functions.

`python -m bench.import_graph [ROOT]` prints, for the packages `planner`, `inventory` and
`config`, how many modules there are, how deep the longest chain of module-level imports goes
(level 0 imports no project module), every import loop (strongly connected component with more
than one module, counting imports made inside functions too) and every import made inside a
function. Used for the architecture doc and issue notes; reads source with `ast`, runs nothing.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

PACKAGES = ("planner", "inventory", "config")


def module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported(node: ast.Import | ast.ImportFrom, name: str, is_package: bool) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        parent = name.split(".") if is_package else name.split(".")[:-1]
        parent = parent[: len(parent) - (node.level - 1)]
        base = ".".join([*parent, base] if base else parent)
    return [base, *(f"{base}.{alias.name}" for alias in node.names)]


def graph(root: Path) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(module -> modules it imports at module level, module -> modules imported in functions)."""
    files = [
        p for pkg in PACKAGES for p in (root / pkg).rglob("*.py") if "migrations" not in p.parts
    ]
    names = {module_name(root, p): p for p in files}
    top: dict[str, set[str]] = {n: set() for n in names}
    inner: dict[str, set[str]] = {n: set() for n in names}
    for name, path in names.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        in_function = set()
        for fn in ast.walk(tree):
            if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
                in_function.update(id(n) for n in ast.walk(fn))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Import | ast.ImportFrom):
                continue
            is_package = path.name == "__init__.py"
            targets = {t for t in imported(node, name, is_package) if t in names and t != name}
            (inner if id(node) in in_function else top)[name].update(targets)
    return top, inner


def levels(top: dict[str, set[str]]) -> dict[str, int]:
    memo: dict[str, int] = {}

    def level(n: str, stack: frozenset) -> int:
        if n in memo:
            return memo[n]
        deps = [d for d in top[n] if d not in stack]
        memo[n] = 1 + max((level(d, stack | {n}) for d in deps), default=-1)
        return memo[n]

    return {n: level(n, frozenset()) for n in top}


def loops(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
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
                found.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in edges:
        if v not in index:
            visit(v)
    return found


def report(root: Path) -> str:
    top, inner = graph(root)
    # A package importing its own submodules (re-exports) is not a loop of jobs.
    def own(a: str, b: str) -> bool:
        return b.startswith(a + ".")

    both = {n: {d for d in top[n] | inner[n] if not own(n, d)} for n in top}
    lv = levels({n: {d for d in top[n] if not own(n, d)} for n in top})
    planner_flat = sorted(n for n in top if n.count(".") == 1 and n.startswith("planner."))
    lines = [
        f"modules: {len(top)} ({len(planner_flat)} directly under planner/)",
        f"deepest chain of module-level imports: {max(lv.values())} levels",
        f"import loops: {len(loops(both))}",
    ]
    lines += [f"  loop: {' <-> '.join(c)}" for c in loops(both)]
    inner_pairs = sorted((n, d) for n in inner for d in inner[n])
    lines.append(f"imports inside functions: {len(inner_pairs)}")
    lines += [f"  {n} -> {d}" for n, d in inner_pairs]
    cross = sorted(
        (n, d)
        for n in both
        for d in both[n]
        if n.startswith("inventory") and d.startswith("planner")
    )
    lines.append(f"inventory -> planner imports: {len(cross)}")
    lines += [f"  {n} -> {d}" for n, d in cross]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(Path(sys.argv[1] if len(sys.argv) > 1 else ".").resolve()))

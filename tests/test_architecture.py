"""The layout holds: no import cycle among app/ modules, no function-local import of app/ code
(the way a cycle gets hidden), and lca/ stays a pure core that imports no service code."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# Command-line entry points import what each command runs on demand, so `cellcarbon --help`
# stays fast: that is laziness, not a hidden cycle.
LAZY_IMPORTS_ALLOWED = {"app.cli", "app.pact.cli"}
SERVICE_PACKAGES = ("app", "fastapi", "starlette", "sqlalchemy", "sqlmodel", "psycopg", "alembic")


def _modules(package: str) -> dict[str, Path]:
    found = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join(parts)] = path
    return found


def _imports(path: Path, module: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import in ``path``."""
    tree = ast.parse(path.read_text())
    top_level = {id(node) for node in tree.body}
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno, id(node) in top_level) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            found.append((base, node.lineno, id(node) in top_level))
            found += [
                (f"{base}.{alias.name}", node.lineno, id(node) in top_level) for alias in node.names
            ]
    return found


def _graph() -> dict[str, set[str]]:
    modules = _modules("app")
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for target, _, _ in _imports(path, name):
            if target in modules and target != name:
                graph[name].add(target)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycle_among_app_modules() -> None:
    cycle = _cycle(_graph())
    assert cycle is None, "import cycle: " + " → ".join(cycle or [])


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_function_local_import_of_app_code() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in _modules("app").items()
        if name not in LAZY_IMPORTS_ALLOWED
        for target, line, top in _imports(path, name)
        if not top and (target == "app" or target.startswith("app."))
    ]
    assert offenders == []


def test_lca_imports_no_service_code() -> None:
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in _modules("lca").items()
        for target, line, _ in _imports(path, name)
        if target.split(".")[0] in SERVICE_PACKAGES
    ]
    assert offenders == []


def test_core_knows_no_slice() -> None:
    """app.core is what slices build on: it imports no slice (organisations, keys, BOMs …)."""
    offenders = [
        f"{path.relative_to(ROOT)}:{line} imports {target}"
        for name, path in _modules("app").items()
        if name.startswith("app.core")
        for target, line, _ in _imports(path, name)
        if target.startswith("app.") and not target.startswith("app.core")
    ]
    assert offenders == []


def test_tables_and_job_kinds_are_leaves() -> None:
    """Only the app factory, the CLI, Alembic and tests import the registration modules."""
    allowed = {"app.main", "app.cli"}
    offenders = [
        f"{name} imports {target}"
        for name, path in _modules("app").items()
        if name not in allowed
        for target, _, _ in _imports(path, name)
        if target in ("app.tables", "app.job_kinds")
    ]
    assert offenders == []

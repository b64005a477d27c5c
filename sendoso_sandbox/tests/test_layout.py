"""The sandbox's shape holds: an independent model of the service (it never imports the
connector), laid out in layers that only import downwards."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import sendoso_sandbox

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

PACKAGE = Path(sendoso_sandbox.__file__).parent
# The package's modules by dotted name below it ("store", "core.web", "core.__init__"), tests aside.
MODULES = {
    ".".join(path.relative_to(PACKAGE).with_suffix("").parts): path
    for path in sorted(PACKAGE.rglob("*.py"))
    if path.relative_to(PACKAGE).parts[0] != "tests"
}


def _imports(path: Path, name: str = "") -> tuple[set[str], set[str]]:
    """(top-level modules it imports from outside, modules of the package it imports, by dotted name)."""
    package = name.split(".")[:-1]
    outside, inside = set(), set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            outside.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            outside.add(node.module.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - (node.level - 1)]
            targets = [[*base, *node.module.split(".")]] if node.module else [[*base, alias.name] for alias in node.names]
            inside.update(".".join(target) for target in targets)
    return outside, inside


def _declared_dependencies() -> set[str]:
    project = tomllib.loads((PACKAGE / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {re.split(r"[^A-Za-z0-9_.-]", requirement, maxsplit=1)[0].lower() for requirement in project["dependencies"]}


def test_the_sandbox_imports_only_the_standard_library_and_its_declared_dependencies():
    allowed = set(sys.stdlib_module_names) | {"__future__", "sendoso_sandbox"} | _declared_dependencies()
    for name, path in MODULES.items():
        outside, _ = _imports(path)
        assert not outside - allowed, f"{name} imports {outside - allowed}"


def test_nothing_in_the_sandbox_or_its_tests_imports_the_connector_or_the_cdk():
    for path in sorted(PACKAGE.rglob("*.py")):
        outside, _ = _imports(path)
        assert not outside & {"source_sendoso", "airbyte_cdk", "harness"}, f"{path.relative_to(PACKAGE)} imports {outside}"


def test_no_module_of_the_sandbox_imports_itself_back():
    graph = {name: _imports(path, name)[1] for name, path in MODULES.items()}
    done: set[str] = set()

    def visit(module: str, trail: list[str]) -> None:
        assert module not in trail, f"import circle: {' -> '.join(trail + [module])}"
        if module in done:
            return
        for imported in sorted(graph.get(module, ())):
            visit(imported, trail + [module])
        done.add(module)

    for module in graph:
        visit(module, [])


def test_the_plumbing_the_surfaces_and_the_fault_layer_keep_to_their_layer():
    graph = {name: _imports(path, name) for name, path in MODULES.items()}
    # core/ is HTTP plumbing under the service, as moto/core is: it knows nothing of Sendoso.
    for name, (_, inside) in graph.items():
        if name.startswith("core."):
            assert all(module.startswith("core.") for module in inside), f"{name} imports {inside}"
    # server.py is the HTTP wire: it knows requests and responses, nothing behind them.
    assert graph["core.server"][1] <= {"core.web"}, graph["core.server"][1]
    # The surfaces parse, call the backend and shape the answer: no storage, no SQL of their own.
    for surface in ("direct", "hub", "control", "urls"):
        outside, inside = graph[surface]
        assert not inside & {"store", "data", "ceql_sql", "core.server", "app"}, f"{surface} imports {inside}"
        assert "sqlite3" not in outside, surface
    # The fault layer sits between a request and its surface: it knows neither a surface nor the backend.
    assert not graph["faults"][1] & {"direct", "hub", "control", "oauth", "backend", "store", "app"}

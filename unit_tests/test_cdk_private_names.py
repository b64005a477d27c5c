"""Private names of the CDK are touched in one module only (source_sendoso/cdk_seams.py).

A CDK release may rename or drop anything whose name starts with `_` without notice. Kept to one
module, each such touch has its own test there (test_cdk_seams.py) that names the change when it
comes; spread through the connector, the first sign of it would be a sync behaving differently.

What counts as a touch, found in the syntax tree of every module of the package:
- `from airbyte_cdk... import _name`;
- `obj._name`, or `getattr`/`setattr`/`hasattr`/`delattr(obj, "_name")`, where `_name` is private
  somewhere in airbyte_cdk (a function, method, class attribute or `self._name` it assigns) and
  `obj` is not `self` or `cls`;
- `self._name` / `cls._name` in a class of the connector when `_name` is private to one of its
  CDK base classes (an attribute or method it inherits, read, called or replaced);
- `vars(obj)` or `obj.__dict__` of an object other than `self`: a CDK object's private state, whole.
"""

from __future__ import annotations

import ast
import functools
import importlib
import inspect
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Iterator, List, Optional, Set

import airbyte_cdk

PACKAGE = Path(__file__).resolve().parents[1] / "source_sendoso"
SEAM_MODULE = PACKAGE / "cdk_seams.py"
CDK_ROOT = Path(airbyte_cdk.__file__).parent
_ATTRIBUTE_FUNCTIONS = {"getattr", "setattr", "hasattr", "delattr"}


def _is_private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__") and len(name) > 1


def _private_names_defined_in(tree: ast.AST) -> Iterator[str]:
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            yield node.name
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            yield node.attr
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            yield node.id
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            yield node.target.id


@functools.lru_cache(maxsize=None)
def cdk_private_names() -> frozenset[str]:
    names: Set[str] = set()
    for path in CDK_ROOT.rglob("*.py"):
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue
        names.update(name for name in _private_names_defined_in(tree) if _is_private(name))
    return frozenset(names)


@functools.lru_cache(maxsize=None)
def _private_names_of_cdk_class(cdk_class: type) -> frozenset[str]:
    names = {name for name in vars(cdk_class) if _is_private(name)}
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cdk_class)))
    except (OSError, TypeError, SyntaxError):
        return frozenset(names)
    names.update(name for name in _private_names_defined_in(tree) if _is_private(name))
    return frozenset(names)


def inherited_cdk_private_names(cls: type) -> frozenset[str]:
    """The private names of the CDK classes `cls` derives from."""
    names: Set[str] = set()
    for base in cls.__mro__:
        if base.__module__.startswith("airbyte_cdk"):
            names |= _private_names_of_cdk_class(base)
    return frozenset(names)


def _module_name(path: Path) -> str:
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)


def _self_or_cls(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in {"self", "cls"}


class _Finder(ast.NodeVisitor):
    def __init__(self, module: object, where: str) -> None:
        self.module = module
        self.where = where
        self.found: List[str] = []
        self._inherited: List[frozenset[str]] = [frozenset()]

    def _report(self, node: ast.AST, what: str) -> None:
        self.found.append(f"{self.where}:{getattr(node, 'lineno', '?')}: {what}")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if (node.module or "").split(".")[0] == "airbyte_cdk":
            for alias in node.names:
                if _is_private(alias.name):
                    self._report(node, f"imports {alias.name} from {node.module}")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        cls: Optional[type] = getattr(self.module, node.name, None)
        self._inherited.append(inherited_cdk_private_names(cls) if isinstance(cls, type) else frozenset())
        self.generic_visit(node)
        self._inherited.pop()

    def visit_Attribute(self, node: ast.Attribute) -> None:
        if _self_or_cls(node.value):
            if node.attr in self._inherited[-1]:
                self._report(node, f"{ast.unparse(node)}: private to a CDK base class")
        elif _is_private(node.attr) and node.attr in cdk_private_names():
            self._report(node, f"{ast.unparse(node)}: a private name of the CDK")
        elif node.attr == "__dict__":
            self._report(node, f"{ast.unparse(node)}: another object's private state, whole")
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        function = node.func.id if isinstance(node.func, ast.Name) else None
        if function in _ATTRIBUTE_FUNCTIONS and len(node.args) >= 2:
            target, name = node.args[0], node.args[1]
            if isinstance(name, ast.Constant) and isinstance(name.value, str) and _is_private(name.value):
                private = self._inherited[-1] if _self_or_cls(target) else cdk_private_names()
                if name.value in private:
                    self._report(node, f"{function}(..., {name.value!r}): a private name of the CDK")
        elif function == "vars" and node.args and not _self_or_cls(node.args[0]):
            self._report(node, f"{ast.unparse(node)}: another object's private state, whole")
        self.generic_visit(node)


def private_cdk_touches(source: str, module: object, where: str) -> List[str]:
    finder = _Finder(module, where)
    finder.visit(ast.parse(source))
    return finder.found


def private_cdk_touches_of(path: Path) -> List[str]:
    module = importlib.import_module(_module_name(path))
    return private_cdk_touches(path.read_text(encoding="utf-8"), module, str(path.relative_to(PACKAGE.parent)))


def test_private_names_of_the_cdk_are_touched_in_the_seam_module_only() -> None:
    touches = [touch for path in sorted(PACKAGE.rglob("*.py")) if path != SEAM_MODULE for touch in private_cdk_touches_of(path)]

    assert not touches, "Private CDK names outside source_sendoso/cdk_seams.py (move each touch there, with its test):\n" + "\n".join(
        touches
    )


def test_the_scan_finds_each_kind_of_touch() -> None:
    # The scan itself, on a module written to touch the CDK in every way it looks for.
    source = textwrap.dedent(
        """
        from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeSingleUseRefreshTokenOauth2Authenticator
        from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
        from airbyte_cdk.utils.datetime_helpers import _parse_value


        class Factory(ModelToComponentFactory):
            def __init__(self):
                self._own = 1

            def state_manager(self):
                return self._connector_state_manager, self._own


        def touch(stream, factory):
            DeclarativeSingleUseRefreshTokenOauth2Authenticator._make_handled_request = None
            factory._init_mappings()
            getattr(stream, "_stream_partition_generator", None)
            factory.__dict__.update(vars(factory))
        """
    )
    module = ModuleType("probe")
    exec(compile(source.replace("from airbyte_cdk.utils.datetime_helpers import _parse_value", ""), "probe", "exec"), module.__dict__)

    found = [line.split(": ", 1)[1] for line in private_cdk_touches(source, module, "probe")]

    assert found == [
        "imports _parse_value from airbyte_cdk.utils.datetime_helpers",
        "self._connector_state_manager: private to a CDK base class",
        "DeclarativeSingleUseRefreshTokenOauth2Authenticator._make_handled_request: a private name of the CDK",
        "factory._init_mappings: a private name of the CDK",
        "getattr(..., '_stream_partition_generator'): a private name of the CDK",
        "factory.__dict__: another object's private state, whole",
        "vars(factory): another object's private state, whole",
    ]

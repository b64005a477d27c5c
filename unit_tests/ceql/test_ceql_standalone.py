"""The language module stands alone: standard library only, no airbyte_cdk."""

import ast
import sys
from pathlib import Path

import source_sendoso.ceql as ceql
from source_sendoso.ceql import compile_predicate, parse

CEQL_DIR = Path(ceql.__file__).parent


def imported_top_level_modules(source: str) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module.split(".")[0])
    return modules


def test_ceql_imports_only_the_standard_library():
    for path in sorted(CEQL_DIR.glob("*.py")):
        outside = imported_top_level_modules(path.read_text()) - set(sys.stdlib_module_names) - {"__future__"}
        assert not outside, f"{path.name} imports {outside}"


def test_numbers_beyond_pythons_int_digit_limit_do_not_raise():
    # Past 4000 digits numbers are read as floats (inf): ordered, if no longer exact.
    huge = "9" * 5000
    assert compile_predicate(parse(f"n > {huge}"))({"n": "5"}) is False
    assert compile_predicate(parse("n < 5"))({"n": huge}) is False

"""CEQL, the Cloud Elements Query Language, as this connector uses it (docs/ceql.md).

Pure Python, standard library only:

    expr = parse("updated_at >= '2025-01-01T00:00:00Z' AND status = 'Delivered'")
    render(expr)                 # back to a where= clause, safe to push down
    matches = compile_predicate(expr)
    matches({"updated_at": "2025-02-01T10:00:00Z", "status": "Delivered"})  # True
"""

from .errors import CeqlSyntaxError
from .evaluate import Record, RecordPredicate, compile_predicate, evaluate
from .instants import instant_ms
from .nodes import (
    And,
    Comparison,
    Expr,
    Field,
    In,
    IsNull,
    Like,
    Number,
    Or,
    Path,
    Predicate,
    Text,
    Value,
    conjoin,
    field_paths,
    iter_fields,
)
from .parser import MAX_NESTING, parse
from .render import quote, render, render_field, render_value

__all__ = [
    "And",
    "CeqlSyntaxError",
    "Comparison",
    "Expr",
    "Field",
    "In",
    "IsNull",
    "Like",
    "MAX_NESTING",
    "Number",
    "Or",
    "Path",
    "Predicate",
    "Record",
    "RecordPredicate",
    "Text",
    "Value",
    "compile_predicate",
    "conjoin",
    "evaluate",
    "field_paths",
    "instant_ms",
    "iter_fields",
    "parse",
    "quote",
    "render",
    "render_field",
    "render_value",
]

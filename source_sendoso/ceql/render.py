"""Turns a syntax tree back into a `where=` clause that parses to the same tree.

The output is what gets pushed down to the hub, so quoting is the safety boundary: a
Text value is always written with every `'` doubled, and a name is only written bare
when it is a plain name, so no value or name can end its quotes early.
"""

from __future__ import annotations

from .lexicon import is_keyword, is_plain_name
from .nodes import And, Comparison, Expr, Field, In, IsNull, Like, Number, Or, Text, Value


def render(expr: Expr) -> str:
    if isinstance(expr, Or):
        # Or never holds an Or (flattened), and AND binds tighter, so no parentheses.
        return " OR ".join(render(item) for item in expr.items)
    if isinstance(expr, And):
        return " AND ".join(f"({render(item)})" if isinstance(item, Or) else render(item) for item in expr.items)
    if isinstance(expr, Comparison):
        return f"{render_field(expr.field)} {expr.op} {render_value(expr.value)}"
    if isinstance(expr, Like):
        return f"{render_field(expr.field)} LIKE {render_value(expr.pattern)}"
    if isinstance(expr, In):
        values = ", ".join(render_value(value) for value in expr.values)
        return f"{render_field(expr.field)} IN ({values})"
    if isinstance(expr, IsNull):
        return f"{render_field(expr.field)} IS {'NOT NULL' if expr.negated else 'NULL'}"
    raise TypeError(f"not a CEQL expression: {expr!r}")


def render_field(field: Field) -> str:
    path = field.path
    if len(path) > 1:
        # Field guarantees every part of a dotted path is a plain name. A keyword as the
        # first part is still fine: `in.x` is one dotted token, not the keyword IN.
        return ".".join(path)
    name = path[0]
    if is_plain_name(name) and not is_keyword(name):
        return name
    if "`" not in name:
        return f"`{name}`"
    # Backticks cannot hold a backtick; a quoted name can hold anything.
    return quote(name)


def render_value(value: Value) -> str:
    if isinstance(value, Text):
        return quote(value.value)
    if isinstance(value, Number):
        return value.text
    raise TypeError(f"not a CEQL value: {value!r}")


def quote(text: str) -> str:
    """`text` as a CEQL string literal: in single quotes, each `'` written twice."""
    return "'" + text.replace("'", "''") + "'"

"""The CEQL syntax tree: small frozen dataclasses, equal when they mean the same text.

Nodes check their own invariants so that every tree that can be built can also be
rendered and parsed back to an equal tree (`parse(render(e)) == e`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator, Optional, Union

from .lexicon import COMPARISON_OPERATORS, NUMBER_PATTERN, is_plain_name

Path = tuple[str, ...]


@dataclass(frozen=True)
class Field:
    """A field reference. `sender.email` is ("sender", "email"); a backticked or quoted
    name is one part even with dots in it: `` `sender.email` `` is ("sender.email",)."""

    path: Path

    def __post_init__(self) -> None:
        # A bare string is one name, never a sequence of one-letter names.
        path = (self.path,) if isinstance(self.path, str) else tuple(self.path)
        if not path:
            raise ValueError("a field needs at least one name")
        for part in path:
            if not isinstance(part, str) or part == "":
                raise ValueError(f"field names must be non-empty text, got {part!r}")
        if len(path) > 1 and not all(is_plain_name(part) for part in path):
            # The grammar has no way to write a dotted path with an odd part in it.
            raise ValueError(f"every part of a dotted path must be a plain name, got {path!r}")
        object.__setattr__(self, "path", path)

    @property
    def name(self) -> str:
        """The path joined with dots, for messages."""
        return ".".join(self.path)


@dataclass(frozen=True)
class Text:
    """A quoted literal, without its quotes and with `''` already read as `'`."""

    value: str

    def __post_init__(self) -> None:
        if not isinstance(self.value, str):
            raise ValueError(f"Text holds a str, got {self.value!r}")


@dataclass(frozen=True)
class Number:
    """A number literal kept exactly as written (`1.50` stays `1.50`): it renders back
    unchanged, and it is compared as this text when the text rule applies."""

    text: str

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or NUMBER_PATTERN.fullmatch(self.text) is None:
            raise ValueError(f"not a CEQL number: {self.text!r}")

    @property
    def value(self) -> Union[int, float]:
        return numeric_value(self.text)


def numeric_value(text: str) -> Union[int, float]:
    """The number of already-validated decimal text: int when it has no fraction (exact,
    as JSON integers are), float otherwise."""
    # Python refuses int() of more than 4300 digits; such a number is beyond any id or
    # amount, and float() gives a value that still orders correctly.
    if "." in text or len(text) > 4000:
        return float(text)
    return int(text)


Value = Union[Text, Number]


@dataclass(frozen=True)
class Comparison:
    field: Field
    op: str
    value: Value

    def __post_init__(self) -> None:
        if self.op not in COMPARISON_OPERATORS:
            raise ValueError(f"unknown comparison operator {self.op!r}")
        _check_field(self.field)
        _check_value(self.value)


@dataclass(frozen=True)
class Like:
    field: Field
    pattern: Text

    def __post_init__(self) -> None:
        _check_field(self.field)
        if not isinstance(self.pattern, Text):
            raise ValueError("a LIKE pattern is a Text")


@dataclass(frozen=True)
class In:
    field: Field
    values: tuple[Value, ...]

    def __post_init__(self) -> None:
        _check_field(self.field)
        values = tuple(self.values)
        if not values:
            raise ValueError("IN needs at least one value")
        for value in values:
            _check_value(value)
        object.__setattr__(self, "values", values)


@dataclass(frozen=True)
class IsNull:
    field: Field
    negated: bool = False

    def __post_init__(self) -> None:
        _check_field(self.field)
        object.__setattr__(self, "negated", bool(self.negated))


@dataclass(frozen=True)
class And:
    items: tuple["Expr", ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", _flatten(And, self.items))


@dataclass(frozen=True)
class Or:
    items: tuple["Expr", ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "items", _flatten(Or, self.items))


Predicate = Union[Comparison, Like, In, IsNull]
Expr = Union[Comparison, Like, In, IsNull, And, Or]
EXPR_TYPES = (Comparison, Like, In, IsNull, And, Or)


def _check_field(field: object) -> None:
    if not isinstance(field, Field):
        raise ValueError(f"expected a Field, got {field!r}")


def _check_value(value: object) -> None:
    if not isinstance(value, (Text, Number)):
        raise ValueError(f"expected a Text or Number literal, got {value!r}")


def _flatten(kind: type[And] | type[Or], items: Iterable["Expr"]) -> tuple["Expr", ...]:
    # `a AND (b AND c)` and `(a AND b) AND c` are the same condition; one shape for both
    # keeps equality structural and makes render/parse round trips exact.
    flat: list[Expr] = []
    for item in items:
        if isinstance(item, kind):
            flat.extend(item.items)
        elif isinstance(item, EXPR_TYPES):
            flat.append(item)
        else:
            raise ValueError(f"not a CEQL expression: {item!r}")
    if len(flat) < 2:
        # A one-item And would render as its item and parse back as that item.
        raise ValueError(f"{kind.__name__} needs at least two items; use conjoin() to combine freely")
    return tuple(flat)


def conjoin(*exprs: Optional[Expr]) -> Optional[Expr]:
    """AND of the given expressions, skipping None: None for none, the expression itself
    for one. The connector uses it to add the cursor condition to a user's filter."""
    present = [expr for expr in exprs if expr is not None]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    return And(tuple(present))


def iter_fields(expr: Expr) -> Iterator[Field]:
    """Every Field in the expression, left to right, repeats included."""
    if isinstance(expr, (And, Or)):
        for item in expr.items:
            yield from iter_fields(item)
    else:
        yield expr.field


def field_paths(expr: Expr) -> tuple[Path, ...]:
    """The distinct field paths the expression names, in order of first appearance, for
    checking a filter against a stream's schema."""
    return tuple(dict.fromkeys(field.path for field in iter_fields(expr)))

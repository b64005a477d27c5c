"""How record values and literals look to the comparison rules of docs/ceql.md."""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, Callable, Optional, Union, cast

from .instants import instant_ms
from .lexicon import NUMBER_PATTERN
from .nodes import Number, Text, Value, numeric_value

Numeric = Union[int, float]


def text_of(value: Any) -> str:
    """A scalar record value as the text rule sees it: booleans as 'true'/'false',
    numbers as JSON writes them (Python's repr, e.g. 5 -> '5', 5.0 -> '5.0')."""
    if type(value) is str:
        return value
    if value is True:
        return "true"
    if value is False:
        return "false"
    if type(value) is float:
        return repr(value)
    return str(value)


def decimal_of(text: str) -> Optional[Numeric]:
    """The number in decimal text (`578.0`, `12`, `-3.5`: the number literal's form,
    nothing else: no `+`, exponent or spaces), else None."""
    if NUMBER_PATTERN.fullmatch(text) is None:
        return None
    return numeric_value(text)


def number_of(value: Any) -> Optional[Numeric]:
    """A non-text scalar as a number, if it is one (booleans are not: they compare as text)."""
    kind = type(value)
    if kind is int or kind is float:
        return cast(Numeric, value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        # Decimal, numpy scalars...: float() keeps comparisons total (Decimal('NaN') < 1
        # would raise, float('nan') < 1 is simply False).
        try:
            return float(value)
        except (TypeError, ValueError, OverflowError):
            return None
    return None


@dataclass(frozen=True)
class LiteralForms:
    """Everything the comparison rules need to know about a literal, worked out once at
    compile time so no record pays for it."""

    text: str  # Text's value, or the Number as written
    instant: Optional[int]  # epoch ms when a Text in a date form
    number: Optional[Numeric]  # a Number's value, or a Text's when it is decimal text
    is_number_literal: bool

    @property
    def is_plain_text(self) -> bool:
        """Only the text rule can ever apply to this literal."""
        return self.instant is None and self.number is None


def literal_forms(literal: Value) -> LiteralForms:
    if isinstance(literal, Number):
        return LiteralForms(literal.text, None, literal.value, True)
    if isinstance(literal, Text):
        text = literal.value
        return LiteralForms(text, instant_ms(text), decimal_of(text), False)
    raise TypeError(f"not a CEQL value: {literal!r}")


ScalarTest = Callable[[Any], bool]


def like_matcher(pattern: str) -> Callable[[str], bool]:
    """Whole-text LIKE: `%` is any run of characters, every other character (`_` too)
    matches itself, case-sensitive.

    Matched by prefix, suffix and left-most search for the pieces between `%`s, which is
    exact for a `%`-only wildcard and linear in the text, where a `.*` regex can
    backtrack badly on patterns like '%a%a%a%a%b'.
    """
    pieces = pattern.split("%")
    if len(pieces) == 1:
        return pattern.__eq__
    first, last = pieces[0], pieces[-1]
    middle = tuple(piece for piece in pieces[1:-1] if piece)
    fixed = len(first) + len(last)
    if not middle:
        if not first and not last:
            return lambda text: True
        if not last:
            return lambda text: text.startswith(first)
        if not first:
            return lambda text: text.endswith(last)
        return lambda text: len(text) >= fixed and text.startswith(first) and text.endswith(last)
    if not first and not last and len(middle) == 1:
        (only,) = middle
        return lambda text: only in text

    def match(text: str) -> bool:
        if len(text) < fixed or not text.startswith(first) or not text.endswith(last):
            return False
        position, end = len(first), len(text) - len(last)
        for piece in middle:
            found = text.find(piece, position, end)
            if found < 0:
                return False
            position = found + len(piece)
        return True

    return match

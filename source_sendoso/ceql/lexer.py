"""Splits a CEQL clause into tokens, lazily, so errors come out left to right."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterator, NoReturn, Union

from .errors import CeqlSyntaxError
from .lexicon import COMPARISON_OPERATORS, KEYWORDS, NUMBER_PATTERN, WHITESPACE

# Token kinds.
WORD = "word"  # a plain or dotted name; value is its path
KEYWORD = "keyword"  # AND, OR, ...; value is the upper-case keyword
STRING = "string"  # '...'; value is the text with '' read as '
BACKTICK = "backtick"  # `...`; value is the name inside
NUMBER = "number"  # value is the number as written
OPERATOR = "operator"  # one of COMPARISON_OPERATORS
LPAREN = "("
RPAREN = ")"
COMMA = ","
END = "end"

_DOTTED_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*")
_OPERATOR_RUN = re.compile(r"[=!<>]+")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_DIGITS = frozenset("0123456789")
_NAME_CHARS = _NAME_START | _DIGITS

_OPERATOR_HINTS = {
    "==": "use = to test equality",
    "<>": "use != for 'not equal'",
    "=<": "did you mean <= ?",
    "=>": "did you mean >= ?",
    "!": "use != for 'not equal'",
}


@dataclass(frozen=True)
class Token:
    kind: str
    value: Union[str, tuple[str, ...]]
    position: int
    end: int


def describe(token: Token, text: str) -> str:
    """How a token is named in an error message."""
    if token.kind == END:
        return "the end of the expression"
    if token.kind == KEYWORD:
        return f"the keyword {token.value}"
    source = text[token.position : token.end]
    if len(source) > 30:
        source = source[:27] + "..."
    if token.kind in (WORD, BACKTICK):
        return f"the name {source}"
    if token.kind == NUMBER:
        return f"the number {source}"
    if token.kind == STRING:
        return f"the text {source}"
    return repr(source)


def tokenize(text: str) -> Iterator[Token]:
    """Yield the tokens of `text`, then one END token (and nothing after it)."""
    length = len(text)
    pos = 0

    def fail(message: str, at: int) -> NoReturn:
        raise CeqlSyntaxError(message, text, at)

    while True:
        while pos < length and text[pos] in WHITESPACE:
            pos += 1
        if pos >= length:
            yield Token(END, "", length, length)
            return
        char = text[pos]
        start = pos

        if char in "(),":
            pos += 1
            yield Token(char, char, start, pos)

        elif char == "'":
            value, pos = _read_string(text, start, fail)
            yield Token(STRING, value, start, pos)

        elif char == "`":
            close = text.find("`", start + 1)
            if close < 0:
                fail("unterminated name: this ` has no closing `", start)
            if close == start + 1:
                fail("empty name in backticks", start)
            pos = close + 1
            yield Token(BACKTICK, text[start + 1 : close], start, pos)

        elif char in "=!<>":
            pos = _OPERATOR_RUN.match(text, start).end()  # type: ignore[union-attr]
            operator = text[start:pos]
            if operator not in COMPARISON_OPERATORS:
                hint = _OPERATOR_HINTS.get(operator, "the operators are = != > >= < <=")
                fail(f"unknown operator {operator!r} ({hint})", start)
            yield Token(OPERATOR, operator, start, pos)

        elif char == "-" or char in _DIGITS:
            match = NUMBER_PATTERN.match(text, start)
            if match is None:
                fail("expected digits after '-'", start + 1)
            pos = match.end()
            if pos < length and text[pos] == ".":
                # `1.`, `1.2.3`: the grammar has one fraction, with digits after the point.
                if "." in text[start:pos]:
                    fail("malformed number: a number has at most one '.'", pos)
                fail("malformed number: expected digits after the '.'", pos + 1)
            if pos < length and (text[pos] in _NAME_CHARS or text[pos].isalnum()):
                # `12abc`, `1e5`: no exponents, and names cannot start with a digit.
                fail(f"malformed number: unexpected {_show_char(text[pos])} after {text[start:pos]}", pos)
            yield Token(NUMBER, text[start:pos], start, pos)

        elif char in _NAME_START:
            pos = _DOTTED_NAME.match(text, start).end()  # type: ignore[union-attr]
            if pos < length and text[pos] == ".":
                fail("expected a name after '.'", pos + 1)
            if pos < length and text[pos].isalnum():
                fail(
                    f"unexpected character {_show_char(text[pos])} in a name (put names with other characters in backticks)",
                    pos,
                )
            source = text[start:pos]
            if "." not in source and source.upper() in KEYWORDS:
                yield Token(KEYWORD, source.upper(), start, pos)
            else:
                yield Token(WORD, tuple(source.split(".")), start, pos)

        elif char == '"':
            fail("double quotes are not CEQL: put text in single quotes, names in backticks", start)

        else:
            fail(f"unexpected character {_show_char(char)}", start)


def _read_string(text: str, start: int, fail: Callable[[str, int], NoReturn]) -> tuple[str, int]:
    """Read the quoted text opening at `start`; return its value and the index after it."""
    chunks: list[str] = []
    pos = start + 1
    while True:
        close = text.find("'", pos)
        if close < 0:
            fail("unterminated string: this ' has no closing '", start)
        chunks.append(text[pos:close])
        if text.startswith("''", close):
            chunks.append("'")
            pos = close + 2
        else:
            return "".join(chunks), close + 1


def _show_char(char: str) -> str:
    return repr(char) if char.isprintable() else f"U+{ord(char):04X}"

"""CEQL parser (the sandbox's own; the connector has an independent one).

Grammar (docs/ceql.md)::

    where     = or_expr
    or_expr   = and_expr { OR and_expr }
    and_expr  = factor { AND factor }
    factor    = "(" or_expr ")" | predicate
    predicate = field op value | field LIKE string | field IN "(" value {"," value} ")"
              | field IS [NOT] NULL
    op        = "=" | "!=" | ">" | ">=" | "<" | "<="
    field     = name {"." name} | "`" text "`" | "'" text "'"
    value     = string | number
    string    = "'" { char | "''" } "'"
    number    = [ "-" ] digits [ "." digits ]
    name      = letter_or_underscore { letter | digit | "_" }

Choices where the grammar is silent (kept strict: the sandbox must not be kinder
than the hub):

* letters and digits in names are ASCII; keywords (AND OR LIKE IN IS NOT NULL, any
  case) cannot be a bare one-part field name (quote them with backticks);
  the parts of a dotted name are not checked against keywords;
* a dotted name has no blanks around its dots;
* a backtick field is everything up to the next backtick and may not be empty;
* a number directly followed by a name character (``12abc``) is an error.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

KEYWORDS = frozenset({"AND", "OR", "LIKE", "IN", "IS", "NOT", "NULL"})
OPERATORS = ("!=", ">=", "<=", "=", ">", "<")
_NAME_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_NAME_CHARS = _NAME_START | frozenset("0123456789")
_DIGITS = frozenset("0123456789")
_BLANKS = frozenset(" \t\r\n")


class CeqlError(ValueError):
    """A malformed where clause (or a field the resource does not have)."""


@dataclass(frozen=True)
class Literal:
    kind: str  # "string" or "number"
    text: str  # the string's value, or the number exactly as written


@dataclass(frozen=True)
class Compare:
    field: tuple
    op: str
    value: Literal


@dataclass(frozen=True)
class Like:
    field: tuple
    pattern: str


@dataclass(frozen=True)
class In:
    field: tuple
    values: tuple


@dataclass(frozen=True)
class IsNull:
    field: tuple
    negated: bool


@dataclass(frozen=True)
class And:
    items: tuple


@dataclass(frozen=True)
class Or:
    items: tuple


Node = Union[Compare, Like, In, IsNull, And, Or]


@dataclass(frozen=True)
class Token:
    kind: str  # NAME KEYWORD STRING NUMBER BACKTICK OP LPAREN RPAREN COMMA END
    text: str
    at: int


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(source)
    while i < n:
        ch = source[i]
        if ch in _BLANKS:
            i += 1
            continue
        start = i
        if ch == "(":
            tokens.append(Token("LPAREN", ch, start))
            i += 1
        elif ch == ")":
            tokens.append(Token("RPAREN", ch, start))
            i += 1
        elif ch == ",":
            tokens.append(Token("COMMA", ch, start))
            i += 1
        elif ch == "'":
            i += 1
            parts = []
            while True:
                end = source.find("'", i)
                if end < 0:
                    raise CeqlError(f"unterminated string starting at {start}")
                parts.append(source[i:end])
                if end + 1 < n and source[end + 1] == "'":
                    parts.append("'")
                    i = end + 2
                    continue
                i = end + 1
                break
            tokens.append(Token("STRING", "".join(parts), start))
        elif ch == "`":
            end = source.find("`", i + 1)
            if end < 0:
                raise CeqlError(f"unterminated backtick name starting at {start}")
            text = source[i + 1 : end]
            if not text:
                raise CeqlError(f"empty backtick name at {start}")
            tokens.append(Token("BACKTICK", text, start))
            i = end + 1
        elif ch in _DIGITS or (ch == "-" and i + 1 < n and source[i + 1] in _DIGITS):
            i += 1
            while i < n and source[i] in _DIGITS:
                i += 1
            if i < n and source[i] == ".":
                if i + 1 < n and source[i + 1] in _DIGITS:
                    i += 1
                    while i < n and source[i] in _DIGITS:
                        i += 1
                else:
                    raise CeqlError(f"malformed number at {start}")
            if i < n and (source[i] in _NAME_CHARS or source[i] == "."):
                raise CeqlError(f"malformed number at {start}")
            tokens.append(Token("NUMBER", source[start:i], start))
        elif ch in _NAME_START:
            parts = []
            while True:
                j = i
                while i < n and source[i] in _NAME_CHARS:
                    i += 1
                parts.append(source[j:i])
                if i < n and source[i] == ".":
                    i += 1
                    if i >= n or source[i] not in _NAME_START:
                        raise CeqlError(f"malformed dotted name at {start}")
                    continue
                break
            text = source[start:i]
            if len(parts) == 1 and text.upper() in KEYWORDS:
                tokens.append(Token("KEYWORD", text.upper(), start))
            else:
                tokens.append(Token("NAME", text, start))
        else:
            for op in OPERATORS:
                if source.startswith(op, i):
                    tokens.append(Token("OP", op, start))
                    i += len(op)
                    break
            else:
                raise CeqlError(f"unexpected character {ch!r} at {start}")
    tokens.append(Token("END", "", n))
    return tokens


class _Parser:
    def __init__(self, source: str):
        self.tokens = tokenize(source)
        self.i = 0

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def keyword(self, word: str) -> bool:
        tok = self.peek()
        if tok.kind == "KEYWORD" and tok.text == word:
            self.i += 1
            return True
        return False

    def expect_keyword(self, word: str) -> None:
        if not self.keyword(word):
            tok = self.peek()
            raise CeqlError(f"expected {word} at {tok.at}, found {tok.text or 'end of input'!r}")

    def parse(self) -> Node:
        node = self.or_expr()
        tok = self.peek()
        if tok.kind != "END":
            raise CeqlError(f"unexpected {tok.text!r} at {tok.at}")
        return node

    def or_expr(self) -> Node:
        items = [self.and_expr()]
        while self.keyword("OR"):
            items.append(self.and_expr())
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self) -> Node:
        items = [self.factor()]
        while self.keyword("AND"):
            items.append(self.factor())
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self) -> Node:
        if self.peek().kind == "LPAREN":
            self.take()
            node = self.or_expr()
            tok = self.take()
            if tok.kind != "RPAREN":
                raise CeqlError(f"expected ')' at {tok.at}")
            return node
        return self.predicate()

    def field(self) -> tuple:
        tok = self.take()
        if tok.kind == "NAME":
            return tuple(tok.text.split("."))
        if tok.kind in ("BACKTICK", "STRING"):
            return (tok.text,)
        raise CeqlError(f"expected a field name at {tok.at}, found {tok.text or 'end of input'!r}")

    def value(self) -> Literal:
        tok = self.take()
        if tok.kind == "STRING":
            return Literal("string", tok.text)
        if tok.kind == "NUMBER":
            return Literal("number", tok.text)
        raise CeqlError(f"expected a quoted string or a number at {tok.at}, found {tok.text or 'end of input'!r}")

    def predicate(self) -> Node:
        field = self.field()
        tok = self.peek()
        if tok.kind == "OP":
            self.take()
            return Compare(field, tok.text, self.value())
        if self.keyword("LIKE"):
            pattern = self.take()
            if pattern.kind != "STRING":
                raise CeqlError(f"LIKE needs a quoted string at {pattern.at}")
            return Like(field, pattern.text)
        if self.keyword("IN"):
            if self.take().kind != "LPAREN":
                raise CeqlError(f"IN needs '(' at {tok.at}")
            values = [self.value()]
            while self.peek().kind == "COMMA":
                self.take()
                values.append(self.value())
            close = self.take()
            if close.kind != "RPAREN":
                raise CeqlError(f"expected ')' at {close.at}")
            return In(field, tuple(values))
        if self.keyword("IS"):
            negated = self.keyword("NOT")
            self.expect_keyword("NULL")
            return IsNull(field, negated)
        raise CeqlError(f"expected an operator, LIKE, IN or IS at {tok.at}, found {tok.text or 'end of input'!r}")


def parse(source: str) -> Node:
    """Parse a where clause; raises CeqlError with a position on bad input."""
    return _Parser(source).parse()


def fields_of(node: Node) -> list[tuple]:
    if isinstance(node, (And, Or)):
        out: list[tuple] = []
        for item in node.items:
            out.extend(fields_of(item))
        return out
    return [node.field]


def parse_order_by(source: str) -> tuple[tuple, bool]:
    """``orderBy=<field> [asc|desc]`` -> (field, descending)."""
    tokens = tokenize(source)
    if not tokens or tokens[0].kind not in ("NAME", "BACKTICK"):
        raise CeqlError("orderBy needs a field name")
    field = tuple(tokens[0].text.split(".")) if tokens[0].kind == "NAME" else (tokens[0].text,)
    rest = tokens[1:-1]
    if not rest:
        return field, False
    if len(rest) == 1 and rest[0].kind == "NAME" and rest[0].text.lower() in ("asc", "desc"):
        return field, rest[0].text.lower() == "desc"
    raise CeqlError("orderBy must be '<field> asc' or '<field> desc'")

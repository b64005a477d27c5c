"""Recursive-descent parser for CEQL; each method is one rule of the grammar in docs/ceql.md.

where     = or_expr
or_expr   = and_expr { OR and_expr }
and_expr  = factor { AND factor }
factor    = "(" or_expr ")" | predicate
predicate = field op value | field LIKE string
          | field IN "(" value { "," value } ")" | field IS [NOT] NULL
field     = name { "." name } | "`" text "`" | "'" text "'"
value     = string | number
"""

from __future__ import annotations

from typing import NoReturn

from .errors import CeqlSyntaxError
from .lexer import (
    BACKTICK,
    COMMA,
    END,
    KEYWORD,
    LPAREN,
    NUMBER,
    OPERATOR,
    RPAREN,
    STRING,
    WORD,
    Token,
    describe,
    tokenize,
)
from .nodes import And, Comparison, Expr, Field, In, IsNull, Like, Number, Or, Text, Value

# Deeper nesting than this is not a filter anyone writes; the limit keeps a hostile
# `((((...` from reaching Python's recursion limit (which would not be a CeqlSyntaxError).
MAX_NESTING = 100


def parse(text: str) -> Expr:
    """Parse a `where=` clause into its syntax tree; CeqlSyntaxError if it is not CEQL."""
    if not isinstance(text, str):
        raise TypeError(f"parse() takes the clause as str, got {type(text).__name__}")
    return _Parser(text).where()


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self._tokens = tokenize(text)
        self.current: Token = next(self._tokens)

    # -- token plumbing ------------------------------------------------------------

    def advance(self) -> Token:
        token = self.current
        if token.kind != END:  # END is the last token; stay on it
            self.current = next(self._tokens)
        return token

    def at_keyword(self, keyword: str) -> bool:
        return self.current.kind == KEYWORD and self.current.value == keyword

    def fail(self, message: str, token: Token | None = None) -> NoReturn:
        raise CeqlSyntaxError(message, self.text, (token or self.current).position)

    def found(self) -> str:
        return describe(self.current, self.text)

    # -- grammar rules ---------------------------------------------------------------

    def where(self) -> Expr:
        if self.current.kind == END:
            self.fail("empty expression: expected a condition such as status = 'Delivered'")
        expr = self.or_expr(depth=0)
        if self.current.kind == RPAREN:
            self.fail("unmatched ')'")
        if self.current.kind != END:
            self.fail(f"expected AND, OR or the end of the expression, found {self.found()}")
        return expr

    def or_expr(self, depth: int) -> Expr:
        items = [self.and_expr(depth)]
        while self.at_keyword("OR"):
            self.advance()
            items.append(self.and_expr(depth, after="OR"))
        return items[0] if len(items) == 1 else Or(tuple(items))

    def and_expr(self, depth: int, after: str | None = None) -> Expr:
        items = [self.factor(depth, after)]
        while self.at_keyword("AND"):
            self.advance()
            items.append(self.factor(depth, after="AND"))
        return items[0] if len(items) == 1 else And(tuple(items))

    def factor(self, depth: int, after: str | None) -> Expr:
        if self.current.kind != LPAREN:
            return self.predicate(after)
        if depth >= MAX_NESTING:
            self.fail(f"parentheses nested more than {MAX_NESTING} deep")
        opening = self.advance()
        if self.current.kind == RPAREN:
            self.fail("empty parentheses: expected a condition inside them")
        expr = self.or_expr(depth + 1)
        if self.current.kind != RPAREN:
            self.fail(f"expected ')' to close the '(' at column {opening.position + 1}, found {self.found()}")
        self.advance()
        return expr

    def predicate(self, after: str | None) -> Expr:
        field = self.field(after)
        token = self.current
        if token.kind == OPERATOR:
            self.advance()
            return Comparison(field, str(token.value), self.value(after=repr(token.value)))
        if self.at_keyword("LIKE"):
            self.advance()
            if self.current.kind != STRING:
                self.fail(f"LIKE needs a quoted pattern such as 'abc%', found {self.found()}")
            return Like(field, Text(str(self.advance().value)))
        if self.at_keyword("IN"):
            self.advance()
            return In(field, self.value_list())
        if self.at_keyword("IS"):
            self.advance()
            negated = self.at_keyword("NOT")
            if negated:
                self.advance()
            if not self.at_keyword("NULL"):
                self.fail(f"expected NULL after {'IS NOT' if negated else 'IS'}, found {self.found()}")
            self.advance()
            return IsNull(field, negated)
        if self.at_keyword("NOT"):
            self.fail("NOT is only used in IS NOT NULL (write != for 'not equal')")
        self.fail(f"expected an operator (= != > >= < <= LIKE IN IS) after {field.name!r}, found {self.found()}")

    def field(self, after: str | None) -> Field:
        token = self.current
        if token.kind == WORD:
            self.advance()
            return Field(token.value)  # type: ignore[arg-type]
        if token.kind == BACKTICK:
            self.advance()
            return Field((str(token.value),))
        if token.kind == STRING:
            # A quoted name on the left of an operator is a field, like a backticked one.
            if token.value == "":
                self.fail("empty field name")
            self.advance()
            return Field((str(token.value),))
        where = f" after {after}" if after else ""
        if token.kind == END:
            self.fail(f"expected a condition{where}, found the end of the expression")
        if token.kind == KEYWORD:
            self.fail(f"expected a field name{where}, found {self.found()} (a field named like a keyword goes in backticks)")
        if token.kind == NUMBER:
            self.fail(f"expected a field name{where}, found {self.found()} (a condition starts with the field)")
        self.fail(f"expected a field name{where}, found {self.found()}")

    def value_list(self) -> tuple[Value, ...]:
        if self.current.kind != LPAREN:
            self.fail(f"expected '(' after IN, found {self.found()}")
        self.advance()
        if self.current.kind == RPAREN:
            self.fail("IN needs at least one value")
        values = [self.value(after="'IN ('")]
        while self.current.kind == COMMA:
            self.advance()
            values.append(self.value(after="','"))
        if self.current.kind != RPAREN:
            self.fail(f"expected ',' or ')' in the IN list, found {self.found()}")
        self.advance()
        return tuple(values)

    def value(self, after: str) -> Value:
        token = self.current
        if token.kind == STRING:
            self.advance()
            return Text(str(token.value))
        if token.kind == NUMBER:
            self.advance()
            return Number(str(token.value))
        if token.kind == KEYWORD and token.value == "NULL":
            self.fail(f"expected a value after {after}, found NULL (test for null with IS NULL or IS NOT NULL)")
        if token.kind == WORD:
            self.fail(f"expected a value after {after}, found {self.found()} (put text in single quotes)")
        if token.kind == BACKTICK:
            self.fail(f"expected a value after {after}; backticks are for field names, text goes in single quotes")
        if token.kind == END:
            self.fail(f"expected a value after {after}, found the end of the expression")
        self.fail(f"expected a value after {after}, found {self.found()}")

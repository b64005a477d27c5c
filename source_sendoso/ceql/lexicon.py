"""The small vocabulary shared by the lexer, the AST checks and the renderer."""

from __future__ import annotations

import re

KEYWORDS = frozenset({"AND", "OR", "LIKE", "IN", "IS", "NOT", "NULL"})

COMPARISON_OPERATORS = ("=", "!=", ">", ">=", "<", "<=")

# ASCII only on purpose: `\d` and `\w` would also accept other scripts' digits and
# letters, which the grammar does not. Names with other characters go in backticks.
NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
NUMBER_PATTERN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

# Whitespace between tokens. Deliberately the ASCII set: a no-break space pasted from a
# web page is reported as an unexpected character rather than silently accepted.
WHITESPACE = " \t\r\n\f\v"


def is_plain_name(text: str) -> bool:
    """True for `name` in the grammar: a letter or underscore, then letters, digits, underscores."""
    return NAME_PATTERN.fullmatch(text) is not None


def is_keyword(text: str) -> bool:
    return text.upper() in KEYWORDS

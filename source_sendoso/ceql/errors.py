"""The one exception a malformed CEQL clause produces."""

from __future__ import annotations

from .lexicon import WHITESPACE

# Long clauses are shown as a window around the error so the caret stays readable.
_WINDOW_BEFORE = 60
_WINDOW_AFTER = 40


class CeqlSyntaxError(ValueError):
    """A clause that is not CEQL. `position` is the 0-based offset of the problem in
    `text` (len(text) for "ended too early"); `column` is the same, 1-based.

    str() quotes the clause and points at the column:

        expected a value after '>=' at column 15:
          created_at >= AND status = 'x'
                        ^
    """

    def __init__(self, message: str, text: str, position: int) -> None:
        # Passing every argument up keeps the exception picklable (multiprocessing, logs).
        super().__init__(message, text, position)
        self.message = message
        self.text = text
        self.position = position

    @property
    def column(self) -> int:
        return self.position + 1

    def __str__(self) -> str:
        shown, caret_at = _excerpt(self.text, self.position)
        return f"{self.message} at column {self.column}:\n  {shown}\n  {' ' * caret_at}^"


def _excerpt(text: str, position: int) -> tuple[str, int]:
    """The clause as one printable line (one character per character, so the caret lines
    up), cut to a window around `position`; and the caret's offset in it."""
    start = max(0, position - _WINDOW_BEFORE)
    end = min(len(text), position + _WINDOW_AFTER)
    shown = "".join(_printable(ch) for ch in text[start:end])
    caret_at = position - start
    if start > 0:
        shown = "..." + shown
        caret_at += 3
    if end < len(text):
        shown += "..."
    return shown, caret_at


def _printable(ch: str) -> str:
    if ch in WHITESPACE:
        return " "
    return ch if ch.isprintable() else "?"

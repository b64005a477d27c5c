"""The query and path arguments of the API surfaces, checked in one place.

Each reader returns the value or raises ``BadArgument`` with the message the surface
answers 400 with (in its own error shape); a path id that is not a number is not an
error but an unknown record (404), so ``record_id`` answers None for it.
"""

from __future__ import annotations

import re

from .core.web import Request

_DIGITS = re.compile(r"[0-9]{1,18}")

DIRECT_DEFAULT_PER_PAGE = 25
DIRECT_MAX_PER_PAGE = 100
HUB_DEFAULT_PAGE_SIZE = 200
HUB_MAX_PAGE_SIZE = 500


class BadArgument(ValueError):
    """A query argument the service refuses (400); the message says which and why."""


def record_id(raw: str) -> int | None:
    return int(raw) if _DIGITS.fullmatch(raw) else None


def _positive_int(raw: str | None, name: str, default: int, maximum: int | None = None) -> int:
    if raw is None:
        return default
    if not _DIGITS.fullmatch(raw):
        raise BadArgument(f"{name} must be a positive integer")
    value = int(raw)
    if value < 1 or (maximum is not None and value > maximum):
        limit = f" between 1 and {maximum}" if maximum else " >= 1"
        raise BadArgument(f"{name} must be an integer{limit}")
    return value


def direct_paging(req: Request) -> tuple[int, int]:
    """(page, per_page) of a Sendoso list: page from 1, per_page 1-100 (default 25)."""
    page = _positive_int(req.arg("page"), "page", 1)
    per_page = _positive_int(req.arg("per_page"), "per_page", DIRECT_DEFAULT_PER_PAGE, DIRECT_MAX_PER_PAGE)
    return page, per_page


def hub_page_size(req: Request) -> int:
    """``pageSize`` of a hub list: 1-500, default 200 (also when empty)."""
    raw = req.arg("pageSize")
    if raw is None or raw == "":
        return HUB_DEFAULT_PAGE_SIZE
    if not _DIGITS.fullmatch(raw) or not 1 <= int(raw) <= HUB_MAX_PAGE_SIZE:
        raise BadArgument(f"Invalid pageSize: must be an integer between 1 and {HUB_MAX_PAGE_SIZE}")
    return int(raw)


def hub_page_offset(req: Request, page_size: int) -> int:
    """Rows to skip for ``page`` (from 1; absent or empty: the first page)."""
    raw_page = req.arg("page")
    if not raw_page:
        return 0
    if not _DIGITS.fullmatch(raw_page) or int(raw_page) < 1:
        raise BadArgument("Invalid page: must be an integer >= 1")
    return (int(raw_page) - 1) * page_size

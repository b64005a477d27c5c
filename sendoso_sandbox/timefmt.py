"""Timestamps the way Sendoso (a Rails app) writes them.

Sendoso renders times as ``2020-05-01T13:53:05.000-07:00``: milliseconds always
present and the account's UTC offset with a colon.  The sandbox keeps every
instant as integer epoch milliseconds (indexed columns) and renders text only
for the JSON documents, so ordering never depends on string comparison of
mixed offsets.
"""

from __future__ import annotations

import time

# Offsets (minutes east of UTC) the generated accounts live in.  A mix of
# negative, zero and positive offsets so clients must compare instants, not text.
OFFSETS_MINUTES = (-420, -240, 0, -300, 60, 330, -480, 120)


def format_offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    minutes = abs(minutes)
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_sendoso(ms: int, offset_minutes: int) -> str:
    """Epoch milliseconds -> ``YYYY-MM-DDTHH:MM:SS.mmm+HH:MM`` in the given offset."""
    seconds, millis = divmod(ms, 1000)
    local = time.gmtime(seconds + offset_minutes * 60)
    return (
        f"{local.tm_year:04d}-{local.tm_mon:02d}-{local.tm_mday:02d}"
        f"T{local.tm_hour:02d}:{local.tm_min:02d}:{local.tm_sec:02d}"
        f".{millis:03d}{format_offset(offset_minutes)}"
    )


def format_date(ms: int, offset_minutes: int = 0) -> str:
    """Epoch milliseconds -> ``YYYY-MM-DD`` (a calendar date, as touches carry)."""
    local = time.gmtime(ms // 1000 + offset_minutes * 60)
    return f"{local.tm_year:04d}-{local.tm_mon:02d}-{local.tm_mday:02d}"


def format_utc_z(ms: int) -> str:
    """The hub's own timestamps (ping) are UTC with a ``Z``."""
    seconds, millis = divmod(ms, 1000)
    t = time.gmtime(seconds)
    return time.strftime("%Y-%m-%dT%H:%M:%S", t) + f".{millis:03d}Z"


def now_ms() -> int:
    return int(time.time() * 1000)

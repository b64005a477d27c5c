"""What the package's partitions say in a slice's extra fields.

The requesters' templates (overlay.yaml), the record filter and the cursors read them; the
partitions that make the slices write them: pages.py (a lane of a list's pages), windows.py (a
window of the cursor) and checkpoints.py (the page an interrupted pass reached).
"""

from __future__ import annotations

from typing import Any, Mapping, Optional

from airbyte_cdk.sources.types import StreamSlice

LISTING = "listing"  # a lane's slice: the Listing whose pages the lanes take turns at
FIRST_PAGE = "first_page"  # a lane's first page, which sendoso_requester asks for by number
WINDOW = "window"  # a window of the cursor: the hub requester and the record filter bound it at both ends
RESUME_PAGE = "resume_page"  # the page an interrupted pass reached, which hub_requester asks for once


def is_page_slice(stream_slice: Optional[Mapping[str, Any]]) -> bool:
    return isinstance(stream_slice, StreamSlice) and LISTING in stream_slice.extra_fields


def is_window(stream_slice: Optional[Mapping[str, Any]]) -> bool:
    return isinstance(stream_slice, StreamSlice) and bool(stream_slice.extra_fields.get(WINDOW))

"""A checkpoint after every page of an incremental stream read in one pass.

Sendoso's lists have no date filter and no documented order, so an incremental stream is one
slice, read whole: left to the CDK, a sync killed on page 900 of 1,000 starts over. Until a pass
is done nothing is known of the pages still to come (any record on them may be older than those
read), so the cursor stays where the pass started and the state adds `pass`, the position::

    {"updated_at": "2025-01-01T00:00:00.000Z",
     "pass": {"next_page": 38, "per_page": 100, "backend": "sendoso", "where": "",
              "highest_seen": "2025-03-04T10:00:00.000Z"}}

A resumed sync reads on from `next_page` (the hub: `page=<n>` once, then its tokens) with the
same lower bound, and ends with its cursor at `highest_seen`, the highest value read before the
interruption: a cursor past it would skip for good a change made meanwhile to a page already
read. A position counts only in its own listing: another page size, filter or backend starts
the pass over. A resumed pass may read a record twice; it never skips one.

A state goes through the same queue as the records, after them, so it never overtakes the
records it covers. Cursor values are the canonical UTC text the streams write, so the highest
is found by comparing text, and the CDK's cursor is told it once per page.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, replace
from typing import Any, Iterable, Optional

import requests

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.declarative.requesters.paginators.paginator import (
    page_size_override_kwargs,
    stream_slice_kwargs,
)
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.page_increment import PageIncrement
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import PaginationStrategy
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from source_sendoso.ceql.instants import utc_text_of
from source_sendoso.config_errors import unreadable_state_entry
from source_sendoso.cursors.wrapped import HighestOnThread, SliceRead, WrappedCursor
from source_sendoso.slices import RESUME_PAGE, is_page_slice

PASS = "pass"
LOGGER = logging.getLogger("airbyte")


@dataclass(frozen=True)
class PassPosition:
    """How far an unfinished pass got, and what its page numbers count in."""

    next_page: int
    per_page: int
    backend: str
    where: str
    highest_seen: Optional[str]

    @classmethod
    def from_state(cls, stream_name: str, value: Any) -> "PassPosition":
        try:
            position = cls(value["next_page"], value["per_page"], value["backend"], value.get("where", ""), value.get("highest_seen"))
        except (KeyError, TypeError, AttributeError):
            position = None
        if position is None or not position._is_valid():
            raise unreadable_state_entry(
                stream_name,
                PASS,
                value,
                should_hold="next_page and per_page (whole numbers from 1), backend, where and highest_seen (a timestamp or null)",
                removing_it="restart the interrupted pass from its first page",
            )
        # Compared as text with the values the pass reads, so kept in the one form they are in.
        return replace(position, highest_seen=utc_text_of(position.highest_seen)) if position.highest_seen is not None else position

    def _is_valid(self) -> bool:
        return (
            type(self.next_page) is int
            and self.next_page >= 1
            and type(self.per_page) is int
            and self.per_page >= 1
            and isinstance(self.backend, str)
            and isinstance(self.where, str)
            and (self.highest_seen is None or _is_instant(self.highest_seen))
        )

    def as_state(self) -> dict[str, Any]:
        return {
            "next_page": self.next_page,
            "per_page": self.per_page,
            "backend": self.backend,
            "where": self.where,
            "highest_seen": self.highest_seen,
        }


def _is_instant(value: Any) -> bool:
    return utc_text_of(value) is not None


class PageCheckpointCursor(WrappedCursor):
    """The CDK's cursor for one incremental stream, plus a checkpoint after every page.

    Everything the CDK asks of a cursor is the wrapped ConcurrentCursor's answer; this class
    adds `page_done`, which the stream's paginator calls between pages.
    """

    def __init__(
        self,
        cursor: ConcurrentCursor,
        *,
        stream_name: str,
        backend: str,
        where: str,
        interrupted: Optional[PassPosition],
        message_repository: MessageRepository,
        state_manager: ConnectorStateManager,
    ) -> None:
        super().__init__(cursor)
        self._stream_name = stream_name
        self._field = cursor.cursor_field.cursor_field_key
        self._backend = backend
        self._where = where
        self._interrupted = interrupted
        self._message_repository = message_repository
        self._state_manager = state_manager
        self._per_page = 0
        self.resume_page: Optional[int] = None
        self._page = 1  # the page being read
        # The highest cursor value the pass has read (in a resumed pass: had read when it was
        # interrupted, and no higher), the part of it the CDK's cursor has not been told yet,
        # and the stream's one slice, which the records belong to.
        self._resumed = False
        self._highest: Optional[str] = None
        self._untold: Optional[str] = None
        self._slice: Optional[StreamSlice] = None
        # The highest value of the page each thread is reading, folded in when the page is done:
        # pages are read by several threads at once (pages.py).
        self._page_highest = HighestOnThread(self._field)
        self._lock = threading.Lock()

    def follow_pages_of(self, pages: PaginationStrategy) -> None:
        """Called once the stream's paginator exists: whether the interrupted pass can resume."""
        self._per_page = pages.get_page_size() or 0
        interrupted, self._interrupted = self._interrupted, None
        if interrupted is None:
            return
        if (interrupted.per_page, interrupted.backend, interrupted.where) == (self._per_page, self._backend, self._where):
            self.resume_page = self._page = interrupted.next_page
            self._resumed = True
            self._highest = self._untold = interrupted.highest_seen
            LOGGER.info(f"Stream '{self._stream_name}' resumes its interrupted pass at page {interrupted.next_page}.")
        else:
            LOGGER.info(
                f"Stream '{self._stream_name}' was interrupted with another page size, filter or backend than this "
                "sync's, so the page it reached does not apply: its pass starts again from the first page."
            )

    def page_done(self, more: bool) -> None:
        """Every record of the page is emitted; `more`: another page follows."""
        self.fold_page()
        self._tell_cursor()
        self._page += 1
        if not more:
            return  # the CDK's cursor writes the final state when the slice closes
        self.reached(self._page)

    def _tell_cursor(self) -> None:
        if self._untold is not None and self._slice is not None:
            self._cursor.observe(Record(data={self._field: self._untold}, stream_name=self._stream_name, associated_slice=self._slice))
            self._untold = None

    # -- a pass whose pages are read concurrently (pages.PassProgress) -------------------------

    @property
    def first_page(self) -> int:
        return self.resume_page or 1

    def fold_page(self) -> None:
        value = self._page_highest.take()
        if value is None:
            return
        with self._lock:
            if self._highest is None or value > self._highest:
                self._highest = self._untold = value

    def reached(self, next_page: int) -> None:
        position = PassPosition(next_page, self._per_page, self._backend, self._where, self._highest)
        state = {**self._cursor.state, PASS: position.as_state()}
        self._state_manager.update_state_for_stream(self._stream_name, None, state)
        self._message_repository.emit_message(self._state_manager.create_state_message(self._stream_name, None))

    def finished(self) -> None:
        """Closes the stream's slice in the CDK's cursor, which writes the pass's final state."""
        self._tell_cursor()
        if self._slice is not None:
            self._cursor.close_partition(SliceRead(self._stream_name, self._slice))

    # -- the Cursor interface ------------------------------------------------------------------

    def observe(self, record: Record) -> None:
        if self._resumed:
            return  # the cursor stays at what the pass had read before it was interrupted
        self._page_highest.see(record)

    def stream_slices(self) -> Iterable[StreamSlice]:
        for stream_slice in self._cursor.stream_slices():
            if self.resume_page is not None:
                # The hub's requester asks for this page once, then follows its tokens.
                stream_slice = StreamSlice(
                    partition=stream_slice.partition,
                    cursor_slice=stream_slice.cursor_slice,
                    extra_fields={**stream_slice.extra_fields, RESUME_PAGE: self.resume_page},
                )
            self._slice = stream_slice
            yield stream_slice

    def close_partition(self, partition: Partition) -> None:
        if is_page_slice(partition.to_slice()):
            return  # one page of the pass: `finished` closes the slice once every page is read
        self.fold_page()
        self._tell_cursor()
        self._cursor.close_partition(partition)


@dataclass
class CheckpointedPages(PaginationStrategy):
    """A stream's own pagination strategy, counting its pages and reporting each to the cursor."""

    pages: PaginationStrategy
    cursor: PageCheckpointCursor

    @property
    def initial_token(self) -> Optional[Any]:
        # Sendoso's page token is the page number; the hub's requester asks for the page itself.
        resume_page = self.cursor.resume_page
        if resume_page is not None and isinstance(self.pages, PageIncrement):
            return resume_page
        return self.pages.initial_token

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Optional[Record],
        last_page_token_value: Optional[Any],
        page_size_override: Optional[int] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> Optional[Any]:
        token = self.pages.next_page_token(
            response,
            last_page_size,
            last_record,
            last_page_token_value,
            **page_size_override_kwargs(page_size_override),
            **stream_slice_kwargs(self.pages.next_page_token, stream_slice),
        )
        self.cursor.page_done(more=token is not None)
        return token

    def get_page_size(self) -> Optional[int]:
        return self.pages.get_page_size()

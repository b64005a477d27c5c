"""The sends of the hub, read in windows of their cursor, several at a time.

The hub pages with tokens, each from the answer before it: one list is read no faster than its
round trips, about 3.5 pages a second at 250 ms, a third of Sendoso's 10 requests a second.
Here the sync's one slice of the cursor, `[start, end]`, is cut into windows, each a slice of
its own: the CDK's concurrent engine reads them side by side (up to `max_concurrent_requests`),
each asking the hub for `updated_at >= <window start> AND updated_at <= <window end>` (manifest
`hub_requester`) and following its own page tokens.

Where to cut: one request first asks for the oldest record of the slice (`orderBy=updated_at asc`,
`pageSize=1`, `returnCount=true`, the slice's where). Windows of equal length then cover
`[oldest, end]`, with one window `[start, oldest)` before them, so that nothing depends on the hub
honouring `orderBy`: a hub that ignores it answers some record, and the first window then holds
more of the list. How many: as many requests as must be in flight to fill `requests_per_second`
at the round trip the first request took (Little's law), twice over because the records are not
spread evenly, at most twice `max_concurrent_requests`, and no more than half the pages the
slice holds when the hub tells its total (`Elements-Total-Count`): each window costs one request
more than the pages of its records (the empty page that ends it). Fewer than two windows, and the
slice is read in one pass: near answers or a short list (a typical incremental sync) cost one
request more than before, the question.

Some elements silently ignore criteria they do not support, and every window would then read the
whole list. Before cutting, a second question asks for the records past the oldest one: a hub that
answers with the oldest one again ignored the where, and the slice is read in one pass. Correctness
does not rest on that question: the record filter (components.CeqlRecordFilter) checks both bounds
of the window, so a record is emitted by exactly one window even when every window receives the
whole list.

State: every window is a slice of the CDK's cursor, which writes the state as windows close: the
highest cursor value of the windows done without a gap from the start, the same
`{"updated_at": ...}` as a sync read in one pass. The windows done beyond a window still being
read are added to it, with the user's filter they were read under::

    {"updated_at": "2024-03-01T10:00:00.000Z",
     "windows": {"where": "", "read": [{"start": "2024-07-01T00:00:00.000Z",
                                        "end": "2024-08-15T23:59:59.999Z",
                                        "highest_seen": "2024-08-15T22:10:00.000Z"}]}}

A sync killed mid-way resumes from the cursor and reads again only what those windows leave out:
at most the windows that were being read. A window read whole stays read: a send that changed
since moves past the end of the interrupted sync, into the window that the resumed sync reads last.
Within a window there is no checkpoint per page: a send that changes between the syncs leaves its
window, and the sends behind it move up a page, so a page number within a window would skip one
(checkpoints.py keeps one for streams read in one pass, whose list a change does not leave). The
CDK carries an incoming state's keys into the states it writes, so the factory takes `windows` out
and hands it here: the state of a finished sync has none. A state from a version without windows
has none; an earlier version reads one with them as a state from the cursor (more reading, nothing
skipped).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Optional

import requests

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from source_sendoso.ceql.instants import instant, utc_text, utc_text_of
from source_sendoso.config_errors import unreadable_state_entry
from source_sendoso.slices import WINDOW, is_window
from source_sendoso.wrapped_cursor import HighestOnThread, SliceRead, WrappedCursor

LOGGER = logging.getLogger("airbyte")
WINDOWS = "windows"  # entry of the state: the windows read whole beyond the cursor
# A window's end is one cursor unit before the next one's start (the CDK's cursor merges them).
_UNIT = timedelta(milliseconds=1)


@dataclass(frozen=True)
class WindowRead:
    """A window read whole: its bounds and the highest cursor value among its records."""

    start: str
    end: str
    highest_seen: Optional[str]

    def as_state(self) -> dict[str, Any]:
        return {"start": self.start, "end": self.end, "highest_seen": self.highest_seen}


@dataclass(frozen=True)
class WindowsRead:
    """The windows an interrupted sync read whole beyond its cursor, and the filter it read under."""

    where: str
    read: tuple[WindowRead, ...]

    @classmethod
    def from_state(cls, stream_name: str, value: Any) -> "WindowsRead":
        try:
            where, read = value["where"], [_window_of_state(window) for window in value["read"]]
        except (KeyError, TypeError, AttributeError):
            where, read = None, [None]
        windows = [window for window in read if window is not None]
        if not isinstance(where, str) or len(windows) < len(read):
            raise unreadable_state_entry(
                stream_name,
                WINDOWS,
                value,
                should_hold="where (text) and read, a list of windows each with start and end (timestamps, start before end) "
                "and highest_seen (a timestamp or null)",
                removing_it="read the stream again from its cursor",
            )
        return cls(where, tuple(windows))

    def as_state(self) -> dict[str, Any]:
        return {"where": self.where, "read": [window.as_state() for window in self.read]}


def _window_of_state(value: Any) -> Optional[WindowRead]:
    """A window as a saved state holds it, in the clock's one form (compared and written as
    text), or None if it is not one."""
    start, end, highest = utc_text_of(value["start"]), utc_text_of(value["end"]), value.get("highest_seen")
    highest_in_utc = utc_text_of(highest) if highest is not None else None
    if start is None or end is None or end < start or (highest is not None and highest_in_utc is None):
        return None
    return WindowRead(start, end, highest_in_utc)


class CursorWindows(WrappedCursor):
    """The CDK's cursor of one incremental stream, its one slice handed out as windows."""

    def __init__(
        self,
        cursor: ConcurrentCursor,
        *,
        stream_name: str,
        concurrency: int,
        requests_per_second: float,
        where: str = "",
        interrupted: Optional[WindowsRead] = None,
        message_repository: Optional[MessageRepository] = None,
        state_manager: Optional[ConnectorStateManager] = None,
    ) -> None:
        super().__init__(cursor)
        self._stream_name = stream_name
        self._field = cursor.cursor_field.cursor_field_key
        self._concurrency = concurrency
        self._rate = requests_per_second
        self._where = where
        self._interrupted = interrupted
        self._message_repository = message_repository
        self._state_manager = state_manager
        self._retriever: Optional[SimpleRetriever] = None
        self._window_highest = HighestOnThread(self._field)
        # The windows of this sync, in order, with those read whole so far (and the highest cursor
        # value among the records of each): what the state says beyond the CDK's cursor.
        self._planned: list[tuple[str, str]] = []
        self._read: dict[tuple[str, str], Optional[str]] = {}
        self._lock = threading.Lock()

    def probe_with(self, retriever: SimpleRetriever) -> None:
        """Called once the stream's retriever exists: it asks for the oldest record."""
        self._retriever = retriever

    def observe(self, record: Record) -> None:
        self._window_highest.see(record)

    def close_partition(self, partition: Partition) -> None:
        highest, window = self._window_highest.take(), partition.to_slice()
        if is_window(window):
            assert window is not None
            self._close(partition, WindowRead(window["start_time"], window["end_time"], highest))
            return
        self._tell(highest, window)
        self._cursor.close_partition(partition)

    def stream_slices(self) -> Iterable[StreamSlice]:
        for whole in self._cursor.stream_slices():
            start, end = instant(whole.get("start_time")), instant(whole.get("end_time"))
            if start is None or end is None or self._retriever is None:
                yield whole
                continue
            yield from self._windows(whole, start, end)

    def _windows(self, whole: StreamSlice, start: datetime, end: datetime) -> Iterable[StreamSlice]:
        bounds = self._bounds(whole, start, end)
        read_before = self._read_before(start, end)
        if bounds is None and not read_before:
            yield whole  # nothing to read, too little, or answers too near to gain: one pass
            return
        windows = _cut(_ranges(bounds or [start], end), read_before)
        with self._lock:
            self._planned = sorted([*windows, *((w.start, w.end) for w in read_before)])
        for window in read_before:
            # The CDK's cursor is told of a window read before as if this sync had read it.
            self._close(SliceRead(self._stream_name, _window_slice(whole, window.start, window.end)), window)
        for low, high in windows:
            yield _window_slice(whole, low, high)

    def _bounds(self, whole: StreamSlice, start: datetime, end: datetime) -> Optional[list[datetime]]:
        """Where the windows of `[start, end]` start, or None to read it in one pass."""
        oldest, total, round_trip = self._probe(whole)
        in_flight = self._rate * round_trip if self._rate else self._concurrency
        count = min(2 * self._concurrency, max(1, math.ceil(2 * in_flight)))
        page_size = self._page_size()
        if total is not None and page_size:
            count = min(count, -(-total // page_size) // 2)  # a window pays with two pages or more
        if oldest is None or count < 2 or self._ignores_where(whole, oldest):
            return None
        oldest = min(max(oldest, start), end)
        bounds = [start] if oldest > start else []
        step = (end - oldest) / count
        bounds += [oldest + step * i for i in range(count)]
        bounds = sorted(set(moment.replace(microsecond=moment.microsecond // 1000 * 1000) for moment in bounds))
        LOGGER.info(
            f"Stream '{self._stream_name}' is read in {len(bounds)} windows of its cursor from {utc_text(start)} to {utc_text(end)} "
            f"(the oldest record at {utc_text(oldest)}, a first answer in {round_trip * 1000:.0f} ms)."
        )
        return bounds

    def _read_before(self, start: datetime, end: datetime) -> list[WindowRead]:
        """The windows the interrupted sync read whole that this sync can leave out: within its
        slice, past its start (a window at or before the cursor is in it already), read under the
        same filter."""
        interrupted, self._interrupted = self._interrupted, None
        if interrupted is None:
            return []
        if interrupted.where != self._where:
            LOGGER.info(
                f"Stream '{self._stream_name}' was interrupted with another filter than this sync's, so the windows it read are read again."
            )
            return []
        kept: list[WindowRead] = []
        for window in sorted(interrupted.read, key=lambda w: w.start):
            low, high = instant(window.start), instant(window.end)
            assert low is not None and high is not None
            if start < low and high <= end and (not kept or kept[-1].end < window.start):
                kept.append(window)
        if kept:
            LOGGER.info(
                f"Stream '{self._stream_name}' resumes its interrupted sync: {len(kept)} windows of its cursor were read "
                "whole before it and are not read again."
            )
        return kept

    def _close(self, partition: Partition, window: WindowRead) -> None:
        """Closes a window in the CDK's cursor, which writes the state, and writes it again with the
        windows read whole beyond the cursor, if any: under one lock, so that no state of the
        CDK's cursor, which knows nothing of them, comes out after the one that names them."""
        self._tell(window.highest_seen, partition.to_slice())
        with self._lock:
            self._cursor.close_partition(partition)
            self._read[(window.start, window.end)] = window.highest_seen
            if self._state_manager is None or self._message_repository is None:
                return
            # The CDK's cursor covers the windows read without a gap from the first one.
            first_unread = next((i for i, key in enumerate(self._planned) if key not in self._read), len(self._planned))
            beyond = [WindowRead(*key, self._read[key]) for key in self._planned[first_unread:] if key in self._read]
            if not beyond:
                return  # the CDK's cursor has just written the whole state
            state = {**self._cursor.state, WINDOWS: WindowsRead(self._where, tuple(beyond)).as_state()}
            self._state_manager.update_state_for_stream(self._stream_name, None, state)
            self._message_repository.emit_message(self._state_manager.create_state_message(self._stream_name, None))

    def _tell(self, highest: Optional[str], stream_slice: Optional[Mapping[str, Any]]) -> None:
        """The CDK's cursor is told the highest cursor value of a slice's records, as one record."""
        if highest is not None and isinstance(stream_slice, StreamSlice):
            self._cursor.observe(Record(data={self._field: highest}, stream_name=self._stream_name, associated_slice=stream_slice))

    def _probe(self, whole: StreamSlice) -> tuple[Optional[datetime], Optional[int], float]:
        """The cursor value of the record the hub lists first by cursor, how many records the
        slice holds if the hub says (`Elements-Total-Count`), and how long the answer took."""
        began = time.monotonic()
        try:
            response, moments = self._first_by_cursor(whole, whole, returnCount="true")
        except Exception as error:  # the windows are an optimisation: any failure reads in one pass
            LOGGER.warning(f"Stream '{self._stream_name}' is read in one pass: asking for its oldest record failed ({error}).")
            return None, None, 0.0
        round_trip = time.monotonic() - began
        total_text = str(response.headers.get("Elements-Total-Count", "")) if response is not None else ""
        total = int(total_text) if total_text.isdigit() else None
        return (min(moments) if moments else None), total, round_trip

    def _ignores_where(self, whole: StreamSlice, oldest: datetime) -> bool:
        """Whether the hub, asked for the records of the slice past `oldest`, answers with one that
        is not (the oldest again, as it honours `orderBy` or ignores it alike both times)."""
        past_oldest = StreamSlice(
            partition=whole.partition,
            cursor_slice={**whole.cursor_slice, "start_time": utc_text(oldest + _UNIT)},
            extra_fields=whole.extra_fields,
        )
        try:
            # Selected as records of the whole slice: the record filter would drop the very record
            # that gives a hub ignoring the where away.
            _, moments = self._first_by_cursor(past_oldest, whole)
        except Exception as error:
            LOGGER.warning(f"Stream '{self._stream_name}' is read in one pass: asking for the records past its oldest failed ({error}).")
            return True
        if any(moment <= oldest for moment in moments):
            LOGGER.warning(
                f"Stream '{self._stream_name}' is read in one pass: asked for the records with {self._field} after "
                f"{utc_text(oldest)}, the hub answered one at {utc_text(min(moments))}. It ignores the where, so each window "
                "would read the whole list."
            )
            return True
        return False

    def _first_by_cursor(
        self, asked: StreamSlice, selected_as: StreamSlice, **params: str
    ) -> tuple[Optional[requests.Response], list[datetime]]:
        """The hub's answer to a request for the first record of `asked` by cursor, and the
        cursor values of the records in it, read as records of `selected_as`."""
        assert self._retriever is not None
        response = self._retriever.requester.send_request(
            stream_slice=asked, request_params={"orderBy": f"{self._field} asc", "pageSize": 1, **params}
        )
        if response is None:
            return None, []
        records = self._retriever.record_selector.select_records(
            response=response, stream_state={}, records_schema={}, stream_slice=selected_as
        )
        return response, [moment for moment in (instant(record.data.get(self._field)) for record in records) if moment is not None]

    def _page_size(self) -> Optional[int]:
        strategy = getattr(getattr(self._retriever, "paginator", None), "pagination_strategy", None)
        size = strategy.get_page_size() if strategy is not None else None
        return size if isinstance(size, int) and size > 0 else None


def _window_slice(whole: StreamSlice, low: str, high: str) -> StreamSlice:
    """The window `[low, high]` of the sync's one slice."""
    return StreamSlice(
        partition=whole.partition,
        cursor_slice={**whole.cursor_slice, "start_time": low, "end_time": high},
        extra_fields={**whole.extra_fields, WINDOW: True},
    )


def _ranges(bounds: list[datetime], end: datetime) -> list[tuple[str, str]]:
    """Windows from each bound to one cursor unit before the next, the last to `end`."""
    return [(utc_text(low), utc_text(bounds[i + 1] - _UNIT if i + 1 < len(bounds) else end)) for i, low in enumerate(bounds)]


def _cut(windows: list[tuple[str, str]], read_before: list[WindowRead]) -> list[tuple[str, str]]:
    """The windows without what the windows read before cover (all in the clock's one form, so
    compared as text)."""
    for done in read_before:
        pieces = []
        for low, high in windows:
            if high < done.start or done.end < low:
                pieces.append((low, high))
                continue
            if low < done.start:
                pieces.append((low, _shifted(done.start, -_UNIT)))
            if done.end < high:
                pieces.append((_shifted(done.end, _UNIT), high))
        windows = pieces
    return windows


def _shifted(moment: str, by: timedelta) -> str:
    at = instant(moment)
    assert at is not None
    return utc_text(at + by)

"""The hub's sends, read in windows of their cursor, several at a time.

The hub pages with tokens, each from the answer before it: one list is read no faster than its
round trips, about 3.5 pages a second at 250 ms. Here the sync's one slice of the cursor is cut
into windows, each asking for `updated_at >= <start> AND updated_at <= <end>` and following its
own tokens; a few lanes (partitions of the CDK's concurrent engine) each take the oldest window
left and read it whole before taking the next.

Whether and how (`plan`): a first question asks for the oldest record and the count, a second
for the records past the oldest (a hub that answers the oldest again ignores `where`: one pass;
its round trip decides), a third for the newest. Lanes enough to keep the budget busy at that
round trip, windows enough that those in flight hold a small part of the list; windows only if
they beat one pass, the empty page each costs counted. Correctness does not rest on the
questions: the record filter checks both bounds of a window, so each record is emitted by
exactly one window whatever the hub does with `where`.

State: a window read whole closes as a slice of the CDK's cursor, whose state is the highest
value of the windows done without a gap from the start. The windows done beyond it are listed,
with the filter they were read under, in the one state each close writes (`WindowStates`)::

    {"updated_at": "2024-03-01T10:00:00.000Z",
     "windows": {"where": "", "read": [{"start": "2024-07-01T00:00:00.000Z",
                                        "end": "2024-08-15T23:59:59.999Z",
                                        "highest_seen": "2024-08-15T22:10:00.000Z"}]}}

A killed sync resumes from the cursor and reads again only the windows that were in flight.
There is no checkpoint per page within a window: a send that changes leaves its window, and the
sends behind it move up a page, so a page number would skip one. A finished sync's state has
no `windows` (the factory takes it out of the incoming state).
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Mapping, Optional

import requests

from airbyte_cdk.models import AirbyteMessage, Level, Type
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.declarative.retrievers.retriever import Retriever
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.message import LogMessage, MessageRepository
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.types import Record, StreamSlice

from source_sendoso.cdk_seams import replace_slicer_and_retriever, slicer_and_retriever_of
from source_sendoso.ceql.instants import instant, utc_text, utc_text_of
from source_sendoso.config_errors import unreadable_state_entry
from source_sendoso.cursors.wrapped import HighestOnThread, SliceRead, WrappedCursor
from source_sendoso.slices import WINDOW, is_window

LOGGER = logging.getLogger("airbyte")
WINDOWS = "windows"  # entry of the state: the windows read whole beyond the cursor
_LANE = "windows_lane"  # extra field of a lane's slice: the windows its lane takes them from
# A window's end is one cursor unit before the next one's start (the CDK's cursor merges them).
_UNIT = timedelta(milliseconds=1)
# A killed sync reads again the windows in flight, one per lane: with four windows per lane or
# more, at most about a quarter of the list; on a long list, windows of this many pages keep it
# to a few pages per lane, a smaller part the longer the list, for about a tenth more requests.
_WINDOWS_PER_LANE = 4
_PAGES_PER_WINDOW = 16
_MAX_WINDOWS = 1000  # the CDK's cursor merges its slices, one per window, each time one closes
# The connector's CPU per record it reads (parsed, filtered, written): one pass reads the hub's
# sends at 5,000-6,000 records a second when nothing else limits it (README, figure 1).
_CPU_PER_RECORD_S = 0.0002


@dataclass(frozen=True)
class Plan:
    """How a list is read in windows: how many, and how many lanes read them at once."""

    windows: int
    lanes: int


def plan(total: Optional[int], page_size: Optional[int], round_trip: float, rate: float, concurrency: int) -> Optional[Plan]:
    """How to read a list of `total` records in windows, at the round trip (in seconds) the hub's
    answers took; None to read it in one pass.

    `rate`: the requests per second of the budget (0: none); `concurrency`: the most lanes.
    """
    if not total or not page_size:
        return None  # a hub that does not count: windows could not be sized
    pages = -(-total // page_size)
    page_cpu = page_size * _CPU_PER_RECORD_S
    # Pages a second the read can take: the budget's, and no more than the connector handles.
    pace = min(rate, 1 / page_cpu) if rate > 0 else 1 / page_cpu
    # Lanes enough to keep it busy, each waiting a round trip and the connector's work on a page
    # per request, and a quarter more for slower answers. More would only fetch pages to wait in
    # the CDK's queue (memory), and leave more windows in flight to read again after a kill.
    lanes = min(concurrency, max(2, math.ceil(1.25 * pace * (round_trip + page_cpu))))
    count = min(pages, _MAX_WINDOWS, max(_WINDOWS_PER_LANE * lanes, -(-pages // _PAGES_PER_WINDOW)))
    # Windows pay when they read the list in less time than one pass, by a tenth at least (the
    # threads they add). One pass waits a round trip per page and its empty last page, no faster
    # than the pace. Windows first wait two round trips (the records past the oldest, the
    # newest), then send their pages, an empty page per window and half a page more for the
    # part-full last one, at the pace or as fast as the round trips of their lanes allow. At
    # answers a few milliseconds away one pass already keeps the pace, and windows would only add
    # requests and threads. At 10 requests a second they pay from about 200 ms on a list of 24
    # pages, from 125 ms on one of 100.
    one_pass = max((pages + 1) * round_trip, (pages + 1) / pace)
    in_windows = 2 * round_trip + (pages + 1.5 * count) * max(1 / pace, round_trip / lanes)
    if count < 2 or 1.1 * in_windows >= one_pass:
        return None
    return Plan(count, lanes)


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


class WindowStates(MessageRepository):
    """The message repository of the CDK's cursor of a stream read in windows: each state that
    cursor writes goes out with the windows read whole beyond it, as one message. (Written after
    the cursor's own, a second message could be cut off by a kill between the two.)"""

    def __init__(self, repository: MessageRepository, state_manager: ConnectorStateManager) -> None:
        self._repository = repository
        self._state_manager = state_manager
        # Set by the stream's CursorWindows: its name and the state to write instead, if any.
        self.stream_name = ""
        self.state_with_windows: Callable[[], Optional[Mapping[str, Any]]] = lambda: None

    def emit_message(self, message: AirbyteMessage) -> None:
        state = self.state_with_windows() if message.type == Type.STATE else None
        if state is not None:
            self._state_manager.update_state_for_stream(self.stream_name, None, state)
            message = self._state_manager.create_state_message(self.stream_name, None)
        self._repository.emit_message(message)

    def log_message(self, level: Level, message_provider: Callable[[], LogMessage]) -> None:
        self._repository.log_message(level, message_provider)

    def consume_queue(self) -> Iterable[AirbyteMessage]:
        return self._repository.consume_queue()


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
        states: Optional[WindowStates] = None,
    ) -> None:
        super().__init__(cursor)
        self._stream_name = stream_name
        self._field = cursor.cursor_field.cursor_field_key
        self._concurrency = concurrency
        self._rate = requests_per_second
        self._where = where
        self._interrupted = interrupted
        if states is not None:
            states.stream_name, states.state_with_windows = stream_name, self._state_with_windows
        self._retriever: Optional[SimpleRetriever] = None
        self._in_lanes = False
        self._window_highest = HighestOnThread(self._field)
        # The windows of this sync, in order, with those read whole so far (and the highest cursor
        # value among the records of each): what the state says beyond the CDK's cursor.
        self._planned: list[tuple[str, str]] = []
        self._read: dict[tuple[str, str], Optional[str]] = {}
        # Held while a window closes, and again as the CDK's cursor writes the state (reentrant).
        self._lock = threading.RLock()

    def probe_with(self, retriever: SimpleRetriever) -> None:
        """Called once the stream's retriever exists: it asks for the oldest record."""
        self._retriever = retriever

    def read_in_lanes(self, stream: AbstractStream) -> None:
        """Called once the stream exists: its windows are read by lanes (`WindowLanes`). Without
        it, or on a CDK whose internals differ from those relied on, each window is a partition
        of its own, all handed to the CDK's workers at once."""
        parts = slicer_and_retriever_of(stream)
        if parts is not None:
            replace_slicer_and_retriever(stream, parts[0], WindowLanes(parts[1]))
            self._in_lanes = True

    def observe(self, record: Record) -> None:
        self._window_highest.see(record)

    def close_partition(self, partition: Partition) -> None:
        window = partition.to_slice()
        if _lanes_of(window) is not None:
            return  # a lane: each of its windows closed when it was read whole
        highest = self._window_highest.take()
        if is_window(window):
            assert window is not None
            self._close(partition, WindowRead(window["start_time"], window["end_time"], highest))
            return
        self._tell(highest, window)
        self._cursor.close_partition(partition)

    def window_read(self, window: StreamSlice) -> None:
        """On the lane's thread, every record of `window` out: the window closes."""
        self._close(SliceRead(self._stream_name, window), WindowRead(window["start_time"], window["end_time"], self._window_highest.take()))

    def stream_slices(self) -> Iterable[StreamSlice]:
        for whole in self._cursor.stream_slices():
            start, end = instant(whole.get("start_time")), instant(whole.get("end_time"))
            if start is None or end is None or self._retriever is None:
                yield whole
                continue
            yield from self._windows(whole, start, end)

    def _windows(self, whole: StreamSlice, start: datetime, end: datetime) -> Iterable[StreamSlice]:
        cut = self._cut_at(whole, start, end)
        read_before = self._read_before(start, end)
        if cut is None and not read_before:
            yield whole  # nothing to read, too little, or answers too near to gain: one pass
            return
        bounds, lanes = cut or ([start], 1)
        windows = _cut(_ranges(bounds, end), read_before)
        with self._lock:
            self._planned = sorted([*windows, *((w.start, w.end) for w in read_before)])
        for window in read_before:
            # The CDK's cursor is told of a window read before as if this sync had read it.
            self._close(SliceRead(self._stream_name, _window_slice(whole, window.start, window.end)), window)
        slices = [_window_slice(whole, low, high) for low, high in windows]
        if not self._in_lanes:
            yield from slices
            return
        taken = _Windows(self, slices)
        for _ in range(min(lanes, len(slices))):
            yield StreamSlice(partition=whole.partition, cursor_slice=whole.cursor_slice, extra_fields={**whole.extra_fields, _LANE: taken})

    def _cut_at(self, whole: StreamSlice, start: datetime, end: datetime) -> Optional[tuple[list[datetime], int]]:
        """Where the windows of `[start, end]` start and how many lanes read them, or None to
        read it in one pass."""
        oldest, total, first = self._probe(whole)
        page_size = self._page_size()
        # The first answer also counted the records, which can take a hub longer than a page (the
        # sandbox: 0.4 s for 100,000 sends, a page 4 ms): it can only rule windows out. The
        # second question, asked before any window anyway, is a request like a page's.
        if oldest is None or plan(total, page_size, first, self._rate, self._concurrency) is None:
            return None
        second = self._round_trip_past(whole, oldest)
        if second is None:
            return None
        round_trip = min(first, second)
        planned = plan(total, page_size, round_trip, self._rate, self._concurrency)
        if planned is None:
            return None
        oldest = min(max(oldest, start), end)
        newest = min(max(self._newest(whole) or end, oldest), end)
        bounds = [start] if oldest > start else []
        step, moment, cut = (newest + _UNIT - oldest) / planned.windows, oldest, 0
        while moment <= newest:
            bounds.append(moment)
            cut += 1
            # The lanes start together: their first windows, a lane's share of a window longer
            # each, make them close in turn rather than all at once, with every other lane's
            # window about whole then (the most a kill could make a resumed sync read again).
            moment += step * min(1.0, cut / planned.lanes)
        bounds = sorted(set(moment.replace(microsecond=moment.microsecond // 1000 * 1000) for moment in bounds))
        LOGGER.info(
            f"Stream '{self._stream_name}' is read in {len(bounds)} windows of its cursor, {planned.lanes} at a time, from "
            f"{utc_text(start)} to {utc_text(end)} ({total} records, the oldest at {utc_text(oldest)}, the newest at "
            f"{utc_text(newest)}; answers in {round_trip * 1000:.0f} ms)."
        )
        return bounds, planned.lanes

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
        """Closes a window in the CDK's cursor, which writes the state (with the windows read
        whole beyond the cursor, `_state_with_windows`)."""
        self._tell(window.highest_seen, partition.to_slice())
        with self._lock:
            self._read[(window.start, window.end)] = window.highest_seen
            self._cursor.close_partition(partition)

    def _state_with_windows(self) -> Optional[Mapping[str, Any]]:
        """The state to write instead of the CDK's cursor's: with the windows read whole beyond
        the first one not read, if any."""
        with self._lock:
            # The CDK's cursor covers the windows read without a gap from the first one.
            first_unread = next((i for i, key in enumerate(self._planned) if key not in self._read), len(self._planned))
            beyond = [WindowRead(*key, self._read[key]) for key in self._planned[first_unread:] if key in self._read]
            if not beyond:
                return None
            return {**self._cursor.state, WINDOWS: WindowsRead(self._where, tuple(beyond)).as_state()}

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

    def _newest(self, whole: StreamSlice) -> Optional[datetime]:
        """The cursor value of the record the hub lists last by cursor; None if it cannot say."""
        try:
            _, moments = self._first_by_cursor(whole, whole, order="desc")
        except Exception:  # the windows then reach to the slice's end, as long as they need be
            return None
        return max(moments) if moments else None

    def _round_trip_past(self, whole: StreamSlice, oldest: datetime) -> Optional[float]:
        """How long the hub took to answer a request for the records of the slice past `oldest`;
        None if it answered with one that is not (the oldest again, as it honours `orderBy` or
        ignores it alike both times): it ignores the where."""
        past_oldest = StreamSlice(
            partition=whole.partition,
            cursor_slice={**whole.cursor_slice, "start_time": utc_text(oldest + _UNIT)},
            extra_fields=whole.extra_fields,
        )
        began = time.monotonic()
        try:
            # Selected as records of the whole slice: the record filter would drop the very record
            # that gives a hub ignoring the where away.
            _, moments = self._first_by_cursor(past_oldest, whole)
        except Exception as error:
            LOGGER.warning(f"Stream '{self._stream_name}' is read in one pass: asking for the records past its oldest failed ({error}).")
            return None
        if any(moment <= oldest for moment in moments):
            LOGGER.warning(
                f"Stream '{self._stream_name}' is read in one pass: asked for the records with {self._field} after "
                f"{utc_text(oldest)}, the hub answered one at {utc_text(min(moments))}. It ignores the where, so each window "
                "would read the whole list."
            )
            return None
        return time.monotonic() - began

    def _first_by_cursor(
        self, asked: StreamSlice, selected_as: StreamSlice, order: str = "asc", **params: str
    ) -> tuple[Optional[requests.Response], list[datetime]]:
        """The hub's answer to a request for the first record of `asked` by cursor (in `order`),
        and the cursor values of the records in it, read as records of `selected_as`."""
        assert self._retriever is not None
        response = self._retriever.requester.send_request(
            stream_slice=asked, request_params={"orderBy": f"{self._field} {order}", "pageSize": 1, **params}
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


class _Windows:
    """The windows of one sync not taken by a lane yet, oldest first."""

    def __init__(self, cursor: CursorWindows, windows: list[StreamSlice]) -> None:
        self.cursor = cursor
        self._left = deque(windows)
        self._lock = threading.Lock()

    def take(self) -> Optional[StreamSlice]:
        with self._lock:
            return self._left.popleft() if self._left else None


def _lanes_of(stream_slice: Optional[Mapping[str, Any]]) -> Optional[_Windows]:
    return stream_slice.extra_fields.get(_LANE) if isinstance(stream_slice, StreamSlice) else None


class WindowLanes(Retriever):
    """A stream's retriever, reading a lane: the oldest window no lane has taken, whole, then
    the next, until none is left. A window closes once its records are out, on the lane's thread:
    its state goes out after them. A window that fails ends its lane and is not closed; the other
    lanes read on."""

    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever

    def read_records(self, records_schema: Mapping[str, Any], stream_slice: Optional[StreamSlice] = None) -> Iterable[StreamData]:
        windows = _lanes_of(stream_slice)
        if windows is None:
            yield from self._retriever.read_records(records_schema, stream_slice)
            return
        while (window := windows.take()) is not None:
            yield from self._retriever.read_records(records_schema, window)
            windows.cursor.window_read(window)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._retriever, name)


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

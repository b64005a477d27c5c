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

Correctness does not rest on the hub: some elements silently ignore criteria they do not support.
The record filter (components.CeqlRecordFilter) checks both bounds of the window, so a record is
emitted by exactly one window even when every window receives the whole list (each window then
reads it whole: `max_concurrent_requests: 1` reads it once).

State: every window is a slice of the CDK's cursor, which writes the state as windows close: the
highest cursor value of the windows done without a gap from the start, the same
`{"updated_at": ...}` as a sync read in one pass, so a sync killed mid-way resumes from there
and loses nothing (it reads the windows after it again). Within a window there is no checkpoint
per page (checkpoints.py keeps one for streams read in one pass).
"""

from __future__ import annotations

import logging
import math
import time
from datetime import datetime, timedelta
from typing import Any, Iterable, Mapping, Optional

from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from source_sendoso.ceql.instants import instant, utc_text
from source_sendoso.wrapped_cursor import HighestOnThread, WrappedCursor

LOGGER = logging.getLogger("airbyte")
WINDOW = "window"  # extra field of a window's slice: the requester bounds its where at both ends
# A window's end is one cursor unit before the next one's start (the CDK's cursor merges them).
_UNIT = timedelta(milliseconds=1)


def is_window(stream_slice: Optional[Mapping[str, Any]]) -> bool:
    return isinstance(stream_slice, StreamSlice) and bool(stream_slice.extra_fields.get(WINDOW))


class CursorWindows(WrappedCursor):
    """The CDK's cursor of one incremental stream, its one slice handed out as windows."""

    def __init__(self, cursor: ConcurrentCursor, *, stream_name: str, concurrency: int, requests_per_second: float) -> None:
        super().__init__(cursor)
        self._stream_name = stream_name
        self._field = cursor.cursor_field.cursor_field_key
        self._concurrency = concurrency
        self._rate = requests_per_second
        self._retriever: Optional[SimpleRetriever] = None
        self._window_highest = HighestOnThread(self._field)

    def probe_with(self, retriever: SimpleRetriever) -> None:
        """Called once the stream's retriever exists: it asks for the oldest record."""
        self._retriever = retriever

    def observe(self, record: Record) -> None:
        self._window_highest.see(record)

    def close_partition(self, partition: Partition) -> None:
        highest, window = self._window_highest.take(), partition.to_slice()
        if highest is not None and isinstance(window, StreamSlice):
            self._cursor.observe(Record(data={self._field: highest}, stream_name=self._stream_name, associated_slice=window))
        self._cursor.close_partition(partition)

    def stream_slices(self) -> Iterable[StreamSlice]:
        for whole in self._cursor.stream_slices():
            start, end = instant(whole.get("start_time")), instant(whole.get("end_time"))
            if start is None or end is None or self._retriever is None:
                yield whole
                continue
            yield from self._windows(whole, start, end)

    def _windows(self, whole: StreamSlice, start: datetime, end: datetime) -> Iterable[StreamSlice]:
        oldest, total, round_trip = self._probe(whole)
        in_flight = self._rate * round_trip if self._rate else self._concurrency
        count = min(2 * self._concurrency, max(1, math.ceil(2 * in_flight)))
        page_size = self._page_size()
        if total is not None and page_size:
            count = min(count, -(-total // page_size) // 2)  # a window pays with two pages or more
        if oldest is None or count < 2:
            yield whole  # nothing to read, too little, or answers too near to gain: one pass
            return
        oldest = min(max(oldest, start), end)
        bounds = [start] if oldest > start else []
        step = (end - oldest) / count
        bounds += [oldest + step * i for i in range(count)]
        bounds = sorted(set(moment.replace(microsecond=moment.microsecond // 1000 * 1000) for moment in bounds))
        LOGGER.info(
            f"Stream '{self._stream_name}' is read in {len(bounds)} windows of its cursor from {utc_text(start)} to {utc_text(end)} "
            f"(the oldest record at {utc_text(oldest)}, a first answer in {round_trip * 1000:.0f} ms)."
        )
        for i, low in enumerate(bounds):
            high = bounds[i + 1] - _UNIT if i + 1 < len(bounds) else end
            yield StreamSlice(
                partition=whole.partition,
                cursor_slice={**whole.cursor_slice, "start_time": utc_text(low), "end_time": utc_text(high)},
                extra_fields={**whole.extra_fields, WINDOW: True},
            )

    def _probe(self, whole: StreamSlice) -> tuple[Optional[datetime], Optional[int], float]:
        """The cursor value of the record the hub lists first by cursor, how many records the
        slice holds if the hub says (`Elements-Total-Count`), and how long the answer took."""
        assert self._retriever is not None
        began = time.monotonic()
        try:
            response = self._retriever.requester.send_request(
                stream_slice=whole, request_params={"orderBy": f"{self._field} asc", "pageSize": 1, "returnCount": "true"}
            )
            records = (
                list(
                    self._retriever.record_selector.select_records(
                        response=response, stream_state={}, records_schema={}, stream_slice=whole
                    )
                )
                if response is not None
                else []
            )
        except Exception as error:  # the windows are an optimisation: any failure reads in one pass
            LOGGER.warning(f"Stream '{self._stream_name}' is read in one pass: asking for its oldest record failed ({error}).")
            return None, None, 0.0
        round_trip = time.monotonic() - began
        total_text = str(response.headers.get("Elements-Total-Count", "")) if response is not None else ""
        total = int(total_text) if total_text.isdigit() else None
        moments = []
        for record in records:
            moment = instant(record.data.get(self._field))
            if moment is not None:
                moments.append(moment)
        return (min(moments) if moments else None), total, round_trip

    def _page_size(self) -> Optional[int]:
        strategy = getattr(getattr(self._retriever, "paginator", None), "pagination_strategy", None)
        size = strategy.get_page_size() if strategy is not None else None
        return size if isinstance(size, int) and size > 0 else None

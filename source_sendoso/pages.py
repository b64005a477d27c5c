"""The pages of a Sendoso list, read several at a time (users, groups, touches, sends).

Read one after another, a list goes as fast as its round trips: about 4 pages a second at
250 ms, a third of Sendoso's 10 requests a second. The first page is read alone; once it tells
the list's total, up to `max_concurrent_requests` lanes (partitions of the CDK's concurrent
engine) each take the lowest page no lane has taken, under the one budget, which lets pages
out in page order.

The total is *unverified*, so it never ends the list: a page that comes back short or empty
does; the lane of the last announced page reads on while pages come back full; a list without
a total is read by one lane. Progress is a watermark, the lowest page not read yet: an
incremental stream's checkpoint (cursors/checkpoints.py) follows it, so a state never goes out
ahead of its records, and pages start only below `watermark + max_concurrent_requests`, so a
killed sync reads again at most the pages in flight. A lane that fails stops the pass.

The CDK has no public way to give a built stream another slicer: `read_pages_concurrently`
replaces the stream's slicer and retriever through `cdk_seams`.
"""

from __future__ import annotations

import logging
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterable, Iterator, Mapping, Optional, Protocol
from urllib.parse import parse_qs, urlsplit

import orjson
import requests

from airbyte_cdk.sources.declarative.requesters.paginators.default_paginator import DefaultPaginator
from airbyte_cdk.sources.declarative.requesters.paginators.paginator import (
    page_size_override_kwargs,
    stream_slice_kwargs,
)
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.page_increment import PageIncrement
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.pagination_strategy import PaginationStrategy
from airbyte_cdk.sources.declarative.retrievers.retriever import Retriever
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.partitions.stream_slicer import StreamSlicer
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.types import Config, StreamSlice

from source_sendoso.cdk_seams import replace_slicer_and_retriever, slicer_and_retriever_of
from source_sendoso.slices import FIRST_PAGE, LISTING

LOGGER = logging.getLogger("airbyte")

# The spec's default (manifest.yaml, `max_concurrent_requests`; a unit test keeps them equal).
# Chosen from measurement (benchmarks/latency.py, sends, 10 requests a second): with answers
# 500 ms late, 4 pages at a time read 74% of the 1,000 records/s ceiling, 6 read 93%; 8 still
# read 91% at 750 ms. More would only add threads.
DEFAULT_MAX_CONCURRENT_REQUESTS = 8

_TAKE_NEXT = -1  # page_read: the lane takes the lowest page left


def max_concurrent_requests(config: Config) -> int:
    """The config's `max_concurrent_requests` (the spec has validated it by the time streams are built)."""
    value = config.get("max_concurrent_requests", DEFAULT_MAX_CONCURRENT_REQUESTS)
    return value if type(value) is int and value >= 1 else DEFAULT_MAX_CONCURRENT_REQUESTS


@dataclass
class SendosoPageIncrement(PageIncrement):
    """Sendoso's `page`/`per_page` paging, first page 1.

    A class of its own so that a Sendoso page-numbered list, whose pages are read several at a
    time, is told from any other paging. The CDK's PageIncrement stops on a short or empty page;
    a page that repeats another never gets here (error_handlers.ResponseGuard).
    """

    start_from_page: int = 1


class PassProgress(Protocol):
    """What an incremental stream's cursor does while the pages of its pass are read (checkpoints.py)."""

    @property
    def first_page(self) -> int:
        """Where the pass starts: 1, or the page an interrupted pass had reached."""

    def fold_page(self) -> None:
        """In the thread that has just read a page: its records' cursor values count from now on."""

    def reached(self, next_page: int) -> None:
        """Every page before `next_page` is read and its records are out: a checkpoint."""

    def finished(self) -> None:
        """Every page is read: the pass is done."""


class _NoProgress:
    """A full-refresh stream keeps no state while it reads."""

    first_page = 1

    def fold_page(self) -> None:
        pass

    def reached(self, next_page: int) -> None:
        pass

    def finished(self) -> None:
        pass


class Listing:
    """One pass over one list: its lanes, which pages they read, and what comes next.

    A lane is one partition of the CDK's engine that reads pages one after another, each page
    the lowest not asked for yet. The first lane reads the first page alone; once that page
    tells the total, the partition generator's thread hands out the other lanes
    (`page_slices`), at most `max_concurrent_requests` in all. The worker threads reading them
    report each page (`page_read`, which says which page the lane reads next) and the end of
    their lane (`partition_ended`). Lanes rather than a partition per page: the CDK keeps every
    partition's future until it holds 10,000, a kilobyte and more per page (measured: 12 MiB
    more peak memory at 3,000 pages), while a lane costs the same at any length.
    """

    def __init__(self, stream_name: str, *, per_page: int, concurrency: int, total_key: str, progress: PassProgress) -> None:
        self._stream_name = stream_name
        self._per_page = per_page
        self._concurrency = concurrency
        self._total_key = total_key
        self._progress = progress
        self.first_page = progress.first_page
        self._changed = threading.Condition()
        # Held by the thread whose page's records are going out, from its first record to the
        # page's end: the records of two pages never interleave.
        self._turn = threading.Lock()
        self._holder = threading.local()
        # Guarded by `_changed`:
        self._decided = False  # the first page is read: whether the pages after it are split off
        self._last_announced: Optional[int] = None  # set when they are: the page the total ends on
        self._next = self.first_page + 1  # the lowest page no lane has taken
        self._end: Optional[int] = None  # the lowest page that came back short or empty
        self._read: set[int] = set()  # pages read above the watermark
        self._watermark = self.first_page  # the lowest page not read yet
        self._unfinished = 0  # lanes handed out and not ended
        self._all_handed_out = False
        self._failed = False
        self._asking: list[int] = []  # pages waiting for the API budget
        self._admitting = False  # one of them is in it

    # -- the partition generator's side ---------------------------------------------------------

    def page_slices(self, stream_slice: StreamSlice) -> Iterator[StreamSlice]:
        yield self._hand_out(stream_slice, self.first_page)
        with self._changed:
            self._changed.wait_for(lambda: self._decided or self._failed)
            lanes = self._concurrency - 1 if self._last_announced is not None and not self._failed else 0
        for _ in range(lanes):
            yield self._hand_out(stream_slice, None)  # takes its first page when it starts
        with self._changed:
            self._all_handed_out = True
            done = self._pass_done()
        if done:
            self._progress.finished()

    def _hand_out(self, stream_slice: StreamSlice, first: Optional[int]) -> StreamSlice:
        with self._changed:
            self._unfinished += 1
        extra = {**stream_slice.extra_fields, LISTING: self, FIRST_PAGE: first}
        return StreamSlice(partition=stream_slice.partition, cursor_slice=stream_slice.cursor_slice, extra_fields=extra)

    def _pass_done(self) -> bool:
        """Once, when every lane is handed out and ended and none failed."""
        if not self._all_handed_out or self._unfinished or self._failed:
            return False
        self._all_handed_out = False
        return True

    # -- the reading threads' side --------------------------------------------------------------

    def first_page_of_lane(self) -> Optional[int]:
        """A lane handed out without a page takes the lowest one left when it starts: a page is
        only ever taken by a lane that is running, so a lane waiting for the window always
        waits for pages that are being read."""
        with self._changed:
            return self._take_next()

    def _take_next(self) -> Optional[int]:
        """The lowest page no lane has taken, once it is within `max_concurrent_requests` of the
        watermark; None when there is none left (or the pass failed). Holds `_changed`."""
        assert self._last_announced is not None
        last = self._last_announced
        self._changed.wait_for(
            lambda: self._failed or self._end is not None or self._next > last or self._next < self._watermark + self._concurrency
        )
        if self._failed or self._end is not None or self._next > last:
            return None
        page, self._next = self._next, self._next + 1
        return page

    def take_turn(self) -> None:
        """Before a record of a page goes out (once per page)."""
        if not getattr(self._holder, "turn", False):
            self._turn.acquire()
            self._holder.turn = True

    def _give_turn_back(self) -> None:
        if getattr(self._holder, "turn", False):
            self._holder.turn = False
            self._turn.release()

    def page_read(self, page: int, full: bool, response: requests.Response) -> Optional[int]:
        """Every record of `page` is out. The page the lane reads next, if any."""
        self._progress.fold_page()
        with self._changed:
            if not self._decided:
                self._decide(page, full, response)
            if not full and (self._end is None or page < self._end):
                self._end = page
            self._read.add(page)
            before = self._watermark
            while self._watermark in self._read:
                self._read.remove(self._watermark)
                self._watermark += 1
            # Past the end there is nothing left to resume: the pass ends with its final state.
            if self._watermark > before and not (self._end is not None and self._watermark > self._end):
                self._progress.reached(self._watermark)
            self._changed.notify_all()
            if not full or self._failed:
                after: Optional[int] = None
            elif self._last_announced is None or page >= self._last_announced:
                # One page after another: no total, or past the last page it announced (an
                # understated total, or records added since), read on by this lane alone.
                after = page + 1
            else:
                after = _TAKE_NEXT
        # Given back before the next page is asked for: its answer may take a while, and taking
        # it may wait for the watermark, which moves with the other lanes' pages.
        self._give_turn_back()
        if after != _TAKE_NEXT:
            return after
        with self._changed:
            return self._take_next()

    def _decide(self, page: int, full: bool, response: requests.Response) -> None:
        self._decided = True
        total = _total(response, self._total_key) if full and self._concurrency > 1 else None
        if total is None:
            return
        last = -(-total // self._per_page)
        if last > page:
            self._last_announced = last
            LOGGER.info(
                f"Stream '{self._stream_name}': its list announces {total} records; pages {page + 1} to {last} "
                f"are read up to {self._concurrency} at a time."
            )

    @contextmanager
    def admission(self, page: int) -> Iterator[None]:
        """The API budget is asked for one page of the list at a time, the lowest page first."""
        with self._changed:
            self._asking.append(page)
            self._changed.wait_for(lambda: not self._admitting and page == min(self._asking))
            self._asking.remove(page)
            self._admitting = True
        try:
            yield
        finally:
            with self._changed:
                self._admitting = False
                self._changed.notify_all()

    def partition_ended(self, completed: bool) -> None:
        self._give_turn_back()
        with self._changed:
            self._unfinished -= 1
            self._failed = self._failed or not completed
            self._changed.notify_all()
            done = self._pass_done()
        if done:
            self._progress.finished()


def _total(response: requests.Response, key: str) -> Optional[int]:
    if not key:
        return None
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return None
    total = body.get(key) if isinstance(body, dict) else None
    return total if type(total) is int and total >= 0 else None


def _listing_of(stream_slice: Optional[StreamSlice]) -> Optional[Listing]:
    return stream_slice.extra_fields.get(LISTING) if isinstance(stream_slice, StreamSlice) else None


@dataclass
class ListingPages(PaginationStrategy):
    """A stream's Sendoso paging, told the pages of its slice and reporting each page read.

    Its first request is the slice's `first_page`, asked for by the requester; the strategy asks
    for the pages after it while the listing says this partition reads on.
    """

    pages: PaginationStrategy

    @property
    def initial_token(self) -> Optional[Any]:
        return None

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Optional[Any],
        last_page_token_value: Optional[Any],
        page_size_override: Optional[int] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> Optional[Any]:
        listing = _listing_of(stream_slice)
        page = last_page_token_value
        if page is None:
            page = (stream_slice.extra_fields.get(FIRST_PAGE) if isinstance(stream_slice, StreamSlice) else None) or 1
        token = self.pages.next_page_token(
            response,
            last_page_size,
            last_record,
            page,
            **page_size_override_kwargs(page_size_override),
            **stream_slice_kwargs(self.pages.next_page_token, stream_slice),
        )
        if listing is None:
            return token
        # `token` is the page after this one when this one came back full: the listing says
        # which page this lane reads next.
        return listing.page_read(page, token is not None, response)

    def get_page_size(self) -> Optional[int]:
        return self.pages.get_page_size()


# The listing whose page the current thread is reading, for the API budget (PagesInOrder).
_reading = threading.local()


class ListingReads(Retriever):
    """A stream's retriever, telling the listing when a page partition has ended, and how."""

    def __init__(self, retriever: Retriever) -> None:
        self._retriever = retriever

    def read_records(self, records_schema: Mapping[str, Any], stream_slice: Optional[StreamSlice] = None) -> Iterable[StreamData]:
        listing = _listing_of(stream_slice)
        if listing is None or stream_slice is None:
            yield from self._retriever.read_records(records_schema, stream_slice)
            return
        completed = False
        _reading.listing = listing
        try:
            first = stream_slice.extra_fields.get(FIRST_PAGE)
            if first is None:
                first = listing.first_page_of_lane()
            if first is not None:
                lane = StreamSlice(
                    partition=stream_slice.partition,
                    cursor_slice=stream_slice.cursor_slice,
                    extra_fields={**stream_slice.extra_fields, FIRST_PAGE: first},
                )
                for record in self._retriever.read_records(records_schema, lane):
                    listing.take_turn()
                    yield record
            completed = True
        finally:
            _reading.listing = None
            # Also when the lane fails or is abandoned: the pass must not end as if it had not.
            listing.partition_ended(completed)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._retriever, name)


class PagesInOrder(APIBudget):
    """The source's API budget, letting the pages of a list through in page order.

    Threads waiting for the budget are all woken when it frees a call, and any of them may take
    it. Pages would then leave in any order, and one page left behind holds the watermark back,
    and with it every page past the window (measured: 87% of the ceiling at 250 ms, 96% in order).
    """

    def __init__(self, budget: APIBudget) -> None:
        super().__init__(policies=[])
        self._budget = budget

    def acquire_call(self, request: Any, block: bool = True, timeout: Optional[float] = None) -> None:
        listing: Optional[Listing] = getattr(_reading, "listing", None)
        if listing is None:
            self._budget.acquire_call(request, block=block, timeout=timeout)
            return
        with listing.admission(_page_number(request)):
            self._budget.acquire_call(request, block=block, timeout=timeout)

    def update_from_response(self, request: Any, response: Any) -> None:
        self._budget.update_from_response(request, response)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._budget, name)


def _page_number(request: Any) -> int:
    pages = parse_qs(urlsplit(str(getattr(request, "url", "") or "")).query).get("page")
    return int(pages[0]) if pages and pages[0].isdigit() else 1


class PageSlicer(StreamSlicer):
    """A stream's slices, each read as a listing of pages."""

    def __init__(
        self,
        slices: StreamSlicer,
        *,
        stream_name: str,
        per_page: int,
        concurrency: int,
        total_key: str,
        progress: Optional[PassProgress],
    ) -> None:
        self._slices = slices
        self._stream_name = stream_name
        self._per_page = per_page
        self._concurrency = concurrency
        self._total_key = total_key
        self._progress = progress or _NoProgress()

    def stream_slices(self) -> Iterable[StreamSlice]:
        for stream_slice in self._slices.stream_slices():
            listing = Listing(
                self._stream_name,
                per_page=self._per_page,
                concurrency=self._concurrency,
                total_key=self._total_key,
                progress=self._progress,
            )
            yield from listing.page_slices(stream_slice)


def _sendoso_pages(strategy: PaginationStrategy) -> Optional[SendosoPageIncrement]:
    if isinstance(strategy, SendosoPageIncrement):
        return strategy
    inner = getattr(strategy, "pages", None)  # checkpoints.CheckpointedPages wraps it
    return inner if isinstance(inner, SendosoPageIncrement) else None


def read_pages_concurrently(stream: AbstractStream, config: Config, progress: Optional[PassProgress]) -> bool:
    """Makes a built stream read the pages of its Sendoso list concurrently; whether it did.

    A stream that is not a Sendoso page-numbered list, a config of `max_concurrent_requests: 1`,
    or a CDK whose internals differ from those relied on leave the stream as it was: one
    partition per slice, its pages read one after another.

    The stream's slicer and retriever are the CDK's private parts (`cdk_seams.slicer_and_retriever_of`).
    """
    concurrency = max_concurrent_requests(config)
    if concurrency < 2:
        return False
    parts = slicer_and_retriever_of(stream)
    if parts is None:
        return False
    slicer, retriever = parts
    if not (isinstance(retriever, SimpleRetriever) and isinstance(retriever.paginator, DefaultPaginator)):
        return False
    paginator = retriever.paginator
    pages = _sendoso_pages(paginator.pagination_strategy)
    per_page = pages.get_page_size() if pages is not None else None
    if pages is None or not per_page:
        return False
    total_key = getattr(getattr(retriever.record_selector, "extractor", None), "total_key", "") or ""
    paginator.pagination_strategy = ListingPages(pages)
    replace_slicer_and_retriever(
        stream,
        PageSlicer(slicer, stream_name=stream.name, per_page=per_page, concurrency=concurrency, total_key=total_key, progress=progress),
        ListingReads(retriever),
    )
    return True

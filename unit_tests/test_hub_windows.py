"""The hub's sends cut into windows of their cursor (source_sendoso/cursors/windows.py), and the record
filter that keeps a record in exactly one window whatever the hub does with `where`.

End to end (the real entrypoint against the sandbox, windows read side by side, a hub that
ignores `where`): integration_tests/test_concurrency.py; a sync in windows killed and resumed:
integration_tests/test_resume.py.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace
from typing import Any, Dict, List, Optional

import pytest

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.message import InMemoryMessageRepository
from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor, CursorField
from airbyte_cdk.sources.streams.concurrent.state_converters.datetime_stream_state_converter import (
    CustomFormatConcurrentStreamStateConverter,
)
from airbyte_cdk.sources.types import Record, StreamSlice
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso.ceql.instants import CURSOR_DATETIME_FORMAT, instant, utc_text
from source_sendoso.cursors.windows import CursorWindows, WindowRead, WindowsRead, WindowStates, plan
from source_sendoso.filters import CeqlRecordFilter
from source_sendoso.slices import is_window

START, END = "2024-01-01T00:00:00.000Z", "2025-01-01T00:00:00.000Z"


class _OneSlice:
    """The CDK's cursor of a sync read in one pass: one slice from the start to now."""

    cursor_field = type("Field", (), {"cursor_field_key": "updated_at"})()

    def stream_slices(self) -> List[StreamSlice]:
        return [StreamSlice(partition={}, cursor_slice={"start_time": START, "end_time": END})]


class _Hub:
    """A retriever whose requester answers a question for the first record by cursor: ascending,
    the oldest record past the slice's start (with `oldest` whatever the start, if it ignores the
    where), descending, the newest; each `round_trip` seconds late, and one that asks for the count
    `counting` seconds more. Or it fails."""

    def __init__(
        self,
        oldest: Optional[str],
        newest: Optional[str] = None,
        fails: bool = False,
        total: Optional[int] = 2000,
        ignores_where: bool = False,
        round_trip: float = 0.03,
        counting: float = 0.0,
    ) -> None:
        self.asked: List[Dict[str, Any]] = []
        self._oldest, self._newest = oldest, newest
        self._fails = fails
        self._total = total
        self._ignores_where = ignores_where
        self._round_trip, self._counting = round_trip, counting
        self._start: Optional[str] = None
        self._order = "asc"
        self.requester = self
        self.record_selector = self
        self.paginator = SimpleNamespace(pagination_strategy=SimpleNamespace(get_page_size=lambda: PAGE_SIZE))

    def send_request(self, stream_slice: StreamSlice, request_params: Dict[str, Any]) -> object:
        self.asked.append(request_params)
        if self._fails:
            raise RuntimeError("400 Invalid orderBy")
        # A real wait: time.sleep is virtual here (conftest).
        threading.Event().wait(self._round_trip + (self._counting if "returnCount" in request_params else 0.0))
        self._start, self._order = stream_slice["start_time"], request_params["orderBy"].split()[1]
        return SimpleNamespace(headers={"Elements-Total-Count": str(self._total)} if self._total is not None else {})

    def select_records(self, **_: Any) -> List[Record]:
        if self._order == "desc":
            return [Record(data={"updated_at": self._newest}, stream_name="sends")] if self._newest else []
        if not self._oldest or (self._start is not None and self._start > self._oldest and not self._ignores_where):
            return []
        return [Record(data={"updated_at": self._oldest}, stream_name="sends")]


PAGE_SIZE = 50
OLDEST, NEWEST = "2024-07-01T00:00:00.000Z", "2024-07-08T23:59:59.999Z"


def _windows(hub: _Hub, concurrency: int = 2) -> List[tuple]:
    cursor = CursorWindows(_OneSlice(), stream_name="sends", concurrency=concurrency, requests_per_second=0)  # type: ignore[arg-type]
    cursor.probe_with(hub)  # type: ignore[arg-type]
    return [(s["start_time"], s["end_time"], is_window(s)) for s in cursor.stream_slices()]


def _from_noon(day: int) -> tuple:
    return (f"2024-07-0{day}T12:00:00.000Z", f"2024-07-0{day + 1}T11:59:59.999Z", True)


def test_given_the_oldest_and_newest_records_when_sliced_then_equal_windows_between_them_after_one_window_before_it() -> None:
    hub = _Hub(oldest=OLDEST, newest=NEWEST)

    windows = _windows(hub, concurrency=2)

    # The oldest record and the count, whether the hub leaves the oldest out when asked for the
    # records past it, the newest record.
    assert hub.asked == [
        {"orderBy": "updated_at asc", "pageSize": 1, "returnCount": "true"},
        {"orderBy": "updated_at asc", "pageSize": 1},
        {"orderBy": "updated_at desc", "pageSize": 1},
    ]
    # Four windows per lane (2), a day each, between the oldest and the newest record, the last
    # one to the end of the sync; the first window covers what a hub that ignores orderBy did not
    # list first. The first lane's first window is half a day, so that the two lanes, starting
    # together, close their windows in turn.
    assert windows == [
        (START, "2024-06-30T23:59:59.999Z", True),
        (OLDEST, "2024-07-01T11:59:59.999Z", True),
        *map(_from_noon, range(1, 8)),
        ("2024-07-08T12:00:00.000Z", END, True),
    ]


def test_given_the_oldest_record_at_the_start_when_sliced_then_no_window_before_it() -> None:
    windows = _windows(_Hub(oldest=START, newest="2024-01-08T23:59:59.999Z"))

    assert windows[0] == (START, "2024-01-01T11:59:59.999Z", True) and len(windows) == 9


def test_given_no_newest_record_when_sliced_then_the_windows_reach_to_the_end() -> None:
    windows = _windows(_Hub(oldest=OLDEST, newest=None))

    assert windows[1][0] == OLDEST and windows[-1][1] == END and len(windows) == 10
    lengths = {instant(high) - instant(low) for low, high, _ in windows[2:-1]}  # type: ignore[operator]
    assert max(lengths) - min(lengths) < timedelta(milliseconds=2)  # equal, to the cursor's unit


def test_given_a_list_of_few_pages_when_sliced_then_one_pass() -> None:
    hub = _Hub(oldest=OLDEST, newest=NEWEST, total=3 * PAGE_SIZE)

    # Three pages: each window would cost a request more (its empty last page) than it saves.
    assert _windows(hub) == [(START, END, False)]
    assert len(hub.asked) == 1


def test_given_near_answers_when_sliced_then_one_pass() -> None:
    hub = _Hub(oldest=OLDEST, newest=NEWEST, round_trip=0.0)

    assert _windows(hub) == [(START, END, False)]
    assert len(hub.asked) == 1


def test_given_near_answers_and_a_slow_count_when_sliced_then_one_pass() -> None:
    hub = _Hub(oldest=OLDEST, newest=NEWEST, round_trip=0.0, counting=0.1)

    # The count's time is no round trip of a page: the question past the oldest measures one.
    assert _windows(hub) == [(START, END, False)]
    assert len(hub.asked) == 2


def test_given_a_hub_that_does_not_count_when_sliced_then_one_pass() -> None:
    assert _windows(_Hub(oldest=OLDEST, newest=NEWEST, total=None)) == [(START, END, False)]


def test_given_a_hub_that_ignores_where_when_sliced_then_one_pass() -> None:
    # Each window would read the whole list.
    assert _windows(_Hub(oldest=OLDEST, newest=NEWEST, ignores_where=True)) == [(START, END, False)]


def test_given_no_record_when_sliced_then_one_pass() -> None:
    assert _windows(_Hub(oldest=None)) == [(START, END, False)]


def test_given_the_oldest_record_question_fails_when_sliced_then_one_pass() -> None:
    assert _windows(_Hub(oldest=None, fails=True)) == [(START, END, False)]


@pytest.mark.parametrize("rate", [10, 0])
def test_given_answers_a_few_milliseconds_away_when_planned_then_one_pass(rate: float) -> None:
    # One pass is then held to the budget or to the connector's CPU: windows only add requests.
    for total in (1_000, 10_000, 1_000_000):
        assert plan(total, 200, 0.003, rate, concurrency=8) is None


def test_given_answers_250_ms_away_when_planned_then_lanes_fill_the_budget_and_each_holds_a_small_part_of_the_list() -> None:
    planned = plan(1_200, 50, 0.25, 10, concurrency=8)

    # 2.5 requests in flight fill 10 a second at 250 ms; a kill reads again one window per lane.
    assert planned is not None and planned.lanes == 4
    assert planned.lanes / planned.windows <= 1 / 4


def test_given_a_long_list_when_planned_then_windows_of_a_few_pages_however_long() -> None:
    planned = plan(1_000_000, 200, 0.25, 10, concurrency=8)

    # A kill reads again a few pages per lane: the longer the list, the smaller a part of it.
    assert planned is not None and 1_000_000 / 200 / planned.windows <= 16


def _window(start: str, end: str) -> StreamSlice:
    return StreamSlice(partition={}, cursor_slice={"start_time": start, "end_time": end}, extra_fields={"window": True})


def test_given_a_hub_that_ignores_where_when_windows_filter_then_each_record_is_kept_by_one_window() -> None:
    record_filter = CeqlRecordFilter(parameters={"name": "sends", "cursor_field": "updated_at"}, config={})
    every_record = [
        {"id": i, "updated_at": at}
        for i, at in enumerate(
            ["2024-03-01T00:00:00.000Z", "2024-06-30T23:59:59.999Z", "2024-07-01T00:00:00.000Z", "2024-12-31T10:00:00.000Z"]
        )
    ]
    windows = [_window(START, "2024-06-30T23:59:59.999Z"), _window("2024-07-01T00:00:00.000Z", END)]

    kept = [[r["id"] for r in record_filter.filter_records(every_record, {}, window)] for window in windows]

    assert kept == [[0, 1], [2, 3]]


def test_given_a_pass_not_cut_into_windows_when_filter_then_no_upper_bound() -> None:
    record_filter = CeqlRecordFilter(parameters={"name": "sends", "cursor_field": "updated_at"}, config={})
    one_pass = StreamSlice(partition={}, cursor_slice={"start_time": START, "end_time": "2024-06-30T00:00:00.000Z"})

    # A record changed while the sync runs is read, as before windows.
    assert [r["id"] for r in record_filter.filter_records([{"id": 1, "updated_at": "2024-07-01T00:00:00.000Z"}], {}, one_pass)] == [1]


def _sends_windows(
    interrupted: Optional[WindowsRead] = None, where: str = ""
) -> tuple[CursorWindows, List[StreamSlice], InMemoryMessageRepository]:
    """The hub's sends as the manifest builds them, from a state at START: the CDK's cursor, writing
    its states through the windows, cut into the windows of `_Hub(OLDEST, NEWEST)` at concurrency 2
    (one before the oldest, then a day each); the states it writes."""
    repository, state_manager = InMemoryMessageRepository(), ConnectorStateManager()
    states = WindowStates(repository, state_manager)
    cdk_cursor = ConcurrentCursor(
        stream_name="sends",
        stream_namespace=None,
        stream_state={"updated_at": START},
        message_repository=states,
        connector_state_manager=state_manager,
        connector_state_converter=CustomFormatConcurrentStreamStateConverter(CURSOR_DATETIME_FORMAT),
        cursor_field=CursorField("updated_at"),
        slice_boundary_fields=("start_time", "end_time"),
        start=None,
        end_provider=lambda: instant(END),
    )
    cursor = CursorWindows(
        cdk_cursor,
        stream_name="sends",
        concurrency=2,
        requests_per_second=0,
        where=where,
        interrupted=interrupted,
        states=states,
    )
    cursor.probe_with(_Hub(oldest=OLDEST, newest=NEWEST))  # type: ignore[arg-type]
    return cursor, list(cursor.stream_slices()), repository


def _states(repository: InMemoryMessageRepository) -> List[Dict[str, Any]]:
    return [message.state.stream.stream_state.__dict__ for message in repository.consume_queue() if message.state is not None]


class _Window:
    """A window as the CDK's partition reader hands it to the cursor to close."""

    def __init__(self, window: StreamSlice) -> None:
        self._slice = window

    def to_slice(self) -> StreamSlice:
        return self._slice

    def stream_name(self) -> str:
        return "sends"


def _on_a_thread(cursor: CursorWindows, reads: List[tuple]) -> None:
    """One reader thread of the CDK: for each (window, cursor values, closed), the records of the
    window observed, then the window closed, or not, as when its read failed."""

    def read() -> None:
        for window, values, closed in reads:
            for value in values:
                cursor.observe(Record(data={"id": 1, "updated_at": value}, stream_name="sends", associated_slice=window))
            if closed:
                cursor.close_partition(_Window(window))  # type: ignore[arg-type]

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()


def _hours_in(window: StreamSlice, hours: int) -> str:
    return utc_text(instant(window["start_time"]) + timedelta(hours=hours))  # type: ignore[operator]


def test_given_windows_read_side_by_side_when_all_closed_then_the_state_is_the_highest_record_read() -> None:
    cursor, windows, _ = _sends_windows()
    # In no order within a window, and a record without its cursor value among them.
    values: List[List[Optional[str]]] = [["2024-03-01T00:00:00.000Z", None, "2024-01-02T00:00:00.000Z"]]
    values += [[_hours_in(window, 10), _hours_in(window, 2)] if i % 3 else [] for i, window in enumerate(windows[1:], 1)]
    values[-1].append("2024-12-31T23:00:00.000Z")

    for window, its_values in reversed(list(zip(windows, values))):  # the last window closes first
        _on_a_thread(cursor, [(window, its_values, True)])

    assert cursor.state["updated_at"] == "2024-12-31T23:00:00.000Z"


def test_given_a_window_failed_on_a_thread_when_the_thread_reads_an_earlier_one_then_the_state_is_the_earlier_ones() -> None:
    cursor, windows, _ = _sends_windows()

    _on_a_thread(cursor, [(windows[4], ["2024-07-04T10:00:00.000Z"], False), (windows[0], ["2024-02-01T00:00:00.000Z"], True)])

    # Had the failed window's record counted for the first one, a sync killed now would resume
    # after the windows between them, and never read those.
    assert cursor.state["updated_at"] == "2024-02-01T00:00:00.000Z"


def _bounds(windows: List[StreamSlice]) -> List[tuple]:
    return [(w["start_time"], w["end_time"]) for w in windows]


def test_given_windows_read_beyond_one_still_read_when_closed_then_each_writes_one_state_listing_them_until_the_gap_closes() -> None:
    cursor, windows, repository = _sends_windows(where="status = 'Delivered'")

    _on_a_thread(cursor, [(windows[0], ["2024-02-01T00:00:00.000Z"], True)])
    _on_a_thread(cursor, [(windows[2], ["2024-07-02T09:00:00.000Z"], True), (windows[3], [], True)])
    while_the_second_is_read = _states(repository)
    _on_a_thread(cursor, [(windows[1], ["2024-07-01T08:00:00.000Z"], True)])
    once_it_is_read = _states(repository)

    # One state per window closed, each naming the windows read beyond the gap: a kill between
    # two messages of one close would lose them.
    assert [set(state) for state in while_the_second_is_read] == [{"updated_at"}, {"updated_at", "windows"}, {"updated_at", "windows"}]
    assert while_the_second_is_read[-1] == {
        "updated_at": "2024-02-01T00:00:00.000Z",
        "windows": {
            "where": "status = 'Delivered'",
            "read": [
                {"start": windows[2]["start_time"], "end": windows[2]["end_time"], "highest_seen": "2024-07-02T09:00:00.000Z"},
                {"start": windows[3]["start_time"], "end": windows[3]["end_time"], "highest_seen": None},
            ],
        },
    }
    # The windows up to the fourth are read without a gap: the CDK's cursor covers them.
    assert once_it_is_read == [{"updated_at": "2024-07-02T09:00:00.000Z"}]


def test_given_a_window_failed_when_the_stream_ends_then_its_last_state_still_lists_the_windows_read_beyond_it() -> None:
    cursor, windows, repository = _sends_windows()
    _on_a_thread(cursor, [(windows[1], [], False)] + [(window, [], True) for window in windows[:1] + windows[2:]])
    _states(repository)

    cursor.ensure_at_least_one_state_emitted()

    # The sync fails; its next attempt reads again the failed window only.
    (last,) = _states(repository)
    assert [(w["start"], w["end"]) for w in last["windows"]["read"]] == _bounds(windows[2:])


def test_given_windows_read_by_an_interrupted_sync_when_resumed_then_only_the_rest_is_read_and_their_records_count() -> None:
    _, planned, _ = _sends_windows()
    read_before = WindowsRead("", (WindowRead(planned[2]["start_time"], planned[2]["end_time"], "2024-07-02T11:00:00.000Z"),))

    cursor, windows, repository = _sends_windows(interrupted=read_before)
    for window in windows:
        _on_a_thread(cursor, [(window, ["2024-03-01T00:00:00.000Z"] if window is windows[0] else [], True)])

    assert _bounds(windows) == _bounds(planned[:2] + planned[3:])
    assert _states(repository)[-1] == {"updated_at": "2024-07-02T11:00:00.000Z"}


def test_given_windows_read_under_another_filter_when_resumed_then_they_are_read_again() -> None:
    _, planned, _ = _sends_windows()
    read_before = WindowsRead("status = 'Delivered'", (WindowRead(planned[2]["start_time"], planned[2]["end_time"], None),))

    _, windows, _ = _sends_windows(interrupted=read_before, where="")

    assert _bounds(windows) == _bounds(planned)


def test_given_a_windows_entry_it_cannot_read_when_resumed_then_a_config_error_says_how_to_recover() -> None:
    with pytest.raises(AirbyteTracedException) as raised:
        WindowsRead.from_state("sends", {"where": "", "read": [{"start": "yesterday", "end": END}]})

    assert raised.value.failure_type == FailureType.config_error
    assert "Remove the 'windows' entry" in raised.value.message

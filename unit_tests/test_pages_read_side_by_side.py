"""The pages of a Sendoso list read several at a time (source_sendoso/pages.py): the first page's
total says which pages to ask for, a short or empty page ends the list, and the checkpoints of
an incremental stream only ever cover pages whose records are out."""

from typing import Any, Dict, List, Optional
from unittest import TestCase

from airbyte_cdk.models import FailureType, SyncMode, Type
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import errors_of_type, latest_state, read_stream, record_ids
from mock_server.records import send, user
from mock_server.requests import list_request, token_request
from mock_server.responses import error_response, json_response, page_response, token_response

LOWER_BOUND = "2024-05-01T00:00:00.000Z"


def _mock_token(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(), token_response())


def _users_page(http_mocker: HttpMocker, number: int, ids: List[int], total: Optional[int]) -> Any:
    request = list_request("/users", page=None if number == 1 else number, per_page=2)
    records = [user(i) for i in ids]
    if total is None:
        http_mocker.get(request, json_response({"current_page": number, "per_page": 2, "users": records}))
    else:
        http_mocker.get(request, page_response("/users", records, page=number, per_page=2, total=total))
    return request


def _read_users(config: Optional[Dict[str, Any]] = None, expecting_exception: bool = False) -> EntrypointOutput:
    return read_stream("users", config or ConfigBuilder().with_per_page(2).build(), expecting_exception=expecting_exception)


class PagePartitionTest(TestCase):
    @HttpMocker()
    def test_given_a_total_when_read_then_every_announced_page_is_asked_for_once(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        pages = [_users_page(http_mocker, n, [2 * n - 1, 2 * n], total=7) for n in (1, 2, 3)]
        pages.append(_users_page(http_mocker, 4, [7], total=7))

        output = _read_users()

        assert sorted(record_ids(output)) == [1, 2, 3, 4, 5, 6, 7]
        for request in pages:
            http_mocker.assert_number_of_calls(request, 1)

    @HttpMocker()
    def test_given_an_understated_total_then_pages_past_it_until_a_short_page(self, http_mocker: HttpMocker) -> None:
        """An understated total: the pages past it are read, up to a short page."""
        _mock_token(http_mocker)
        _users_page(http_mocker, 1, [1, 2], total=4)
        _users_page(http_mocker, 2, [3, 4], total=4)
        # Not announced: records were added, or the total is wrong.
        _users_page(http_mocker, 3, [5, 6], total=4)
        past_the_end = _users_page(http_mocker, 4, [7], total=4)

        output = _read_users()

        assert sorted(record_ids(output)) == [1, 2, 3, 4, 5, 6, 7]
        http_mocker.assert_number_of_calls(past_the_end, 1)

    @HttpMocker()
    def test_given_an_overstated_total_then_the_empty_page_it_announced_ends_the_list(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        for number in (1, 2, 3):
            _users_page(http_mocker, number, [2 * number - 1, 2 * number], total=7)
        # Announced, and empty: the total was one record too many (records deleted since).
        empty = _users_page(http_mocker, 4, [], total=7)
        # Page 5 is not mocked: the empty page ends the list.

        output = _read_users()

        assert sorted(record_ids(output)) == [1, 2, 3, 4, 5, 6]
        assert not output.errors
        http_mocker.assert_number_of_calls(empty, 1)

    @HttpMocker()
    def test_given_no_total_then_pages_one_after_another_up_to_the_short_page(self, http_mocker: HttpMocker) -> None:
        """Without a total, pages are read one after another, and nothing past the short page."""
        _mock_token(http_mocker)
        _users_page(http_mocker, 1, [1, 2], total=None)
        _users_page(http_mocker, 2, [3, 4], total=None)
        _users_page(http_mocker, 3, [5], total=None)
        # Page 4 is not mocked: asking for it, as a read of several pages at once would, fails the test.

        output = _read_users()

        assert record_ids(output) == [1, 2, 3, 4, 5]

    @HttpMocker()
    def test_given_max_concurrent_requests_1_then_pages_one_after_another(self, http_mocker: HttpMocker) -> None:
        """With `max_concurrent_requests: 1`, pages are read one after another whatever the total."""
        _mock_token(http_mocker)
        _users_page(http_mocker, 1, [1, 2], total=10)
        _users_page(http_mocker, 2, [3], total=10)
        # Pages 3 to 5 are announced, not mocked: the short page 2 ends the list before them.

        output = _read_users(ConfigBuilder().with_per_page(2).with_max_concurrent_requests(1).build())

        assert record_ids(output) == [1, 2, 3]

    @HttpMocker()
    def test_given_pages_read_at_once_then_the_records_of_each_page_go_out_together(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        for number in range(1, 7):
            _users_page(http_mocker, number, [2 * number - 1, 2 * number], total=12)
        _users_page(http_mocker, 7, [], total=12)

        ids = record_ids(_read_users())

        assert sorted(ids) == list(range(1, 13))
        for number in range(1, 7):
            first, second = ids.index(2 * number - 1), ids.index(2 * number)
            assert second == first + 1, f"the records of page {number} are apart: {ids}"

    @HttpMocker()
    def test_given_a_page_that_keeps_failing_then_the_stream_fails_and_none_is_lost(self, http_mocker: HttpMocker) -> None:
        """A page that keeps failing fails the stream: no page is lost silently."""
        _mock_token(http_mocker)
        _users_page(http_mocker, 1, [1, 2], total=6)
        _users_page(http_mocker, 2, [3, 4], total=6)
        http_mocker.get(list_request("/users", page=3, per_page=2), error_response(500, "Internal Server Error"))

        output = _read_users(expecting_exception=True)

        assert errors_of_type(output, FailureType.transient_error) or errors_of_type(output, FailureType.system_error)
        assert set(record_ids(output)) <= {1, 2, 3, 4}
        statuses = [m.trace.stream_status.status.name for m in output.trace_messages if m.trace.stream_status]
        assert statuses[-1] == "INCOMPLETE"


# --- checkpoints --------------------------------------------------------------------------------

# Four pages of two sends, in no cursor order (the direct API documents none).
SEND_PAGES = [
    [send(1, "2024-05-03T00:00:00.000Z"), send(2, "2024-05-02T00:00:00.000Z")],
    [send(3, "2024-05-05T00:00:00.000Z"), send(4, "2024-04-01T00:00:00.000Z")],
    [send(5, "2024-05-04T00:00:00.000Z"), send(6, "2024-05-06T00:00:00.000Z")],
    [send(7, "2024-05-02T12:00:00.000Z")],
]
TOTAL = sum(len(page) for page in SEND_PAGES)


def _mock_send_pages(http_mocker: HttpMocker, first: int = 1, failing: Optional[int] = None) -> None:
    _mock_token(http_mocker)
    for number, records in enumerate(SEND_PAGES, start=1):
        if number < first:
            continue
        request = list_request("/send", page=None if number == 1 else number, per_page=2)
        if number == failing:
            http_mocker.get(request, error_response(500, "Internal Server Error"))
        else:
            http_mocker.get(request, page_response("/send", records, page=number, per_page=2, total=TOTAL))


def _page_of(send_id: int) -> int:
    return next(number for number, records in enumerate(SEND_PAGES, start=1) if any(r["id"] == send_id for r in records))


def _read_sends(state: Dict[str, Any], expecting_exception: bool = False) -> EntrypointOutput:
    return read_stream(
        "sends", ConfigBuilder().with_per_page(2).build(), SyncMode.incremental, state=state, expecting_exception=expecting_exception
    )


def _state_of(message: Any) -> Dict[str, Any]:
    return _as_dict(message.state.stream.stream_state)


def _as_dict(blob: Any) -> Any:
    if hasattr(blob, "__dict__"):
        blob = blob.__dict__
    return {key: _as_dict(value) for key, value in blob.items()} if isinstance(blob, dict) else blob


class ConcurrentCheckpointTest(TestCase):
    @HttpMocker()
    def test_given_pages_read_at_once_then_each_checkpoint_follows_the_pages_before_it(self, http_mocker: HttpMocker) -> None:
        """Pages read at the same time: each checkpoint follows the records of every page before it."""
        _mock_send_pages(http_mocker)

        output = _read_sends({"updated_at": LOWER_BOUND})

        assert sorted(record_ids(output)) == [1, 2, 3, 5, 6, 7]
        out_before: set = set()
        positions = []
        for message in output.records_and_state_messages:
            if message.type == Type.RECORD:
                out_before.add(message.record.data["id"])
                continue
            state = _state_of(message)
            if "pass" not in state:
                continue
            position = state["pass"]
            assert state["updated_at"] == LOWER_BOUND  # the lower bound holds until the pass ends
            owed = {r["id"] for page in SEND_PAGES[: position["next_page"] - 1] for r in page} - {4}  # 4 is older
            assert owed <= out_before, f"checkpoint at page {position['next_page']} ahead of {sorted(owed - out_before)}"
            positions.append(position["next_page"])
        assert positions == sorted(set(positions)) and positions and positions[-1] <= len(SEND_PAGES)
        assert latest_state(output) == {"updated_at": "2024-05-06T00:00:00.000Z"}

    @HttpMocker()
    def test_given_a_pass_killed_at_page_three_then_it_resumes_there(self, http_mocker: HttpMocker) -> None:
        """A pass killed at page three resumes there and reads the pages after it."""
        # Pages 1 and 2 are not mocked: asking for them fails the test.
        _mock_send_pages(http_mocker, first=3)
        state = {
            "updated_at": LOWER_BOUND,
            "pass": {"next_page": 3, "per_page": 2, "backend": "sendoso", "where": "", "highest_seen": "2024-05-05T00:00:00.000Z"},
        }

        output = _read_sends(state)

        assert sorted(record_ids(output)) == [5, 6, 7]
        # As read before the kill: a change on pages 1-2 since then must not fall behind the cursor.
        assert latest_state(output) == {"updated_at": "2024-05-05T00:00:00.000Z"}

    @HttpMocker()
    def test_given_a_page_that_fails_then_no_checkpoint_passes_it(self, http_mocker: HttpMocker) -> None:
        """A page that fails: no checkpoint passes it, and the cursor does not move."""
        # The last page: a page after the failing one may never be asked once the failure stops
        # the pass, and HttpMocker fails a test whose mocked request was never sent.
        _mock_send_pages(http_mocker, failing=4)

        output = _read_sends({"updated_at": LOWER_BOUND}, expecting_exception=True)

        assert output.errors
        positions = [state["pass"]["next_page"] for state in map(_state_of, output.state_messages) if "pass" in state]
        assert all(position <= 4 for position in positions), positions
        # The pass did not end: the cursor stays at the lower bound, and nothing after it is skipped.
        assert latest_state(output)["updated_at"] == LOWER_BOUND

"""Incremental streams write their state after every page, so a sync killed half way through a
stream resumes there instead of reading the stream again from its first page."""

from typing import Any, Dict, List, Optional
from unittest import TestCase

from airbyte_cdk.models import FailureType, SyncMode, Type
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.hub import HubConfigBuilder, hub_page, hub_request, mock_only_named_objects
from mock_server.read import errors_of_type, latest_state, read_stream, record_ids
from mock_server.records import group, send
from mock_server.requests import list_request, token_request
from mock_server.responses import page_response, token_response

LOWER_BOUND = "2024-05-01T00:00:00.000Z"


def _send_at(send_id: int, instant: str) -> Dict[str, Any]:
    return send(send_id, created_at=instant)


# Three pages of two sends, in no cursor order (the direct API documents none).
PAGES = [
    [_send_at(1, "2024-05-03T00:00:00.000Z"), _send_at(2, "2024-05-02T00:00:00.000Z")],
    [_send_at(3, "2024-05-05T00:00:00.000Z"), _send_at(4, "2024-04-01T00:00:00.000Z")],
    [_send_at(5, "2024-05-04T00:00:00.000Z")],
]


def _mock_pages(http_mocker: HttpMocker, first: int = 1) -> None:
    http_mocker.post(token_request(), token_response())
    for number, records in enumerate(PAGES, start=1):
        if number >= first:
            page = None if number == 1 else number
            http_mocker.get(list_request("/send", page=page, per_page=2), page_response("/send", records, page=number, per_page=2, total=5))


def _states_in_order(output: EntrypointOutput) -> List[Any]:
    """Each message in output order: a record's id, or a state's stream state as a dict. A
    state that repeats the one just before it is left out (the CDK writes the final state
    when the slice closes and again when the stream ends)."""
    sequence: List[Any] = []
    for message in output.records_and_state_messages:
        if message.type == Type.RECORD:
            sequence.append(message.record.data["id"])
        else:
            state = _as_dict(message.state.stream.stream_state)
            if not sequence or sequence[-1] != state:
                sequence.append(state)
    return sequence


def _as_dict(blob: Any) -> Dict[str, Any]:
    return {key: _as_dict(value) if hasattr(value, "__dict__") else value for key, value in blob.__dict__.items()}


def _position(next_page: int, highest_seen: Optional[str], backend: str = "sendoso") -> Dict[str, Any]:
    return {"next_page": next_page, "per_page": 2, "backend": backend, "where": "", "highest_seen": highest_seen}


def _one_page_at_a_time() -> ConfigBuilder:
    """Pages read one after another (max_concurrent_requests: 1): records and states in page order.
    Pages read several at a time are checkpointed too (test_pages_read_side_by_side.py)."""
    return ConfigBuilder().with_per_page(2).with_max_concurrent_requests(1)


class DirectPageCheckpointTest(TestCase):
    @HttpMocker()
    def test_given_three_pages_when_read_then_a_state_follows_every_page(self, http_mocker: HttpMocker) -> None:
        """A state follows every page, and keeps the lower bound until the end of the pass."""
        _mock_pages(http_mocker)

        output = read_stream("sends", _one_page_at_a_time().build(), SyncMode.incremental, state={"updated_at": LOWER_BOUND})

        assert _states_in_order(output) == [
            1,
            2,
            {"updated_at": LOWER_BOUND, "pass": _position(2, "2024-05-03T00:00:00.000Z")},
            3,
            {"updated_at": LOWER_BOUND, "pass": _position(3, "2024-05-05T00:00:00.000Z")},
            5,
            {"updated_at": "2024-05-05T00:00:00.000Z"},
        ]

    @HttpMocker()
    def test_given_a_page_with_no_record_past_the_cursor_then_it_is_checkpointed_too(self, http_mocker: HttpMocker) -> None:
        _mock_pages(http_mocker)

        # Only send 3 (page 2) is at or after the state: page 1 still gets its checkpoint.
        output = read_stream("sends", _one_page_at_a_time().build(), SyncMode.incremental, state={"updated_at": "2024-05-04T12:00:00.000Z"})

        sequence = _states_in_order(output)
        assert sequence[0] == {"updated_at": "2024-05-04T12:00:00.000Z", "pass": _position(2, None)}
        assert [item for item in sequence if not isinstance(item, dict)] == [3]
        assert sequence[-1] == {"updated_at": "2024-05-05T00:00:00.000Z"}

    @HttpMocker()
    def test_given_a_pass_killed_after_page_two_when_read_then_resume_at_page_three(self, http_mocker: HttpMocker) -> None:
        # Pages 1 and 2 are not mocked: asking for them fails the test.
        _mock_pages(http_mocker, first=3)
        state = {"updated_at": LOWER_BOUND, "pass": _position(3, "2024-05-05T00:00:00.000Z")}

        output = read_stream("sends", _one_page_at_a_time().build(), SyncMode.incremental, state=state)

        assert record_ids(output) == [5]
        # The cursor ends at the highest value read before the kill: pages 1 and 2 are not read
        # again, and a change on them since the kill must not fall behind the cursor.
        assert latest_state(output) == {"updated_at": "2024-05-05T00:00:00.000Z"}

    @HttpMocker()
    def test_given_a_resumed_pass_reading_newer_records_then_the_cursor_stays(self, http_mocker: HttpMocker) -> None:
        """A resumed pass that reads newer records ends with the cursor where the kill left it."""
        _mock_pages(http_mocker, first=3)
        state = {"updated_at": LOWER_BOUND, "pass": _position(3, "2024-05-03T12:00:00.000Z")}

        output = read_stream("sends", _one_page_at_a_time().build(), SyncMode.incremental, state=state)

        # Send 5 (2024-05-04) is delivered now and again by the next sync: a send on pages 1-2
        # that changed on 2024-05-03T18:00, after they were read, is not skipped.
        assert record_ids(output) == [5]
        assert latest_state(output) == {"updated_at": "2024-05-03T12:00:00.000Z"}

    @HttpMocker()
    def test_given_a_killed_pass_whose_highest_has_an_offset_then_states_hold_it_in_utc(self, http_mocker: HttpMocker) -> None:
        """A killed pass whose highest record seen has a UTC offset: every state holds that instant in UTC."""
        _mock_pages(http_mocker, first=2)
        state = {"updated_at": LOWER_BOUND, "pass": _position(2, "2024-05-05T02:00:00+02:00")}

        output = read_stream("sends", _one_page_at_a_time().build(), SyncMode.incremental, state=state)

        assert _states_in_order(output) == [
            3,
            {"updated_at": LOWER_BOUND, "pass": _position(3, "2024-05-05T00:00:00.000Z")},
            5,
            {"updated_at": "2024-05-05T00:00:00.000Z"},
        ]

    @HttpMocker()
    def test_given_a_killed_pass_and_a_new_page_size_then_start_again_from_page_one(self, http_mocker: HttpMocker) -> None:
        """With a new page size, the saved page means other records: the pass starts again from the first page."""
        _mock_pages(http_mocker)
        state = {"updated_at": LOWER_BOUND, "pass": {**_position(2, "2024-05-03T00:00:00.000Z"), "per_page": 50}}

        output = read_stream("sends", _one_page_at_a_time().build(), SyncMode.incremental, state=state)

        assert sorted(record_ids(output)) == [1, 2, 3, 5]

    @HttpMocker()
    def test_given_a_killed_pass_and_a_new_filter_then_start_again_from_page_one(self, http_mocker: HttpMocker) -> None:
        """With a new filter, the saved page means other records: the pass starts again from the first page."""
        _mock_pages(http_mocker)
        state = {"updated_at": LOWER_BOUND, "pass": _position(2, "2024-05-03T00:00:00.000Z")}
        config = _one_page_at_a_time().with_stream_filter("sends", "status = 'Delivered'").build()

        output = read_stream("sends", config, SyncMode.incremental, state=state)

        assert sorted(record_ids(output)) == [1, 2, 3, 5]

    @HttpMocker()
    def test_given_a_pass_entry_that_is_not_a_position_then_config_error_naming_it(self, http_mocker: HttpMocker) -> None:
        # No request is mocked: the state is refused before anything is read.
        state = {"updated_at": LOWER_BOUND, "pass": {"next_page": "three", "per_page": 2}}

        output = read_stream("sends", _one_page_at_a_time().build(), SyncMode.incremental, state=state, expecting_exception=True)

        errors = errors_of_type(output, FailureType.config_error)
        assert errors and "'pass'" in errors[0].message and "sends" in errors[0].message
        assert record_ids(output) == []


class HubPageCheckpointTest(TestCase):
    WHERE = f"updated_at >= '{LOWER_BOUND}'"
    PAGES = [
        [group(1, "2024-05-03T00:00:00.000Z"), group(2, "2024-05-02T00:00:00.000Z")],
        [group(3, "2024-05-05T00:00:00.000Z"), group(4, "2024-05-04T00:00:00.000Z")],
    ]

    @HttpMocker()
    def test_given_two_pages_when_read_then_a_state_follows_every_page(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        http_mocker.get(hub_request("/groups", where=self.WHERE), hub_page(self.PAGES[0], "t2"))
        http_mocker.get(hub_request("/groups", next_page="t2", where=self.WHERE), hub_page(self.PAGES[1], "t3"))
        http_mocker.get(hub_request("/groups", next_page="t3", where=self.WHERE), hub_page([], "t4"))

        output = read_stream("groups", HubConfigBuilder().build(), SyncMode.incremental, state={"updated_at": LOWER_BOUND})

        assert _states_in_order(output) == [
            1,
            2,
            {"updated_at": LOWER_BOUND, "pass": _position(2, "2024-05-03T00:00:00.000Z", backend="cloud_elements")},
            3,
            4,
            {"updated_at": LOWER_BOUND, "pass": _position(3, "2024-05-05T00:00:00.000Z", backend="cloud_elements")},
            {"updated_at": "2024-05-05T00:00:00.000Z"},
        ]

    @HttpMocker()
    def test_given_a_hub_pass_killed_after_page_one_then_resume_at_page_two(self, http_mocker: HttpMocker) -> None:
        """On the hub, a pass killed after page one asks for page two and then follows its next-page token."""
        mock_only_named_objects(http_mocker)
        # The first page is not mocked: asking for it fails the test.
        http_mocker.get(hub_request("/groups", where=self.WHERE, page=2), hub_page(self.PAGES[1], "t3"))
        http_mocker.get(hub_request("/groups", next_page="t3", where=self.WHERE), hub_page([], "t4"))
        state = {"updated_at": LOWER_BOUND, "pass": _position(2, "2024-05-03T00:00:00.000Z", backend="cloud_elements")}

        output = read_stream("groups", HubConfigBuilder().build(), SyncMode.incremental, state=state)

        assert record_ids(output) == [3, 4]
        assert latest_state(output) == {"updated_at": "2024-05-03T00:00:00.000Z"}  # as read before the kill

    @HttpMocker()
    def test_given_a_direct_api_pass_when_read_on_the_hub_then_start_from_page_one(self, http_mocker: HttpMocker) -> None:
        """A pass killed on the direct API, read on the hub: the hub starts from its first page."""
        mock_only_named_objects(http_mocker)
        http_mocker.get(hub_request("/groups", where=self.WHERE), hub_page(self.PAGES[0], "t2"))
        http_mocker.get(hub_request("/groups", next_page="t2", where=self.WHERE), hub_page(self.PAGES[1], "t3"))
        http_mocker.get(hub_request("/groups", next_page="t3", where=self.WHERE), hub_page([], "t4"))
        # Same page size, other listing: page 2 of the direct API is not page 2 of the hub.
        state = {"updated_at": LOWER_BOUND, "pass": _position(2, "2024-05-03T00:00:00.000Z", backend="sendoso")}

        output = read_stream("groups", HubConfigBuilder().build(), SyncMode.incremental, state=state)

        assert record_ids(output) == [1, 2, 3, 4]

"""Incremental `groups` and `sends`: only records changed at or after the cursor, compared as
instants whatever their offset, and a state that is UTC."""

from datetime import datetime
from typing import Any, Dict, List
from unittest import TestCase

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import latest_state, read_stream, record_ids
from mock_server.records import group, send
from mock_server.requests import list_request, token_request
from mock_server.responses import page_response, token_response


def _mock_token(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(), token_response())


def _instant(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def _assert_utc_state(state: Dict[str, Any], expected_instant: str) -> None:
    value = state["updated_at"]
    assert value.endswith("Z"), f"state {value!r} is not written in UTC"
    assert _instant(value) == _instant(expected_instant)


# Four groups around 2024-05-01T12:00:00Z, two of them written with a -07:00 offset. Read as text,
# "2024-05-01T06:00:00.000-07:00" sorts before "2024-05-01T12:00..." although it is 13:00Z.
GROUPS = [
    group(1, updated_at="2024-05-01T04:00:00.000-07:00"),  # 11:00Z: before
    group(2, updated_at="2024-05-01T06:00:00.000-07:00"),  # 13:00Z: after
    group(3, updated_at="2024-05-01T12:00:00.000Z"),  # exactly at the cursor: kept
    group(4, updated_at="2024-05-01T11:59:59.999Z"),  # one millisecond before: dropped
]


def _sends() -> List[Dict[str, Any]]:
    return [
        # Created long before, delivered after the cursor (a -07:00 update at 13:00Z): kept.
        send(
            1, created_at="2024-04-01T09:00:00.000-07:00", updates=[{"status": "Delivered", "occurred_at": "2024-05-01T06:00:00.000-07:00"}]
        ),
        # Created before the cursor and never updated: dropped.
        send(2, created_at="2024-05-01T11:00:00.000Z"),
        # Created after the cursor, no status update yet: kept (created_at is its cursor).
        send(3, created_at="2024-05-01T12:30:00.000Z"),
        # Created after the cursor in -07:00 (05:10 local = 12:10Z), read as text it sorts first: kept.
        send(4, created_at="2024-05-01T05:10:00.000-07:00"),
    ]


class GroupsIncrementalTest(TestCase):
    @HttpMocker()
    def test_given_state_when_read_then_only_groups_updated_at_or_after_the_state_instant(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        output = read_stream("groups", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T12:00:00.000000Z"})

        assert sorted(record_ids(output)) == [2, 3]

    @HttpMocker()
    def test_given_state_when_read_then_state_message_holds_the_latest_cursor_in_utc(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        output = read_stream("groups", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T12:00:00.000000Z"})

        _assert_utc_state(latest_state(output), "2024-05-01T13:00:00Z")

    @HttpMocker()
    def test_given_start_date_and_no_state_when_read_then_only_groups_updated_since_start_date(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        output = read_stream("groups", ConfigBuilder().with_start_date("2024-05-01T12:00:00Z").build(), SyncMode.incremental)

        assert sorted(record_ids(output)) == [2, 3]
        _assert_utc_state(latest_state(output), "2024-05-01T13:00:00Z")

    @HttpMocker()
    def test_given_start_date_with_an_offset_when_read_then_compared_as_the_same_instant(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        # 05:00-07:00 is 12:00Z.
        output = read_stream("groups", ConfigBuilder().with_start_date("2024-05-01T05:00:00-07:00").build(), SyncMode.incremental)

        assert sorted(record_ids(output)) == [2, 3]

    @HttpMocker()
    def test_given_state_with_a_negative_offset_when_read_then_compared_as_the_same_instant(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        # 05:00-07:00 is 12:00Z: groups at 11:00Z and 11:59:59.999Z are older.
        output = read_stream("groups", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T05:00:00.000-07:00"})

        assert sorted(record_ids(output)) == [2, 3]

    @HttpMocker()
    def test_given_state_with_a_positive_offset_when_read_then_no_group_changed_after_it_is_missed(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        # 14:00+02:00 is 12:00Z; read as 14:00Z, the groups at 12:00Z and 13:00Z would be lost.
        output = read_stream("groups", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T14:00:00.000+02:00"})

        assert sorted(record_ids(output)) == [2, 3]

    @HttpMocker()
    def test_given_state_with_an_offset_and_nothing_newer_when_read_then_state_is_the_same_instant_in_utc(
        self, http_mocker: HttpMocker
    ) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", [group(1, updated_at="2024-05-01T04:00:00.000-07:00")]))

        output = read_stream("groups", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T14:00:00.000+02:00"})

        assert record_ids(output) == []
        _assert_utc_state(latest_state(output), "2024-05-01T12:00:00Z")

    @HttpMocker()
    def test_given_full_refresh_when_read_then_every_group_whatever_its_updated_at(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        output = read_stream("groups", ConfigBuilder().build(), SyncMode.full_refresh)

        assert record_ids(output) == [1, 2, 3, 4]


class SendsIncrementalTest(TestCase):
    @HttpMocker()
    def test_given_state_when_read_then_only_sends_whose_latest_change_is_at_or_after_the_state(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", _sends()))

        output = read_stream("sends", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T12:00:00.000000Z"})

        assert sorted(record_ids(output)) == [1, 3, 4]

    @HttpMocker()
    def test_given_state_when_read_then_state_message_holds_the_latest_derived_cursor_in_utc(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", _sends()))

        output = read_stream("sends", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T12:00:00.000000Z"})

        _assert_utc_state(latest_state(output), "2024-05-01T13:00:00Z")

    @HttpMocker()
    def test_given_start_date_and_no_state_when_read_then_only_sends_changed_since_start_date(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", _sends()))

        output = read_stream("sends", ConfigBuilder().with_start_date("2024-05-01T12:00:00Z").build(), SyncMode.incremental)

        assert sorted(record_ids(output)) == [1, 3, 4]
        _assert_utc_state(latest_state(output), "2024-05-01T13:00:00Z")

    @HttpMocker()
    def test_given_state_with_a_positive_offset_when_read_then_no_send_changed_after_it_is_missed(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", _sends()))

        output = read_stream("sends", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T14:00:00.000+02:00"})

        assert sorted(record_ids(output)) == [1, 3, 4]

    @HttpMocker()
    def test_given_sends_on_two_pages_and_state_when_read_then_matching_sends_of_both_pages(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        old, new = send(1, created_at="2024-01-01T00:00:00.000Z"), send(2, created_at="2024-06-01T00:00:00.000Z")
        http_mocker.get(list_request("/send", per_page=1), page_response("/send", [new], per_page=1, total=2))
        http_mocker.get(list_request("/send", page=2, per_page=1), page_response("/send", [old], page=2, per_page=1, total=2))
        http_mocker.get(list_request("/send", page=3, per_page=1), page_response("/send", [], page=3, per_page=1, total=2))

        output = read_stream(
            "sends", ConfigBuilder().with_per_page(1).build(), SyncMode.incremental, state={"updated_at": "2024-05-01T00:00:00.000000Z"}
        )

        # Sendoso documents no order and no date filter: every page is read, the old send is dropped.
        assert record_ids(output) == [2]
        _assert_utc_state(latest_state(output), "2024-06-01T00:00:00Z")

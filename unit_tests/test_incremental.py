"""Incremental `groups` and `sends`: only records changed at or after the cursor, compared as
instants whatever their offset, and a state that is UTC."""

from datetime import datetime
from typing import Any, Dict, List
from unittest import TestCase

import pytest

from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import errors_of_type, latest_state, read_stream, record_ids
from mock_server.records import group, send
from mock_server.requests import list_request, token_request
from mock_server.responses import page_response, token_response
from source_sendoso.components import CursorStateInUtc


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
    def test_given_state_when_read_then_only_groups_updated_at_or_after_it(self, http_mocker: HttpMocker) -> None:
        """Only the groups updated at or after the state's instant."""
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
    def test_given_start_date_and_no_state_then_only_groups_updated_since_start_date(self, http_mocker: HttpMocker) -> None:
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
    def test_given_state_with_a_negative_offset_then_compared_as_the_same_instant(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        # 05:00-07:00 is 12:00Z: groups at 11:00Z and 11:59:59.999Z are older.
        output = read_stream("groups", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T05:00:00.000-07:00"})

        assert sorted(record_ids(output)) == [2, 3]

    @HttpMocker()
    def test_given_state_with_a_positive_offset_then_no_group_changed_after_it_missed(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        # 14:00+02:00 is 12:00Z; read as 14:00Z, the groups at 12:00Z and 13:00Z would be lost.
        output = read_stream("groups", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T14:00:00.000+02:00"})

        assert sorted(record_ids(output)) == [2, 3]

    @HttpMocker()
    def test_given_state_with_an_offset_and_nothing_newer_then_same_instant_in_utc(self, http_mocker: HttpMocker) -> None:
        """A state with an offset and nothing newer: the state written is the same instant, in UTC."""
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
    def test_given_state_when_read_then_only_sends_changed_at_or_after_it(self, http_mocker: HttpMocker) -> None:
        """Only the sends whose latest change is at or after the state."""
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", _sends()))

        output = read_stream("sends", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T12:00:00.000000Z"})

        assert sorted(record_ids(output)) == [1, 3, 4]

    @HttpMocker()
    def test_given_state_when_read_then_the_state_holds_the_latest_derived_cursor(self, http_mocker: HttpMocker) -> None:
        """The state message holds the latest derived cursor of the sends read, in UTC."""
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", _sends()))

        output = read_stream("sends", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T12:00:00.000000Z"})

        _assert_utc_state(latest_state(output), "2024-05-01T13:00:00Z")

    @HttpMocker()
    def test_given_start_date_and_no_state_then_only_sends_changed_since_start_date(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", _sends()))

        output = read_stream("sends", ConfigBuilder().with_start_date("2024-05-01T12:00:00Z").build(), SyncMode.incremental)

        assert sorted(record_ids(output)) == [1, 3, 4]
        _assert_utc_state(latest_state(output), "2024-05-01T13:00:00Z")

    @HttpMocker()
    def test_given_state_with_a_positive_offset_then_no_send_changed_after_it_missed(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", _sends()))

        output = read_stream("sends", ConfigBuilder().build(), SyncMode.incremental, state={"updated_at": "2024-05-01T14:00:00.000+02:00"})

        assert sorted(record_ids(output)) == [1, 3, 4]

    @HttpMocker()
    def test_given_sends_on_two_pages_and_state_then_matching_sends_of_both_pages(self, http_mocker: HttpMocker) -> None:
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


# -- the one form states are written in ---------------------------------------------------------


def _read_groups_from_state(state_value: str, groups: List[Dict[str, Any]], expecting_exception: bool = False) -> Any:
    with HttpMocker() as http_mocker:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", groups))
        state = {"updated_at": state_value}
        return read_stream("groups", ConfigBuilder().build(), SyncMode.incremental, state=state, expecting_exception=expecting_exception)


def test_given_a_newer_group_when_read_then_the_state_is_utc_with_milliseconds() -> None:
    output = _read_groups_from_state("2024-05-01T12:00:00.000Z", [group(1, updated_at="2024-06-01T00:00:00.5-07:00")])

    assert latest_state(output) == {"updated_at": "2024-06-01T07:00:00.500Z"}


@pytest.mark.parametrize("written", ["2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05.678Z", "1970-01-01T00:00:00.000Z"])
def test_given_its_own_state_and_nothing_newer_then_it_is_written_back_unchanged(written: str) -> None:
    """A state the connector wrote, and nothing newer: the state is written back unchanged."""
    output = _read_groups_from_state(written, [group(1, updated_at="1969-12-31T23:59:59.999Z")])

    assert record_ids(output) == []
    assert [message.state.stream.stream_state.updated_at for message in output.state_messages] == [written, written]


@pytest.mark.parametrize("written", ["2024-01-02T03:04:05.000Z", "2024-01-02T03:04:05.678Z"])
def test_a_state_the_connector_wrote_is_not_migrated(written: str) -> None:
    # The cursor would write it back the same either way; the migration must not rewrite it first.
    migration = CursorStateInUtc(parameters={"name": "groups", "cursor_field": "updated_at"}, config={})

    assert migration.should_migrate({"updated_at": written}) is False


@pytest.mark.parametrize(
    "older, in_the_one_form",
    [
        ("2024-01-02T03:04:05.678000Z", "2024-01-02T03:04:05.678Z"),  # what the previous version's migration wrote
        ("2024-01-02T03:04:05.678912Z", "2024-01-02T03:04:05.678Z"),
        ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05.000Z"),
        ("2024-01-02T05:04:05.000+02:00", "2024-01-02T03:04:05.000Z"),
        ("2024-01-01T20:04:05-0700", "2024-01-02T03:04:05.000Z"),
        ("2024-01-02 03:04:05", "2024-01-02T03:04:05.000Z"),
        ("2024-01-02", "2024-01-02T00:00:00.000Z"),
    ],
)
def test_given_a_state_in_an_older_form_then_it_is_written_in_the_one_form(older: str, in_the_one_form: str) -> None:
    """A state in an older form is written back as the same instant, in the one form."""
    output = _read_groups_from_state(older, [group(1, updated_at="1969-12-31T23:59:59.999Z")])

    assert record_ids(output) == []
    assert latest_state(output) == {"updated_at": in_the_one_form}


@pytest.mark.parametrize("not_a_date_form", ["yesterday", "1714564800", "2024/05/01 12:00:00", "2024-02-30T00:00:00.000Z"])
def test_given_a_state_in_no_date_form_then_config_error_naming_the_form_to_use(not_a_date_form: str) -> None:
    output = _read_groups_from_state(not_a_date_form, [], expecting_exception=True)

    (error,) = errors_of_type(output, FailureType.config_error)
    assert f"has updated_at = '{not_a_date_form}', which is not a timestamp" in error.message
    assert "such as 2025-01-01T00:00:00.000Z" in error.message

"""`stream_filters`: CEQL conditions the user sets per stream, evaluated on every record."""

from typing import Any, Dict, List
from unittest import TestCase

from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import errors_of_type, read_stream, record_ids
from mock_server.records import send, touch, user
from mock_server.requests import list_request, token_request
from mock_server.responses import page_response, token_response


def _mock_token(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(), token_response())


def _send(send_id: int, status: str, sender_email: str = "ada@example.com", created_at: str = "2024-05-01T12:00:00.000Z") -> Dict[str, Any]:
    record = send(send_id, created_at=created_at)
    record["status"] = status
    record["sender"] = {**record["sender"], "email": sender_email}
    return record


def _touch(touch_id: int, countries: List[str]) -> Dict[str, Any]:
    return {**touch(touch_id), "ship_to_countries": countries}


SENDS = [
    _send(1, "Delivered", "ada@example.com"),
    _send(2, "Processing", "grace@example.com"),
    _send(3, "Delivered", "grace@example.com"),
    _send(4, "Delivered and Credited", "ada@example.com"),
    _send(5, "delivered", "ada@example.com"),
]


class StreamFilterTest(TestCase):
    @HttpMocker()
    def test_given_status_filter_when_read_sends_then_exactly_the_matching_sends(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", SENDS))

        output = read_stream("sends", ConfigBuilder().with_stream_filter("sends", "status = 'Delivered'").build())

        assert record_ids(output) == [1, 3]

    @HttpMocker()
    def test_given_filter_on_a_nested_field_when_read_then_only_sends_of_that_sender(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", SENDS))

        output = read_stream("sends", ConfigBuilder().with_stream_filter("sends", "sender.email = 'grace@example.com'").build())

        assert record_ids(output) == [2, 3]

    @HttpMocker()
    def test_given_filter_combining_and_or_when_read_then_the_condition_holds(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", SENDS))

        config = ConfigBuilder().with_stream_filter(
            "sends", "sender.email = 'ada@example.com' AND (status = 'Delivered' OR status LIKE '%Credited')"
        )
        output = read_stream("sends", config.build())

        assert record_ids(output) == [1, 4]

    @HttpMocker()
    def test_given_two_filters_for_one_stream_when_read_then_both_must_hold(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", SENDS))

        config = (
            ConfigBuilder()
            .with_stream_filter("sends", "status = 'Delivered'")
            .with_stream_filter("sends", "sender.email = 'ada@example.com'")
        )
        output = read_stream("sends", config.build())

        assert record_ids(output) == [1]

    @HttpMocker()
    def test_given_filter_on_a_list_field_when_read_then_touches_shipping_there(self, http_mocker: HttpMocker) -> None:
        """A filter on a list field of `touches`: only the touches that ship to that country."""
        _mock_token(http_mocker)
        touches = [_touch(1, ["US", "CA"]), _touch(2, ["US"]), _touch(3, ["CA"]), _touch(4, [])]
        http_mocker.get(list_request("/touches"), page_response("/touches", touches))

        output = read_stream("touches", ConfigBuilder().with_stream_filter("touches", "ship_to_countries = 'CA'").build())

        assert record_ids(output) == [1, 3]

    @HttpMocker()
    def test_given_filter_for_another_stream_when_read_then_this_stream_is_not_filtered(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/users"), page_response("/users", [user(1), user(2)]))

        output = read_stream("users", ConfigBuilder().with_stream_filter("sends", "status = 'Delivered'").build())

        assert record_ids(output) == [1, 2]

    @HttpMocker()
    def test_given_filter_and_state_when_read_incrementally_then_both_apply(self, http_mocker: HttpMocker) -> None:
        """A filter and a state on `sends`, read incrementally: both the filter and the cursor apply."""
        _mock_token(http_mocker)
        sends = [
            _send(1, "Delivered", created_at="2024-05-02T00:00:00.000Z"),
            _send(2, "Delivered", created_at="2024-04-01T00:00:00.000Z"),
            _send(3, "Processing", created_at="2024-05-02T00:00:00.000Z"),
        ]
        http_mocker.get(list_request("/send"), page_response("/send", sends))

        output = read_stream(
            "sends",
            ConfigBuilder().with_stream_filter("sends", "status = 'Delivered'").build(),
            SyncMode.incremental,
            state={"updated_at": "2024-05-01T00:00:00.000000Z"},
        )

        assert record_ids(output) == [1]


class InvalidStreamFilterTest(TestCase):
    def _read_expecting_config_error(self, stream: str, where: str, read_stream_name: str = "sends") -> str:
        # No HTTP is mocked: a bad filter must stop the sync before any request is sent.
        with HttpMocker():
            output = read_stream(read_stream_name, ConfigBuilder().with_stream_filter(stream, where).build(), expecting_exception=True)
        assert record_ids(output) == []
        config_errors = errors_of_type(output, FailureType.config_error)
        assert config_errors, f"expected a config_error, got {[m.trace.error for m in output.errors]}"
        return config_errors[0].message

    def test_given_filter_that_does_not_parse_then_config_error_quoting_the_column(self) -> None:
        """A filter that does not parse is a config error quoting the clause and the column where it stops."""
        message = self._read_expecting_config_error("sends", "status = 'Delivered' AND created_at >=")

        assert "status = 'Delivered' AND created_at >=" in message
        assert "column 39" in message
        assert "sends" in message

    def test_given_an_unclosed_string_when_read_then_config_error_pointing_at_the_quote(self) -> None:
        message = self._read_expecting_config_error("sends", "status = 'Delivered")

        assert "status = 'Delivered" in message
        assert "column 10" in message

    def test_given_filter_for_an_unknown_stream_then_config_error_quoting_the_clause(self) -> None:
        message = self._read_expecting_config_error("shipments", "status = 'Delivered'")

        assert "shipments" in message
        assert "status = 'Delivered'" in message

    def test_given_filter_for_a_hub_only_stream_then_config_error_listing_the_streams(self) -> None:
        """A filter naming a stream only the hub has, on the direct API: the config error lists this backend's streams."""
        message = self._read_expecting_config_error("return_addresses", "city = 'Austin'", read_stream_name="users")

        assert "names the stream 'return_addresses', which does not exist" in message
        assert "sends" in message and "return_addresses," not in message

    def test_given_filter_on_an_unknown_field_then_config_error_quoting_the_clause(self) -> None:
        message = self._read_expecting_config_error("sends", "state = 'Delivered'")

        assert "'state'" in message
        assert "state = 'Delivered'" in message

    def test_given_filter_on_an_unknown_nested_field_then_config_error_naming_the_path(self) -> None:
        message = self._read_expecting_config_error("sends", "sender.phone = '555'")

        assert "sender.phone" in message
        assert "sender.phone = '555'" in message

    def test_given_bad_filter_for_another_stream_when_read_then_config_error_all_same(self) -> None:
        """A bad filter for a stream that is not read still fails the read as a config error."""
        message = self._read_expecting_config_error("touches", "ship_to_countries = ", read_stream_name="users")

        assert "touches" in message
        assert "ship_to_countries = " in message

"""How the connector answers Sendoso's errors: retried, skipped, or failed with a message a user can act on."""

from unittest import TestCase

from airbyte_cdk.models import AirbyteStreamStatus, FailureType
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import errors_of_type, read_stream, record_ids
from mock_server.records import product, user
from mock_server.requests import list_request, products_request, token_request
from mock_server.responses import error_response, json_response, page_response, products_response, token_response


def _mock_token(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(), token_response())


class RetryTest(TestCase):
    def _assert_retried_then_read(self, http_mocker: HttpMocker, failure) -> None:
        _mock_token(http_mocker)
        users = list_request("/users")
        http_mocker.get(users, [failure, page_response("/users", [user(1), user(2)])])

        output = read_stream("users", ConfigBuilder().build())

        http_mocker.assert_number_of_calls(users, 2)
        assert record_ids(output) == [1, 2]
        assert not output.errors

    @HttpMocker()
    def test_given_429_then_success_when_read_then_retried_and_records_returned(self, http_mocker: HttpMocker) -> None:
        self._assert_retried_then_read(http_mocker, error_response(429, "Too many requests"))

    @HttpMocker()
    def test_given_429_with_reset_header_when_read_products_then_retried(self, http_mocker: HttpMocker) -> None:
        """A 429 with `X-Rate-Limit-Reset` on marketplace products, then a success: the request is retried."""
        _mock_token(http_mocker)
        products = products_request()
        throttled = json_response({"message": "Rate limit exceeded"}, 429, {"X-Rate-Limit-Reset": "1"})
        http_mocker.get(products, [throttled, products_response([product(1)])])

        output = read_stream("marketplace_products", ConfigBuilder().build())

        http_mocker.assert_number_of_calls(products, 2)
        assert record_ids(output) == ["1"]

    @HttpMocker()
    def test_given_500_then_success_when_read_then_retried_and_records_returned(self, http_mocker: HttpMocker) -> None:
        self._assert_retried_then_read(http_mocker, error_response(500, "Internal Server Error"))

    @HttpMocker()
    def test_given_502_then_success_when_read_then_retried_and_records_returned(self, http_mocker: HttpMocker) -> None:
        self._assert_retried_then_read(http_mocker, error_response(502, "Bad Gateway"))

    @HttpMocker()
    def test_given_503_then_success_when_read_then_retried_and_records_returned(self, http_mocker: HttpMocker) -> None:
        self._assert_retried_then_read(http_mocker, error_response(503, "Service Unavailable"))

    @HttpMocker()
    def test_given_a_server_error_on_page_two_then_no_record_lost_or_repeated(self, http_mocker: HttpMocker) -> None:
        """A server error on page two, then a success: no record is lost or read twice."""
        _mock_token(http_mocker)
        http_mocker.get(list_request("/users", per_page=2), page_response("/users", [user(1), user(2)], per_page=2, total=3))
        http_mocker.get(
            list_request("/users", page=2, per_page=2),
            [error_response(503, "Service Unavailable"), page_response("/users", [user(3)], page=2, per_page=2, total=3)],
        )

        output = read_stream("users", ConfigBuilder().with_per_page(2).build())

        assert record_ids(output) == [1, 2, 3]

    @HttpMocker()
    def test_given_a_persistent_server_error_then_transient_error_after_bounded_retries(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        users = list_request("/users")
        http_mocker.get(users, error_response(500, "Internal Server Error"))

        output = read_stream("users", ConfigBuilder().build(), expecting_exception=True)

        # One attempt and max_retries (8) retries, then the sync gives up.
        http_mocker.assert_number_of_calls(users, 9)
        assert errors_of_type(output, FailureType.transient_error)


class UnauthorizedTest(TestCase):
    @HttpMocker()
    def test_given_401_even_after_refresh_then_config_error_not_endless_refreshes(self, http_mocker: HttpMocker) -> None:
        """A 401 even after a refresh is a config error; the connector does not refresh forever."""
        refresh = token_request()
        http_mocker.post(refresh, token_response())
        http_mocker.get(list_request("/users"), error_response(401, "The access token is invalid"))

        output = read_stream("users", ConfigBuilder().build(), expecting_exception=True)

        http_mocker.assert_number_of_calls(refresh, 2)
        assert errors_of_type(output, FailureType.config_error)
        assert record_ids(output) == []


class ForbiddenTest(TestCase):
    @HttpMocker()
    def test_given_403_on_marketplace_products_then_stream_skipped_and_sync_succeeds(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(products_request(), error_response(403, "The access token does not have the marketplace scope"))

        output = read_stream("marketplace_products", ConfigBuilder().build())

        assert record_ids(output) == []
        assert not output.errors
        assert output.get_stream_statuses("marketplace_products")[-1] == AirbyteStreamStatus.COMPLETE

    @HttpMocker()
    def test_given_403_on_marketplace_products_then_the_log_names_the_missing_scope(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(products_request(), error_response(403, "The access token does not have the marketplace scope"))

        output = read_stream("marketplace_products", ConfigBuilder().build())

        assert output.is_in_logs("Skipping marketplace_products.*`marketplace` scope")

    @HttpMocker()
    def test_given_403_on_users_when_read_then_config_error_naming_the_public_scope(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/users"), error_response(403, "Forbidden"))

        output = read_stream("users", ConfigBuilder().build(), expecting_exception=True)

        assert record_ids(output) == []
        config_errors = errors_of_type(output, FailureType.config_error)
        assert any("403" in error.message and "`public` scope" in error.message for error in config_errors), [
            e.message for e in config_errors
        ]

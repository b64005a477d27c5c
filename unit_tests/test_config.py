"""Config validation: values outside the spec fail the sync as a config error, before any request."""

from unittest import TestCase

from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import check_connection, errors_of_type, read_stream, record_ids
from mock_server.records import user
from mock_server.requests import SendosoRequestBuilder, token_request
from mock_server.responses import page_response, token_response
from source_sendoso import SourceSendoso
from source_sendoso.pages import max_concurrent_requests


def _read_users_expecting_config_error(config) -> str:
    # Nothing is mocked: an invalid config must fail before any request is sent.
    with HttpMocker():
        output = read_stream("users", config, expecting_exception=True)
    assert record_ids(output) == []
    config_errors = errors_of_type(output, FailureType.config_error)
    assert config_errors, f"expected a config_error, got {[m.trace.error for m in output.errors]}"
    return config_errors[0].message


class PerPageTest(TestCase):
    def test_given_per_page_0_when_read_then_config_error_stating_the_minimum(self) -> None:
        message = _read_users_expecting_config_error(ConfigBuilder().with_per_page(0).build())

        assert "Config validation error" in message
        assert "minimum of 1" in message

    def test_given_per_page_101_when_read_then_config_error_stating_the_maximum(self) -> None:
        message = _read_users_expecting_config_error(ConfigBuilder().with_per_page(101).build())

        assert "Config validation error" in message
        assert "maximum of 100" in message

    def test_given_per_page_0_when_check_then_connection_fails_before_any_request(self) -> None:
        with HttpMocker():
            output = check_connection(ConfigBuilder().with_per_page(0).build(), expecting_exception=True)

        (status,) = [message.connectionStatus for message in output.connection_status_messages]
        assert status.status == Status.FAILED
        assert "minimum of 1" in status.message

    @HttpMocker()
    def test_given_per_page_1_when_read_then_pages_of_one_record(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            SendosoRequestBuilder.endpoint("/users").with_per_page(1).build(), page_response("/users", [user(1)], per_page=1, total=1)
        )
        http_mocker.get(
            SendosoRequestBuilder.endpoint("/users").with_per_page(1).with_page(2).build(),
            page_response("/users", [], page=2, per_page=1, total=1),
        )

        output = read_stream("users", ConfigBuilder().with_per_page(1).build())

        assert record_ids(output) == [1]


class ApiUrlTest(TestCase):
    def test_given_plain_http_api_url_on_a_public_host_when_read_then_config_error(self) -> None:
        message = _read_users_expecting_config_error(ConfigBuilder().with_backend(api_url="http://example.com/api/v3").build())

        assert "http://example.com/api/v3" in message

    def test_given_plain_http_token_url_on_a_public_host_when_read_then_config_error(self) -> None:
        # The refresh token and client secret would travel in clear text: refused before any request.
        _read_users_expecting_config_error(ConfigBuilder().with_backend(token_url="http://example.com/oauth/token").build())

    @HttpMocker()
    def test_given_http_api_url_on_the_loopback_host_when_read_then_requests_go_there(self, http_mocker: HttpMocker) -> None:
        sandbox = "http://127.0.0.1:8000/api/v3"
        sandbox_token_url = "http://127.0.0.1:8000/oauth/token"
        http_mocker.post(token_request(url=sandbox_token_url), token_response())
        http_mocker.get(
            SendosoRequestBuilder.endpoint("/users").with_base_url(sandbox).with_per_page(100).build(), page_response("/users", [user(1)])
        )

        output = read_stream("users", ConfigBuilder().with_backend(api_url=sandbox, token_url=sandbox_token_url).build())

        assert record_ids(output) == [1]
        assert not output.errors

    @HttpMocker()
    def test_given_https_staging_api_url_when_read_then_requests_go_there(self, http_mocker: HttpMocker) -> None:
        staging = "https://app.staging.sendo.so/api/v3"
        http_mocker.post(token_request(), token_response())
        http_mocker.get(
            SendosoRequestBuilder.endpoint("/users").with_base_url(staging).with_per_page(100).build(), page_response("/users", [user(1)])
        )

        output = read_stream("users", ConfigBuilder().with_backend(api_url=staging).build())

        assert record_ids(output) == [1]


class StartDateTest(TestCase):
    def test_given_start_date_that_is_not_a_timestamp_when_read_then_config_error(self) -> None:
        message = _read_users_expecting_config_error(ConfigBuilder().with_start_date("last tuesday").build())

        assert "last tuesday" in message


class MaxConcurrentRequestsTest(TestCase):
    def test_given_max_concurrent_requests_0_then_config_error_stating_the_minimum(self) -> None:
        message = _read_users_expecting_config_error(ConfigBuilder().with_max_concurrent_requests(0).build())

        assert "Config validation error" in message and "minimum of 1" in message

    def test_given_max_concurrent_requests_17_then_config_error_stating_the_maximum(self) -> None:
        message = _read_users_expecting_config_error(ConfigBuilder().with_max_concurrent_requests(17).build())

        assert "Config validation error" in message and "maximum of 16" in message

    def test_given_max_concurrent_requests_as_text_then_config_error_stating_the_type(self) -> None:
        message = _read_users_expecting_config_error(ConfigBuilder().with_field("max_concurrent_requests", "many").build())

        assert "'many' is not of type 'integer'" in message

    def test_given_no_max_concurrent_requests_then_the_spec_default_is_used(self) -> None:
        """Without `max_concurrent_requests`, a read uses the default the spec shows."""
        shown = SourceSendoso.connection_specification()["properties"]["max_concurrent_requests"]["default"]

        assert max_concurrent_requests(ConfigBuilder().build()) == shown

"""OAuth 2.0 against Sendoso's token endpoint: refresh, rotation, revoked grants."""

import threading
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import TestCase

import backoff
import pytest
import requests

from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.mock_http import HttpMocker, HttpResponse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from mock_server.config import REFRESH_TOKEN, ConfigBuilder
from mock_server.read import check_connection, control_configs, errors_of_type, read_stream, record_ids
from mock_server.records import user
from mock_server.requests import SendosoRequestBuilder, token_request
from mock_server.responses import error_response, json_response, page_response, token_error_response, token_response
from source_sendoso.oauth import bound_token_refresh


def _users_request(access_token: str):
    return SendosoRequestBuilder.endpoint("/users").with_per_page(100).with_access_token(access_token).build()


class TokenRefreshTest(TestCase):
    @HttpMocker()
    def test_given_401_when_read_then_refresh_and_retry_with_the_new_token(self, http_mocker: HttpMocker) -> None:
        """An access token rejected with 401 is refreshed again, and the request retried with the new token."""
        refresh = token_request()
        http_mocker.post(refresh, [token_response("first-token"), token_response("second-token")])
        http_mocker.get(_users_request("first-token"), error_response(401, "The access token is invalid"))
        http_mocker.get(_users_request("second-token"), page_response("/users", [user(1)]))

        output = read_stream("users", ConfigBuilder().build())

        http_mocker.assert_number_of_calls(refresh, 2)
        assert record_ids(output) == [1]
        assert not output.errors

    @HttpMocker()
    def test_given_a_stored_token_not_expired_when_read_then_it_is_sent_unrefreshed(self, http_mocker: HttpMocker) -> None:
        """A stored access token that has not expired yet is sent as it is: no refresh."""
        expiry = (datetime.now(timezone.utc) + timedelta(hours=1)).isoformat()
        http_mocker.get(_users_request("stored-token"), page_response("/users", [user(1)]))

        # No token request is mocked: a refresh would fail the read.
        output = read_stream("users", ConfigBuilder().with_backend(access_token="stored-token", token_expiry_date=expiry).build())

        assert record_ids(output) == [1]

    @HttpMocker()
    def test_given_a_stored_access_token_already_expired_when_read_then_refresh_first(self, http_mocker: HttpMocker) -> None:
        expiry = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat()
        refresh = token_request()
        http_mocker.post(refresh, token_response("fresh-token"))
        http_mocker.get(_users_request("fresh-token"), page_response("/users", [user(1)]))

        output = read_stream("users", ConfigBuilder().with_backend(access_token="stale-token", token_expiry_date=expiry).build())

        http_mocker.assert_number_of_calls(refresh, 1)
        assert record_ids(output) == [1]


class RefreshTokenRotationTest(TestCase):
    @HttpMocker()
    def test_given_a_rotated_refresh_token_when_read_then_a_control_message_carries_it(self, http_mocker: HttpMocker) -> None:
        """When the token endpoint rotates the refresh token, a CONTROL message hands the new one to the platform."""
        http_mocker.post(token_request(), token_response("fresh-token", refresh_token="rotated-refresh-token"))
        http_mocker.get(_users_request("fresh-token"), page_response("/users", [user(1)]))

        output = read_stream("users", ConfigBuilder().build())

        configs = control_configs(output)
        assert configs, "no CONNECTOR_CONFIG control message was emitted"
        assert configs[-1]["backend"]["refresh_token"] == "rotated-refresh-token"
        assert configs[-1]["backend"]["access_token"] == "fresh-token"
        assert record_ids(output) == [1]

    @HttpMocker()
    def test_given_no_rotation_when_read_then_the_stored_refresh_token_is_kept(self, http_mocker: HttpMocker) -> None:
        """When the token endpoint does not rotate the refresh token, the stored one is kept."""
        http_mocker.post(token_request(), token_response("fresh-token"))
        http_mocker.get(_users_request("fresh-token"), page_response("/users", [user(1)]))

        output = read_stream("users", ConfigBuilder().build())

        configs = control_configs(output)
        assert configs, "the refreshed access token was not persisted"
        assert all(config["backend"]["refresh_token"] == REFRESH_TOKEN for config in configs)
        assert configs[-1]["backend"]["access_token"] == "fresh-token"

    @HttpMocker()
    def test_given_rotation_then_401_when_read_then_the_rotated_token_is_sent(self, http_mocker: HttpMocker) -> None:
        """After a rotation and a 401, the second refresh sends the rotated refresh token."""
        http_mocker.post(token_request(), token_response("first-token", refresh_token="rotated-refresh-token"))
        second_refresh = token_request(refresh_token="rotated-refresh-token")
        http_mocker.post(second_refresh, token_response("second-token"))
        http_mocker.get(_users_request("first-token"), error_response(401, "The access token is invalid"))
        http_mocker.get(_users_request("second-token"), page_response("/users", [user(1)]))

        output = read_stream("users", ConfigBuilder().build())

        http_mocker.assert_number_of_calls(second_refresh, 1)
        assert record_ids(output) == [1]
        assert control_configs(output)[-1]["backend"]["refresh_token"] == "rotated-refresh-token"


class RevokedGrantTest(TestCase):
    @HttpMocker()
    def test_given_invalid_grant_when_read_then_config_error_asking_to_reauthenticate(self, http_mocker: HttpMocker) -> None:
        """The token endpoint's invalid_grant is a config error that tells the user to re-authenticate."""
        http_mocker.post(token_request(), token_error_response("invalid_grant", 400))

        output = read_stream("users", ConfigBuilder().build(), expecting_exception=True)

        assert record_ids(output) == []
        config_errors = errors_of_type(output, FailureType.config_error)
        assert config_errors, f"expected a config_error, got {[e.trace.error for e in output.errors]}"
        message = config_errors[0].message.lower()
        assert "refresh token" in message or "re-authenticate" in message or "reauthenticate" in message


API_KEY = "API Key (OAuth client id)"
API_SECRET = "API Secret (OAuth client secret)"
REFRESH = "Refresh Token"

# Each answer of the token endpoint: (error, status, description), what the message must say,
# and what it must not (the credential a user would otherwise go and fix for nothing).
OAUTH_ERRORS = [
    ("invalid_client", 401, "Client authentication failed due to unknown client.", [API_KEY, API_SECRET], [REFRESH]),
    ("unauthorized_client", 401, "The client is not authorized.", [API_KEY, "refresh_token grant"], [REFRESH, API_SECRET]),
    ("invalid_grant", 400, "The provided authorization grant is invalid.", [REFRESH, "Re-authenticate", "expired"], [API_KEY, API_SECRET]),
    ("invalid_scope", 400, "The requested scope is invalid, unknown, or malformed.", ["`public` scope", "scope is invalid"], [API_SECRET]),
    ("insufficient_scope", 403, 'Access to this resource requires scope "public".', ["`public` scope", "requires scope"], [API_SECRET]),
    ("invalid_request", 400, "Missing required parameter: refresh_token.", [f"lacks the {REFRESH}"], [API_KEY, API_SECRET]),
    ("invalid_request", 400, "Missing required parameter: client_secret.", [f"lacks the {API_SECRET}"], [REFRESH]),
    ("invalid_request", 400, "The request is malformed.", ["is malformed", "backend.token_url"], [REFRESH, API_SECRET]),
    (
        "unsupported_grant_type",
        400,
        "The grant type is not supported.",
        ["HTTP 400", "unsupported_grant_type: The grant type is not supported"],
        [REFRESH],
    ),
]


def _check_message(http_mocker: HttpMocker, answer) -> str:
    refresh = token_request()
    http_mocker.post(refresh, answer)

    output = check_connection(ConfigBuilder().build(), expecting_exception=True)

    http_mocker.assert_number_of_calls(refresh, 1)  # a refusal is not retried
    (status,) = [message.connectionStatus for message in output.connection_status_messages]
    assert status.status == Status.FAILED
    return status.message


@pytest.mark.parametrize("error, status, description, says, does_not_say", OAUTH_ERRORS, ids=[f"{e[0]}-{e[2][:24]}" for e in OAUTH_ERRORS])
def test_given_an_oauth_error_when_check_then_failed_naming_the_credential(
    error: str, status: int, description: str, says, does_not_say
) -> None:
    """Each OAuth error of the token endpoint fails check naming the credential it is about, and not the others."""
    with HttpMocker() as http_mocker:
        message = _check_message(http_mocker, token_error_response(error, status, description))

    for words in says:
        assert words in message, message
    for words in does_not_say:
        assert words not in message, message


class TokenEndpointAnswerWithoutOAuthErrorTest(TestCase):
    @HttpMocker()
    def test_given_json_without_error_code_when_check_then_status_and_message_quoted(self, http_mocker: HttpMocker) -> None:
        """A JSON answer without an OAuth error code fails check quoting its status and message."""
        message = _check_message(http_mocker, json_response({"message": "No route matches /oauth/tokn"}, 404))

        assert "HTTP 404" in message and "No route matches /oauth/tokn" in message
        assert "backend.token_url" in message

    @HttpMocker()
    def test_given_an_html_page_when_check_then_failed_with_the_status_only(self, http_mocker: HttpMocker) -> None:
        """An HTML page from the token endpoint fails check with its status and none of the page."""
        page = "<html><body>" + "<p>Page not found</p>" * 200 + "</body></html>"
        message = _check_message(http_mocker, HttpResponse(page, 404))

        assert "HTTP 404" in message and "not an OAuth error" in message
        assert "<html>" not in message

    @HttpMocker()
    def test_given_a_very_long_description_when_check_then_it_is_quoted_cut_short(self, http_mocker: HttpMocker) -> None:
        description = "The server says: " + "very " * 400 + "long."
        message = _check_message(http_mocker, token_error_response("temporarily_unavailable", 400, description))

        assert "The server says: very very" in message and "..." in message
        assert "long." not in message
        assert len(message) < 600


class _TokenEndpointThatRefusesTheGrant:
    """An authenticator whose token request, like the CDK's, is a `backoff` wrapper, and whose
    refresh token the endpoint refuses."""

    attempts = 0

    def get_token_refresh_endpoint(self) -> str:
        return "https://app.sendoso.com/oauth/token"

    def get_refresh_token(self) -> str:
        return "revoked-refresh-token"

    @backoff.on_exception(backoff.expo, requests.exceptions.RequestException, max_tries=1)
    def _make_handled_request(self) -> Any:
        type(self).attempts += 1
        raise AirbyteTracedException(message="Refresh token was rejected.", failure_type=FailureType.config_error)


class RefusedGrantTest(TestCase):
    def test_given_a_refused_refresh_token_then_other_threads_do_not_send_it_again(self) -> None:
        """Once the refresh token is refused, other threads that need a token do not send it again."""
        # The threads reading a stream's pages at once share its authenticator: each of them
        # answered 401 asks it for a new token.
        bound_token_refresh(_TokenEndpointThatRefusesTheGrant)
        authenticator = _TokenEndpointThatRefusesTheGrant()
        failures = []
        for _ in range(3):
            with self.assertRaises(AirbyteTracedException) as raised:
                authenticator._make_handled_request()
            failures.append(raised.exception)

        assert _TokenEndpointThatRefusesTheGrant.attempts == 1
        assert all(f.failure_type == FailureType.config_error and f.message == "Refresh token was rejected." for f in failures)


class _TokenEndpointThatNeverAnswers:
    """An authenticator whose token request, like the CDK's, is a `backoff` wrapper, and never
    comes back until the test lets it go."""

    let_go = threading.Event()
    attempts = 0

    def get_token_refresh_endpoint(self) -> str:
        return "https://app.sendoso.com/oauth/token"

    @backoff.on_exception(backoff.expo, requests.exceptions.RequestException, max_tries=1)
    def _make_handled_request(self) -> Any:
        type(self).attempts += 1
        self.let_go.wait()


class TokenEndpointThatNeverAnswersTest(TestCase):
    def tearDown(self) -> None:
        _TokenEndpointThatNeverAnswers.let_go.set()

    def test_given_no_answer_from_the_token_endpoint_then_transient_error_after_timeouts(self) -> None:
        """A silent token endpoint: each attempt times out, and the sync fails as a transient error."""
        bound_token_refresh(_TokenEndpointThatNeverAnswers, max_tries=2, max_time=30, attempt_timeout=0.2)

        with self.assertRaises(AirbyteTracedException) as raised:
            _TokenEndpointThatNeverAnswers()._make_handled_request()

        assert raised.exception.failure_type == FailureType.transient_error
        assert "no answer within 0.2 s" in raised.exception.message
        assert "https://app.sendoso.com/oauth/token" in raised.exception.message
        assert _TokenEndpointThatNeverAnswers.attempts == 2

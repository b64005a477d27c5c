"""The stored access token's expiry (`backend.token_expiry_date`) in each form a config may hold it.

Airbyte's OAuth flow writes a date-time (`...123456Z`, as Java prints an instant), the connector
writes one back after each refresh (`...+00:00`), and a config filled by hand may hold the token
answer's `expires_in` as it is. An instant still ahead means the stored access token is sent
as it is; anything that names no instant means the connector gets a new token first.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airbyte_cdk.models import FailureType, Status
from airbyte_cdk.test.mock_http import HttpMocker
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from mock_server.config import ConfigBuilder
from mock_server.read import check_connection, control_configs, read_stream, record_ids
from mock_server.records import me, user
from mock_server.requests import SendosoRequestBuilder, token_request
from mock_server.responses import json_response, page_response, token_response
from source_sendoso import SourceSendoso

STORED = "stored-token"
FRESH = "fresh-token"
ABSENT = object()


def _users_request(access_token: str):
    return SendosoRequestBuilder.endpoint("/users").with_per_page(100).with_access_token(access_token).build()


def _java_instant(moment: datetime) -> str:
    """An instant as java.time.Instant.toString() prints it, which is how the platform writes it:
    UTC, `Z`, and the fraction in groups of three digits, left out when it is zero."""
    text = moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    micro = moment.microsecond
    if micro:
        text += f".{micro // 1000:03d}" if micro % 1000 == 0 else f".{micro:06d}"
    return text + "Z"


def _config(expiry: Any, access_token: Any = STORED) -> dict:
    backend = {} if access_token is ABSENT else {"access_token": access_token}
    if expiry is not ABSENT:
        backend["token_expiry_date"] = expiry
    return ConfigBuilder().with_backend(**backend).build()


IN_AN_HOUR = datetime.now(timezone.utc).replace(microsecond=123456) + timedelta(hours=1)


@pytest.mark.parametrize(
    "expiry",
    [
        pytest.param(_java_instant(IN_AN_HOUR), id="airbyte-oauth-flow-microseconds"),
        pytest.param(_java_instant(IN_AN_HOUR.replace(microsecond=0)), id="airbyte-oauth-flow-whole-second"),
        pytest.param(_java_instant(IN_AN_HOUR.replace(microsecond=250000)), id="airbyte-oauth-flow-milliseconds"),
        pytest.param(IN_AN_HOUR.isoformat(), id="written-back-by-the-connector"),
        pytest.param(IN_AN_HOUR.astimezone(timezone(timedelta(hours=-7))).isoformat(), id="another-offset"),
    ],
)
def test_given_an_expiry_still_ahead_when_read_then_the_stored_token_is_sent(expiry: str) -> None:
    """An expiry still ahead: the stored token is sent and no new token is asked for."""
    with HttpMocker() as http_mocker:
        http_mocker.get(_users_request(STORED), page_response("/users", [user(1)]))

        # No token request is mocked: asking for one would fail the read.
        output = read_stream("users", _config(expiry))

    assert record_ids(output) == [1]
    assert not output.errors


@pytest.mark.parametrize(
    "expiry, access_token",
    [
        pytest.param(7200, STORED, id="expires-in-as-an-integer"),
        pytest.param(7200.0, STORED, id="expires-in-as-a-float"),
        pytest.param("7200", STORED, id="expires-in-as-text"),
        # Seconds that, read as a Unix time (as the CDK alone would), fall in the year 2100.
        pytest.param(4102444800, STORED, id="seconds-that-could-pass-for-an-epoch"),
        pytest.param(" 7200.5 ", STORED, id="expires-in-as-padded-decimal-text"),
        pytest.param("", STORED, id="empty"),
        pytest.param(None, STORED, id="null"),
        pytest.param(ABSENT, STORED, id="absent"),
        pytest.param(_java_instant(datetime.now(timezone.utc) - timedelta(minutes=1)), STORED, id="passed"),
        pytest.param(_java_instant(IN_AN_HOUR), ABSENT, id="ahead-but-no-stored-token"),
        pytest.param(_java_instant(IN_AN_HOUR), "", id="ahead-but-an-empty-stored-token"),
    ],
)
def test_given_an_expiry_naming_no_instant_ahead_then_a_new_token_is_asked_first(expiry: Any, access_token: Any) -> None:
    with HttpMocker() as http_mocker:
        refresh = token_request()
        http_mocker.post(refresh, token_response(FRESH, expires_in=7200))
        http_mocker.get(_users_request(FRESH), page_response("/users", [user(1)]))

        output = read_stream("users", _config(expiry, access_token))

        http_mocker.assert_number_of_calls(refresh, 1)
    assert record_ids(output) == [1]
    # The platform is sent the new token with an instant it can keep, about two hours ahead.
    persisted = control_configs(output)[-1]["backend"]
    assert persisted["access_token"] == FRESH
    ahead = datetime.fromisoformat(persisted["token_expiry_date"].replace("Z", "+00:00")) - datetime.now(timezone.utc)
    assert timedelta(hours=1, minutes=59) < ahead <= timedelta(hours=2)


def test_given_expires_in_seconds_when_check_then_succeeds_with_a_new_token() -> None:
    """A number of seconds as the expiry: check gets a new token first, then succeeds."""
    with HttpMocker() as http_mocker:
        refresh = token_request()
        http_mocker.post(refresh, token_response(FRESH))
        http_mocker.get(SendosoRequestBuilder.endpoint("/me").with_access_token(FRESH).build(), json_response(me()))

        output = check_connection(_config(7200))

        http_mocker.assert_number_of_calls(refresh, 1)
    (status,) = output.connection_status_messages
    assert status.connectionStatus.status == Status.SUCCEEDED, status.connectionStatus.message


@pytest.mark.parametrize(
    "expiry, named",
    [
        pytest.param("tomorrow", "'tomorrow'", id="text"),
        pytest.param("2026-02-30T00:00:00Z", "'2026-02-30T00:00:00Z'", id="impossible-day"),
        pytest.param(True, "a boolean", id="boolean"),
        pytest.param({"expires_in": 7200}, "an object", id="object"),
        pytest.param([7200], "an array", id="array"),
    ],
)
def test_given_an_expiry_neither_instant_nor_seconds_then_config_error_names_it(expiry: Any, named: str) -> None:
    """An expiry that is neither an instant nor seconds is a config error naming the field."""
    with pytest.raises(AirbyteTracedException) as raised:
        SourceSendoso(config=_config(expiry))

    assert raised.value.failure_type == FailureType.config_error
    assert raised.value.message.startswith(f"Config field 'backend.token_expiry_date' is invalid: {named} is neither")
    assert "Authenticate again, or remove the field" in raised.value.message


def test_the_hub_backend_ignores_a_token_expiry_it_does_not_use() -> None:
    config = {
        "backend": {
            "backend_type": "cloud_elements",
            "user_secret": "u",
            "organization_secret": "o",
            "element_token": "e",
            "token_expiry_date": "tomorrow",
        }
    }

    assert SourceSendoso(config=config)._config["backend"]["token_expiry_date"] == "tomorrow"

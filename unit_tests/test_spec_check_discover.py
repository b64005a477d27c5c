"""`spec`; `check` and `discover` on the direct backend."""

from unittest import TestCase

from airbyte_cdk.models import Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import check_connection, connector_spec, discover_streams
from mock_server.records import me
from mock_server.requests import me_request, token_request
from mock_server.responses import error_response, json_response, token_error_response, token_response


def _status(output):
    (message,) = output.connection_status_messages
    return message.connectionStatus


class SpecTest(TestCase):
    def test_spec_offers_both_backends_every_setting_and_the_oauth_flow(self) -> None:
        """The form a user fills in: both backends, every setting, the OAuth flow on the direct
        API's branch, and each credential of either backend a secret."""
        spec = connector_spec()

        assert spec["documentationUrl"] == "https://docs.airbyte.com/integrations/sources/sendoso"
        properties = spec["connectionSpecification"]["properties"]
        settings = {"start_date", "stream_filters", "lookback_window_days", "per_page", "requests_per_second", "max_concurrent_requests"}
        assert {"backend", *settings} <= set(properties)
        branches = {branch["properties"]["backend_type"]["const"]: branch["properties"] for branch in properties["backend"]["oneOf"]}
        assert set(branches) == {"sendoso", "cloud_elements"}
        auth = spec["advanced_auth"]
        assert (auth["auth_flow_type"], auth["predicate_key"], auth["predicate_value"]) == (
            "oauth2.0",
            ["backend", "backend_type"],
            "sendoso",
        )
        credentials = {
            "sendoso": ("client_id", "client_secret", "refresh_token", "access_token"),
            "cloud_elements": ("user_secret", "organization_secret", "element_token"),
        }
        for backend, names in credentials.items():
            assert all(branches[backend][name]["airbyte_secret"] for name in names), backend


class CheckTest(TestCase):
    @HttpMocker()
    def test_given_valid_credentials_when_check_then_succeeded_after_reading_me(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(token_request(), token_response())
        me_endpoint = me_request()
        http_mocker.get(me_endpoint, json_response(me()))

        output = check_connection(ConfigBuilder().build())

        assert _status(output).status == Status.SUCCEEDED
        http_mocker.assert_number_of_calls(me_endpoint, 1)

    @HttpMocker()
    def test_given_revoked_refresh_token_when_check_then_failed_asking_to_reauthenticate(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(token_request(), token_error_response("invalid_grant", 400))

        output = check_connection(ConfigBuilder().build(), expecting_exception=True)

        status = _status(output)
        assert status.status == Status.FAILED
        assert "Re-authenticate" in status.message

    @HttpMocker()
    def test_given_403_on_me_when_check_then_failed_naming_the_public_scope(self, http_mocker: HttpMocker) -> None:
        http_mocker.post(token_request(), token_response())
        http_mocker.get(me_request(), error_response(403, "Forbidden"))

        output = check_connection(ConfigBuilder().build(), expecting_exception=True)

        status = _status(output)
        assert status.status == Status.FAILED
        assert "`public` scope" in status.message

    def test_given_filter_that_does_not_parse_when_check_then_failed_quoting_the_clause(self) -> None:
        with HttpMocker():
            output = check_connection(ConfigBuilder().with_stream_filter("sends", "status =").build(), expecting_exception=True)

        status = _status(output)
        assert status.status == Status.FAILED
        assert "status =" in status.message and "column 9" in status.message


class DiscoverTest(TestCase):
    def _catalog(self):
        # Nothing is mocked: discover must not need the API.
        with HttpMocker():
            output = discover_streams(ConfigBuilder().build())
        return {stream.name: stream for stream in output.catalog.catalog.streams}

    def test_given_direct_backend_when_discover_then_the_seven_sendoso_streams(self) -> None:
        assert sorted(self._catalog()) == ["group_members", "groups", "marketplace_products", "me", "sends", "touches", "users"]

    def test_given_direct_backend_when_discover_then_groups_and_sends_are_incremental(self) -> None:
        """`groups` and `sends` are incremental on `updated_at`; the other streams are full refresh only."""
        catalog = self._catalog()

        for name in ("groups", "sends"):
            assert SyncMode.incremental in catalog[name].supported_sync_modes
            assert catalog[name].source_defined_cursor
            assert catalog[name].default_cursor_field == ["updated_at"]
        for name in ("me", "users", "group_members", "touches", "marketplace_products"):
            assert catalog[name].supported_sync_modes == [SyncMode.full_refresh]

    def test_given_direct_backend_when_discover_then_group_members_have_a_two_part_key(self) -> None:
        """`group_members` are keyed by group and member: `[group_id, id]`."""
        assert self._catalog()["group_members"].source_defined_primary_key == [["group_id"], ["id"]]

"""The hub backend: its header, its paging token, its where= push-down and its error shapes."""

from unittest import TestCase

from airbyte_cdk.models import FailureType, Status, SyncMode
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.hub import (
    HubConfigBuilder,
    hub_error,
    hub_me_request,
    hub_page,
    hub_request,
    metadata_request,
    metadata_response,
    mock_only_named_objects,
    objects_request,
    objects_response,
)
from mock_server.read import check_connection, discover_streams, errors_of_type, read_stream, record_data
from mock_server.records import group, send, user


class HubBackendTest(TestCase):
    @HttpMocker()
    def test_given_a_token_on_every_page_then_follow_it_and_stop_on_the_empty_page(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        http_mocker.get(hub_request("/users"), hub_page([user(1), user(2)], "page-2"))
        http_mocker.get(hub_request("/users", next_page="page-2"), hub_page([user(3), user(4)], "page-3"))
        http_mocker.get(hub_request("/users", next_page="page-3"), hub_page([], "page-4"))

        output = read_stream("users", HubConfigBuilder().build())

        assert [record["id"] for record in record_data(output)] == [1, 2, 3, 4]

    @HttpMocker()
    def test_given_the_hub_repeats_a_page_then_fail_rather_than_read_records_twice(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        same_page = hub_page([user(1), user(2)], "page-2")
        http_mocker.get(hub_request("/users"), same_page)
        second_page = hub_request("/users", next_page="page-2")
        http_mocker.get(second_page, same_page)

        output = read_stream("users", HubConfigBuilder().build(), expecting_exception=True)

        # A hub page says not which page it is: the body, byte for byte the page before, gives it away.
        http_mocker.assert_number_of_calls(second_page, 3)
        error = next(m.trace.error for m in output.errors if "with a page it had already sent (page 1)" in m.trace.error.message)
        assert error.failure_type == FailureType.transient_error
        assert [record["id"] for record in record_data(output)] == [1, 2]

    @HttpMocker()
    def test_given_a_stream_filter_then_push_it_down_as_where_and_check_each_record(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        delivered, opened = send(1), send(2)
        opened["status"] = "Opened"
        # A hub that ignores the criterion returns both; only the delivered send is kept.
        http_mocker.get(
            hub_request("/sent-gifts", where="updated_at >= '1970-01-01T00:00:00.000Z' AND status = 'Delivered'"),
            hub_page([delivered, opened], "page-2"),
        )
        http_mocker.get(
            hub_request("/sent-gifts", next_page="page-2", where="updated_at >= '1970-01-01T00:00:00.000Z' AND status = 'Delivered'"),
            hub_page([]),
        )

        # One pass (with more, sends are read in windows of their cursor: test_hub_windows.py).
        config = HubConfigBuilder().with_stream_filter("sends", "status = 'Delivered'").with_max_concurrent_requests(1).build()
        output = read_stream("sends", config)

        assert [record["id"] for record in record_data(output)] == [1]

    @HttpMocker()
    def test_given_an_or_filter_and_a_state_then_the_where_keeps_sql_precedence(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        where = "updated_at >= '2024-06-01T00:00:00.000Z' AND (name = 'Sales' OR name = 'Ops')"
        http_mocker.get(hub_request("/groups", where=where), hub_page([group(1, updated_at="2024-07-01T00:00:00.000-07:00")], "t"))
        http_mocker.get(hub_request("/groups", next_page="t", where=where), hub_page([]))
        config = HubConfigBuilder().with_stream_filter("groups", "name = 'Sales' or name = 'Ops'").build()

        output = read_stream("groups", config, SyncMode.incremental, state={"updated_at": "2024-06-01T00:00:00.000000Z"})

        # The hub's answer is checked again: "Team 1" is neither Sales nor Ops.
        assert record_data(output) == []
        assert output.most_recent_state.stream_state.updated_at >= "2024-06-01T00:00:00"

    @HttpMocker()
    def test_given_no_things_found_when_read_then_an_empty_stream_not_a_failure(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        http_mocker.get(hub_request("/touches"), hub_error(404, "No touches found"))

        output = read_stream("touches", HubConfigBuilder().build())

        assert output.records == [] and output.errors == []

    @HttpMocker()
    def test_given_a_group_not_found_when_read_members_then_the_stream_fails(self, http_mocker: HttpMocker) -> None:
        """A group the hub answers 404 for fails `group_members` instead of reading nothing."""
        mock_only_named_objects(http_mocker)
        http_mocker.get(hub_request("/groups"), hub_page([group(1)], "t"))
        http_mocker.get(hub_request("/groups", next_page="t"), hub_page([]))
        http_mocker.get(hub_request("/groups/1/members"), hub_error(404, "Group not found!"))

        output = read_stream("group_members", HubConfigBuilder().build(), expecting_exception=True)

        assert output.records == []
        assert any("group_members" in m.trace.error.message for m in output.errors)

    @HttpMocker()
    def test_given_provider_failed_502_when_read_then_retry_and_return_records(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        http_mocker.get(hub_request("/users"), [hub_error(502, "Provider failed"), hub_page([user(1)], "t")])
        http_mocker.get(hub_request("/users", next_page="t"), hub_page([]))

        output = read_stream("users", HubConfigBuilder().build())

        assert [record["id"] for record in record_data(output)] == [1]

    @HttpMocker()
    def test_given_bad_hub_credentials_when_read_then_config_error_naming_them(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        http_mocker.get(hub_request("/users"), hub_error(401, "Invalid Element token provided"))

        output = read_stream("users", HubConfigBuilder().build(), expecting_exception=True)

        error = next(m.trace.error for m in output.errors if "element token" in m.trace.error.message.lower())
        assert error.failure_type == FailureType.config_error
        assert "Invalid Element token provided" in error.message

    @HttpMocker()
    def test_given_a_where_the_hub_rejects_when_read_then_config_error_quoting_it(self, http_mocker: HttpMocker) -> None:
        """A `where` the hub rejects as malformed is a config error quoting the hub's message."""
        mock_only_named_objects(http_mocker)
        http_mocker.get(hub_request("/users"), hub_error(400, "Invalid where clause", provider_message="unsupported operator"))

        output = read_stream("users", HubConfigBuilder().build(), expecting_exception=True)

        error = next(m.trace.error for m in output.errors if "Invalid where clause" in m.trace.error.message)
        assert "unsupported operator" in error.message
        assert error.failure_type == FailureType.config_error


def _failed_hub_check(http_mocker: HttpMocker, status: int, message: str) -> str:
    me = hub_me_request()
    http_mocker.get(me, hub_error(status, message))

    output = check_connection(HubConfigBuilder().build(), expecting_exception=True)

    http_mocker.assert_number_of_calls(me, 1)  # a refusal is not retried
    (result,) = [m.connectionStatus for m in output.connection_status_messages]
    assert result.status == Status.FAILED
    return result.message


class HubRefusedCredentialsTest(TestCase):
    @HttpMocker()
    def test_given_the_hub_names_all_three_secrets_then_each_is_named_with_its_place(self, http_mocker: HttpMocker) -> None:
        """The hub's 401 names all three secrets: check names each with where to find it."""
        # Cloud Elements answers any of the three wrong with this one message.
        message = _failed_hub_check(http_mocker, 401, "Invalid Organization or User secret, or invalid Element token provided.")

        for title in ("User Secret", "Organization Secret", "Element Token"):
            assert title in message
        assert "profile menu" in message and "Instances page" in message

    @HttpMocker()
    def test_given_the_hub_names_the_element_token_only_when_check_then_only_it_is_named(self, http_mocker: HttpMocker) -> None:
        message = _failed_hub_check(http_mocker, 401, "Invalid Element token provided")

        assert "The hub refused the Element Token" in message and "Instances page" in message
        assert "User Secret" not in message and "Organization Secret" not in message

    @HttpMocker()
    def test_given_the_hub_names_the_organization_secret_then_only_it_is_named(self, http_mocker: HttpMocker) -> None:
        message = _failed_hub_check(http_mocker, 401, "Invalid Organization secret")

        assert "The hub refused the Organization Secret" in message and "profile menu" in message
        assert "Element Token" not in message and "User Secret" not in message

    @HttpMocker()
    def test_given_403_when_check_then_failed_naming_the_element_instance(self, http_mocker: HttpMocker) -> None:
        """A 403 from the hub fails check, naming the element instance to re-authenticate."""
        message = _failed_hub_check(http_mocker, 403, "Access to the resource by the provider is forbidden.")

        assert "Element Token" in message and "Re-authenticate that Sendoso element instance" in message
        assert "`public`" in message

    @HttpMocker()
    def test_given_a_very_long_hub_message_when_check_then_it_is_quoted_cut_short(self, http_mocker: HttpMocker) -> None:
        message = _failed_hub_check(http_mocker, 401, "Unauthorized: " + "details " * 300 + "LAST-WORD")

        assert "Unauthorized: details details" in message and "..." in message
        assert "LAST-WORD" not in message and len(message) < 1000


class HubGenericObjectsTest(TestCase):
    @HttpMocker()
    def test_given_generic_objects_when_discover_then_one_stream_each_with_its_schema(self, http_mocker: HttpMocker) -> None:
        """Each generic object of the hub is one stream, with its schema from the hub's metadata."""
        http_mocker.get(objects_request(), objects_response(["users", "journals", "purchase-orders", "bulk/jobs"]))
        http_mocker.get(metadata_request("journals"), metadata_response({"id": "number", "kind": "string", "posted_at": "date"}))
        http_mocker.get(metadata_request("purchase-orders"), metadata_response({"id": "number", "total": "number"}))
        http_mocker.get(metadata_request("bulk/jobs"), metadata_response({"id": "string", "done": "boolean"}))

        catalog = discover_streams(HubConfigBuilder().build())

        streams = {stream.name: stream for stream in catalog.catalog.catalog.streams}
        assert {"journals", "purchase_orders", "bulk_jobs", "users", "return_addresses", "group_touches"} <= set(streams)
        journals = streams["journals"].json_schema["properties"]
        assert journals["posted_at"] == {"type": ["null", "string"], "format": "date-time"}
        assert journals["kind"]["type"] == ["null", "string"]
        assert streams["bulk_jobs"].json_schema["properties"]["done"]["type"] == ["null", "boolean"]
        assert streams["journals"].source_defined_primary_key == [["id"]]

    @HttpMocker()
    def test_given_a_generic_object_when_read_then_its_records_from_its_own_path(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(objects_request(), objects_response(["purchase-orders"]))
        http_mocker.get(metadata_request("purchase-orders"), metadata_response({"id": "number", "total": "number"}))
        http_mocker.get(hub_request("/purchase-orders"), hub_page([{"id": 1, "total": 10.5}], "t"))
        http_mocker.get(hub_request("/purchase-orders", next_page="t"), hub_page([]))

        output = read_stream("purchase_orders", HubConfigBuilder().build())

        assert record_data(output) == [{"id": 1, "total": 10.5}]

    @HttpMocker()
    def test_given_a_filter_on_a_generic_object_then_push_it_down_and_check_each_record(self, http_mocker: HttpMocker) -> None:
        http_mocker.get(objects_request(), objects_response(["purchase-orders"]))
        http_mocker.get(metadata_request("purchase-orders"), metadata_response({"id": "number", "total": "number"}))
        # A hub that ignores the criterion returns both; only the order over 10 is kept.
        http_mocker.get(
            hub_request("/purchase-orders", where="total > 10"), hub_page([{"id": 1, "total": 10.5}, {"id": 2, "total": 3}], "t")
        )
        http_mocker.get(hub_request("/purchase-orders", next_page="t", where="total > 10"), hub_page([]))

        output = read_stream("purchase_orders", HubConfigBuilder().with_stream_filter("purchase_orders", "total > 10").build())

        assert record_data(output) == [{"id": 1, "total": 10.5}]

    @HttpMocker()
    def test_given_a_filter_on_a_field_an_object_lacks_then_config_error_listing_fields(self, http_mocker: HttpMocker) -> None:
        """A filter naming a field a generic object lacks is a config error listing the object's fields."""
        http_mocker.get(objects_request(), objects_response(["purchase-orders"]))
        http_mocker.get(metadata_request("purchase-orders"), metadata_response({"id": "number", "total": "number"}))

        output = read_stream(
            "purchase_orders", HubConfigBuilder().with_stream_filter("purchase_orders", "colour = 'red'").build(), expecting_exception=True
        )

        errors = errors_of_type(output, FailureType.config_error)
        assert errors and "names the field 'colour'" in errors[0].message and "Fields: id, total" in errors[0].message
        assert record_data(output) == []

    @HttpMocker()
    def test_given_a_filter_on_an_unlisted_object_when_check_then_failed_naming_it(self, http_mocker: HttpMocker) -> None:
        """A filter on an object the hub does not list fails check, naming the object."""
        http_mocker.get(hub_me_request(), hub_page([{"id": 1}]))
        http_mocker.get(objects_request(), objects_response(["purchase-orders"]))
        http_mocker.get(metadata_request("purchase-orders"), metadata_response({"id": "number", "total": "number"}))

        output = check_connection(HubConfigBuilder().with_stream_filter("invoices", "total > 10").build())

        status = output.connection_status_messages[0].connectionStatus
        assert status.status == Status.FAILED
        assert "names the stream 'invoices', which does not exist" in status.message


class HubChildObjectsTest(TestCase):
    @HttpMocker()
    def test_given_a_child_object_in_config_when_read_then_one_request_per_parent_record(self, http_mocker: HttpMocker) -> None:
        mock_only_named_objects(http_mocker)
        http_mocker.get(metadata_request("lines"), metadata_response({"id": "number", "sku": "string"}))
        http_mocker.get(hub_request("/purchase-orders"), hub_page([{"id": 7}, {"id": 8}], "t"))
        http_mocker.get(hub_request("/purchase-orders", next_page="t"), hub_page([]))
        for parent in (7, 8):
            http_mocker.get(hub_request(f"/purchase-orders/{parent}/lines"), hub_page([{"id": parent * 10, "sku": "A"}], "t"))
            http_mocker.get(hub_request(f"/purchase-orders/{parent}/lines", next_page="t"), hub_page([]))
        config = HubConfigBuilder().build()
        config["backend"]["child_objects"] = [{"parent": "purchase-orders", "child": "lines"}]

        output = read_stream("purchase_orders_lines", config)

        assert sorted((r["parent_id"], r["id"]) for r in record_data(output)) == [(7, 70), (8, 80)]

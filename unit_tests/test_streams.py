"""Each stream: the exact request it sends to Sendoso and the records it returns."""

from unittest import TestCase

from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import as_emitted, read_stream, record_data, record_ids
from mock_server.records import group, me, member, product, send, touch, user
from mock_server.requests import list_request, me_request, members_request, products_request, token_request
from mock_server.responses import json_response, members_response, page_response, products_response, token_response


def _mock_token(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(), token_response())


class MeStreamTest(TestCase):
    @HttpMocker()
    def test_given_me_when_read_then_get_me_with_bearer_token_and_return_the_user(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(me_request(), json_response(me()))

        output = read_stream("me", ConfigBuilder().build())

        assert record_data(output) == [me()]


class UsersStreamTest(TestCase):
    @HttpMocker()
    def test_given_two_pages_when_read_then_page_param_from_page_two_and_all_users(self, http_mocker: HttpMocker) -> None:
        """The `page` parameter is sent only from page two on, and every user is returned."""
        _mock_token(http_mocker)
        first = [user(i) for i in range(1, 101)]
        http_mocker.get(list_request("/users"), page_response("/users", first, page=1, total=101))
        http_mocker.get(list_request("/users", page=2), page_response("/users", [user(101)], page=2, total=101))

        output = read_stream("users", ConfigBuilder().build())

        assert record_data(output) == first + [user(101)]

    @HttpMocker()
    def test_given_short_first_page_when_read_then_no_second_request(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        first_page = list_request("/users")
        http_mocker.get(first_page, page_response("/users", [user(1), user(2)]))

        output = read_stream("users", ConfigBuilder().build())

        http_mocker.assert_number_of_calls(first_page, 1)
        assert record_ids(output) == [1, 2]


class GroupsStreamTest(TestCase):
    @HttpMocker()
    def test_given_groups_when_read_then_groups_paged_with_updated_at_in_utc(self, http_mocker: HttpMocker) -> None:
        """`GET /groups`, paged; the groups come back with `updated_at` in UTC."""
        _mock_token(http_mocker)
        http_mocker.get(
            list_request("/groups"),
            page_response(
                "/groups", [group(1, updated_at="2024-05-01T10:00:00.000-07:00"), group(2, updated_at="2024-05-02T08:30:00.250Z")]
            ),
        )

        output = read_stream("groups", ConfigBuilder().build())

        # Timestamps in UTC, the budget (a bare number) as decimal text.
        in_utc = {"created_at": "2023-01-01T16:00:00.000Z", "budget": "5000.0"}
        assert record_data(output) == [
            {**group(1, updated_at="2024-05-01T17:00:00.000Z"), **in_utc},
            {**group(2, updated_at="2024-05-02T08:30:00.250Z"), **in_utc},
        ]


class GroupMembersStreamTest(TestCase):
    @HttpMocker()
    def test_given_two_groups_when_read_then_one_members_request_per_group(self, http_mocker: HttpMocker) -> None:
        """One members request per group, and each member carries its `group_id`."""
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", [group(10), group(20)]))
        http_mocker.get(members_request(10), members_response([member(1, 10), member(2, 10)]))
        http_mocker.get(members_request(20), members_response([member(3, 20)]))

        output = read_stream("group_members", ConfigBuilder().build())

        records = sorted(record_data(output), key=lambda record: record["id"])
        assert records == [
            {**member(1, 10), "group_id": 10},
            {**member(2, 10), "group_id": 10},
            {**member(3, 20), "group_id": 20},
        ]

    @HttpMocker()
    def test_given_groups_on_two_pages_when_read_then_members_of_groups_on_both_pages(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups", per_page=1), page_response("/groups", [group(10)], per_page=1, total=2))
        http_mocker.get(list_request("/groups", page=2, per_page=1), page_response("/groups", [group(20)], page=2, per_page=1, total=2))
        http_mocker.get(list_request("/groups", page=3, per_page=1), page_response("/groups", [], page=3, per_page=1, total=2))
        http_mocker.get(members_request(10), members_response([member(1, 10)]))
        http_mocker.get(members_request(20), members_response([member(2, 20)]))

        output = read_stream("group_members", ConfigBuilder().with_per_page(1).build())

        assert sorted((record["group_id"], record["id"]) for record in record_data(output)) == [(10, 1), (20, 2)]

    @HttpMocker()
    def test_given_a_group_without_members_then_members_of_the_other_groups_only(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", [group(10), group(20)]))
        http_mocker.get(members_request(10), members_response([]))
        http_mocker.get(members_request(20), members_response([member(3, 20)]))

        output = read_stream("group_members", ConfigBuilder().build())

        assert [(record["group_id"], record["id"]) for record in record_data(output)] == [(20, 3)]


class TouchesStreamTest(TestCase):
    @HttpMocker()
    def test_given_touches_when_read_then_get_touches_paged_and_return_touches(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/touches"), page_response("/touches", [touch(5), touch(6)]))

        output = read_stream("touches", ConfigBuilder().build())

        in_utc = {"start_date": "2024-03-01T05:00:00.000Z", "created_at": "2024-02-01T13:00:00.000Z"}
        assert record_data(output) == [{**as_emitted(touch(5)), **in_utc}, {**as_emitted(touch(6)), **in_utc}]


class SendsStreamTest(TestCase):
    @HttpMocker()
    def test_given_sends_on_two_pages_when_read_then_send_paged_and_every_send(self, http_mocker: HttpMocker) -> None:
        """`GET /send`, paged, and every send returned."""
        _mock_token(http_mocker)
        first = [send(i) for i in range(1, 101)]
        http_mocker.get(list_request("/send"), page_response("/send", first, page=1, total=101))
        http_mocker.get(list_request("/send", page=2), page_response("/send", [send(101)], page=2, total=101))

        output = read_stream("sends", ConfigBuilder().build())

        assert record_ids(output) == list(range(1, 102))
        # The source fields come through, their timestamps in UTC, beside the derived cursor.
        emitted = {key: value for key, value in record_data(output)[0].items() if key != "updated_at"}
        assert emitted == {**as_emitted(send(1)), "created_at": "2024-05-01T20:53:05.000Z"}


class SendUpdatedAtTest(TestCase):
    """Sends carry no `updated_at`: the connector derives it from the latest status update."""

    def _read_one_send(self, http_mocker: HttpMocker, record) -> dict:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send"), page_response("/send", [record]))
        (data,) = record_data(read_stream("sends", ConfigBuilder().build()))
        return data

    @HttpMocker()
    def test_given_status_updates_in_mixed_offsets_then_updated_at_is_the_latest(self, http_mocker: HttpMocker) -> None:
        """Status updates in mixed UTC offsets: `updated_at` is the latest instant, in UTC."""
        updates = [
            {"status": "Processing", "occurred_at": "2024-05-01T18:00:00.000Z"},
            # Sorts before the update above as text, yet is later: 19:30Z.
            {"status": "Delivered", "occurred_at": "2024-05-01T12:30:00.000-07:00"},
            {"status": "Packed", "occurred_at": "2024-05-01T10:00:00.000-07:00"},
        ]

        data = self._read_one_send(http_mocker, send(7, created_at="2024-05-01T08:00:00.000-07:00", updates=updates))

        assert data["updated_at"] == "2024-05-01T19:30:00.000Z"
        assert [update["occurred_at"] for update in data["status_updates"]] == [
            "2024-05-01T18:00:00.000Z",
            "2024-05-01T19:30:00.000Z",
            "2024-05-01T17:00:00.000Z",
        ]

    @HttpMocker()
    def test_given_no_status_updates_when_read_then_updated_at_is_created_at_in_utc(self, http_mocker: HttpMocker) -> None:
        data = self._read_one_send(http_mocker, send(7, created_at="2020-05-01T13:53:05.000-07:00", updates=[]))

        assert data["updated_at"] == data["created_at"] == "2020-05-01T20:53:05.000Z"


class MarketplaceProductsStreamTest(TestCase):
    @HttpMocker()
    def test_given_two_cursor_pages_when_read_then_after_is_sent_and_all_products(self, http_mocker: HttpMocker) -> None:
        """The second request carries `after`, and every product is returned."""
        _mock_token(http_mocker)
        http_mocker.get(products_request(), products_response([product(1), product(2)], after="cursor-2"))
        http_mocker.get(products_request(after="cursor-2"), products_response([product(3)]))

        output = read_stream("marketplace_products", ConfigBuilder().build())

        assert record_data(output) == [product(1), product(2), product(3)]

    @HttpMocker()
    def test_given_no_next_page_when_read_then_a_single_request(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        first_page = products_request()
        http_mocker.get(first_page, products_response([product(1)]))

        output = read_stream("marketplace_products", ConfigBuilder().build())

        http_mocker.assert_number_of_calls(first_page, 1)
        assert record_ids(output) == ["1"]

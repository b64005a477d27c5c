"""Sendoso's page/per_page paging: every record of every page, and no endless loop."""

import contextlib
import io
import json
from unittest import TestCase

from airbyte_cdk.models import FailureType
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import read_stream, record_data
from mock_server.records import send, user
from mock_server.requests import list_request, token_request
from mock_server.responses import page_response, token_response


def _mock_token(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(), token_response())


class PagingTest(TestCase):
    @HttpMocker()
    def test_given_three_pages_when_read_then_every_record_of_every_page(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/users", per_page=2), page_response("/users", [user(1), user(2)], page=1, per_page=2, total=5))
        http_mocker.get(
            list_request("/users", page=2, per_page=2), page_response("/users", [user(3), user(4)], page=2, per_page=2, total=5)
        )
        http_mocker.get(list_request("/users", page=3, per_page=2), page_response("/users", [user(5)], page=3, per_page=2, total=5))

        output = read_stream("users", ConfigBuilder().with_per_page(2).build())

        # Pages 2 and 3 are read at the same time, in no set order.
        assert sorted(record["id"] for record in record_data(output)) == [1, 2, 3, 4, 5]

    @HttpMocker()
    def test_given_full_last_page_when_read_then_stop_on_the_empty_page(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send", per_page=2), page_response("/send", [send(2), send(1)], page=1, per_page=2, total=2))
        http_mocker.get(list_request("/send", page=2, per_page=2), page_response("/send", [], page=2, per_page=2, total=2))

        output = read_stream("sends", ConfigBuilder().with_per_page(2).build())

        assert [record["id"] for record in record_data(output)] == [2, 1]

    @HttpMocker()
    def test_given_server_repeats_a_page_when_read_then_fail_instead_of_looping(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        same_page = page_response("/users", [user(1), user(2)], page=1, per_page=2, total=4)
        http_mocker.get(list_request("/users", per_page=2), same_page)
        second_page = list_request("/users", page=2, per_page=2)
        http_mocker.get(second_page, same_page)

        output = read_stream("users", ConfigBuilder().with_per_page(2).build(), expecting_exception=True)

        # Asked again twice (a one-off stale page is retried, source_sendoso/error_handlers.py), then failed.
        http_mocker.assert_number_of_calls(second_page, 3)
        error = next(m.trace.error for m in output.errors if "with a page it had already sent (page 1)" in m.trace.error.message)
        assert error.failure_type == FailureType.transient_error
        # The repeated page is not delivered: its records would be duplicates.
        assert [record["id"] for record in record_data(output)] == [1, 2]

    @HttpMocker()
    def test_given_a_page_answered_with_another_then_asked_again_no_record_twice(self, http_mocker: HttpMocker) -> None:
        """A page answered with another page is asked for again, and no record is read twice."""
        _mock_token(http_mocker)
        second = page_response("/users", [user(3), user(4)], page=2, per_page=2, total=6)
        http_mocker.get(list_request("/users", per_page=2), page_response("/users", [user(1), user(2)], page=1, per_page=2, total=6))
        http_mocker.get(list_request("/users", page=2, per_page=2), second)
        # A stale page 2 for page 3 (a proxy's cache): pages 2 and 3 are read at the same time,
        # so it may come back before page 2 itself. Its `current_page` gives it away either way.
        third = list_request("/users", page=3, per_page=2)
        http_mocker.get(third, [second, page_response("/users", [user(5), user(6)], page=3, per_page=2, total=6)])

        output = read_stream("users", ConfigBuilder().with_per_page(2).build())

        assert sorted(record["id"] for record in record_data(output)) == [1, 2, 3, 4, 5, 6]
        http_mocker.assert_number_of_calls(third, 2)

    @HttpMocker()
    def test_given_a_total_on_the_first_page_when_read_then_emit_one_row_estimate(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/send", per_page=2), page_response("/send", [send(3), send(2)], page=1, per_page=2, total=3))
        http_mocker.get(list_request("/send", page=2, per_page=2), page_response("/send", [send(1)], page=2, per_page=2, total=3))

        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            read_stream("sends", ConfigBuilder().with_per_page(2).build())

        # Emitted straight to stdout, as the platform reads it, once per stream.
        estimates = [m["trace"]["estimate"] for m in map(json.loads, printed.getvalue().splitlines()) if m.get("type") == "TRACE"]
        assert estimates == [{"name": "sends", "type": "STREAM", "row_estimate": 3}]

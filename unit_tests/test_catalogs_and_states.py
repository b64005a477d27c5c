"""Catalogs and state files as clients write them: a stream asked in a sync mode it does not
offer is read in the mode it offers, and every state shape is read as it means."""

import json
import tempfile
from pathlib import Path
from typing import Any, List, Mapping
from unittest import TestCase

import pytest

from airbyte_cdk.models import ConfiguredAirbyteCatalogSerializer, Level, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.read import latest_state, read_stream, record_ids
from mock_server.records import group, user
from mock_server.requests import list_request, token_request
from mock_server.responses import page_response, token_response
from source_sendoso.run import _source

NO_CURSOR_STATE = {"__ab_no_cursor_state_message": True}
FUTURE = {"updated_at": "2099-01-01T00:00:00.000Z"}
GROUPS = [group(1, updated_at="2024-05-01T10:00:00.000Z"), group(2, updated_at="2024-05-02T10:00:00.000Z")]


def _mock_token(http_mocker: HttpMocker) -> None:
    http_mocker.post(token_request(), token_response())


def _warnings(output: EntrypointOutput) -> List[str]:
    return [message.log.message for message in output.logs if message.log.level == Level.WARN]


class StreamAskedInAModeItDoesNotOfferTest(TestCase):
    @HttpMocker()
    def test_given_users_asked_incrementally_then_every_user_and_the_no_cursor_state(self, http_mocker: HttpMocker) -> None:
        """The CDK's CatalogBuilder asks `users` (no cursor) incrementally: every user, and the state of a stream without a cursor."""
        _mock_token(http_mocker)
        http_mocker.get(list_request("/users"), page_response("/users", [user(1), user(2)]))

        output = read_stream("users", ConfigBuilder().build(), SyncMode.incremental)

        assert record_ids(output) == [1, 2]
        assert latest_state(output) == NO_CURSOR_STATE
        assert _warnings(output) == [
            "The catalog asks for incremental sync of users, which offers only full_refresh: read as full_refresh."
        ]

    @HttpMocker()
    def test_given_a_cursor_in_state_of_a_stream_without_one_then_every_record(self, http_mocker: HttpMocker) -> None:
        """A state holding a cursor for a stream that has none is ignored: an incremental read returns every record."""
        _mock_token(http_mocker)
        http_mocker.get(list_request("/users"), page_response("/users", [user(1), user(2)]))

        output = read_stream("users", ConfigBuilder().build(), SyncMode.incremental, state=FUTURE)

        assert record_ids(output) == [1, 2]
        assert latest_state(output) == NO_CURSOR_STATE

    @HttpMocker()
    def test_given_several_such_streams_when_read_then_one_warning_names_them_all(self, http_mocker: HttpMocker) -> None:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/users"), page_response("/users", [user(1)]))
        http_mocker.get(list_request("/touches"), page_response("/touches", []))
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))
        catalog = (
            CatalogBuilder()
            .with_stream("users", SyncMode.incremental)
            .with_stream("touches", SyncMode.incremental)
            .with_stream("groups", SyncMode.incremental)
            .build()
        )

        output = _read_with_files(ConfigBuilder().build(), ConfiguredAirbyteCatalogSerializer.dump(catalog), "[]")

        assert _warnings(output) == [
            "The catalog asks for incremental sync of users, touches, which offer only full_refresh: read as full_refresh."
        ]


# Each shape a client may write into the state file, and whether it holds the cursor FUTURE of `groups`.
STATE_FILES = [
    ("pyairbyte-first-read", "[]", False),
    ("empty-object", "{}", False),
    ("null", "null", False),
    ("stream-state-null", [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "groups"}, "stream_state": None}}], False),
    ("stream-state-empty", [{"type": "STREAM", "stream": {"stream_descriptor": {"name": "groups"}, "stream_state": {}}}], False),
    (
        "pyairbyte",  # StateProviderBase.to_state_input_file_text: model_dump_json() of each, nulls and `global_` included
        [
            {
                "type": "STREAM",
                "stream": {"stream_descriptor": {"name": "groups", "namespace": None}, "stream_state": FUTURE},
                "global_": None,
                "data": None,
                "sourceStats": None,
                "destinationStats": None,
            }
        ],
        True,
    ),
    (
        "platform-with-stats",
        [
            {
                "type": "STREAM",
                "stream": {"stream_descriptor": {"name": "groups"}, "stream_state": FUTURE},
                "sourceStats": {"recordCount": 2.0},
            }
        ],
        True,
    ),
    (
        "global-without-shared-state",
        [{"type": "GLOBAL", "global": {"stream_states": [{"stream_descriptor": {"name": "groups"}, "stream_state": FUTURE}]}}],
        True,
    ),
    ("legacy-object", {"groups": FUTURE}, True),
    ("legacy-message", [{"type": "LEGACY", "data": {"groups": FUTURE}}], True),
    (
        "legacy-message-beside-a-stream-message",
        [
            {"type": "LEGACY", "data": {"groups": {"updated_at": "2000-01-01T00:00:00.000Z"}}},
            {"type": "STREAM", "stream": {"stream_descriptor": {"name": "groups"}, "stream_state": FUTURE}},
        ],
        True,
    ),
]


@pytest.mark.parametrize("shape, state, holds_the_cursor", STATE_FILES, ids=[shape for shape, _, _ in STATE_FILES])
def test_given_a_state_file_as_clients_write_it_then_it_is_read_as_it_means(shape: str, state: Any, holds_the_cursor: bool) -> None:
    catalog = ConfiguredAirbyteCatalogSerializer.dump(CatalogBuilder().with_stream("groups", SyncMode.incremental).build())
    with HttpMocker() as http_mocker:
        _mock_token(http_mocker)
        http_mocker.get(list_request("/groups"), page_response("/groups", GROUPS))

        output = _read_with_files(ConfigBuilder().build(), catalog, state if isinstance(state, str) else json.dumps(state))

    assert not output.errors
    if holds_the_cursor:
        assert record_ids(output) == []
        assert latest_state(output) == FUTURE
    else:
        assert record_ids(output) == [1, 2]


def _read_with_files(config: Mapping[str, Any], catalog: Mapping[str, Any], state_text: str) -> EntrypointOutput:
    """`read` with config, catalog and state files, the source built as the console script builds it."""
    with tempfile.TemporaryDirectory() as folder:
        paths = {name: Path(folder) / f"{name}.json" for name in ("config", "catalog", "state")}
        paths["config"].write_text(json.dumps(config))
        paths["catalog"].write_text(json.dumps(catalog))
        paths["state"].write_text(state_text)
        args = ["read", "--config", str(paths["config"]), "--catalog", str(paths["catalog"]), "--state", str(paths["state"])]
        return _run_command(_source(args), args)

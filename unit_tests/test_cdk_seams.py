"""Each private part of the CDK the connector relies on (source_sendoso/cdk_seams.py) is still
there and still behaves as relied on.

A failure names the CDK change: after an upgrade of airbyte-cdk, it says which function of
cdk_seams.py to look at before any sync behaves differently.
"""

from __future__ import annotations

import importlib.metadata
import inspect
import subprocess
import sys
from typing import Any, Iterable, Mapping, Optional

import pytest

from airbyte_cdk.models import AirbyteStateMessageSerializer
from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeSingleUseRefreshTokenOauth2Authenticator
from airbyte_cdk.sources.declarative.models import Spec as SpecModel
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.retrievers.retriever import Retriever
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.streams.concurrent.partitions.stream_slicer import StreamSlicer
from airbyte_cdk.sources.streams.http.exceptions import DefaultBackoffException
from airbyte_cdk.sources.types import StreamSlice
from airbyte_cdk.test.mock_http import HttpMocker

from mock_server.config import ConfigBuilder
from mock_server.requests import token_request
from mock_server.responses import error_response, token_response
from source_sendoso import cdk_seams
from source_sendoso.cdk_seams import (
    is_token_request_replaced,
    replace_slicer_and_retriever,
    replace_token_request,
    slicer_and_retriever_of,
    state_manager_of,
    use_component_factory,
)
from source_sendoso.source import SourceSendoso

CDK_VERSION = importlib.metadata.version("airbyte-cdk")


def changed(seam: str, what: str) -> str:
    checked = cdk_seams.CHECKED_AGAINST
    return f"airbyte-cdk {CDK_VERSION} (the seam was checked against {checked}): {what}; see {seam} in source_sendoso/cdk_seams.py"


# --- replace_token_request -----------------------------------------------------------------


class _ProbeAuthenticator(DeclarativeSingleUseRefreshTokenOauth2Authenticator):
    """A class of its own, so that what a test replaces is not the class the connector uses."""


def _probe_authenticator() -> _ProbeAuthenticator:
    return _ProbeAuthenticator(
        connector_config={"credentials": {"refresh_token": "test-refresh-token"}},
        token_refresh_endpoint="https://app.sendoso.com/oauth/token",
        client_id="test-client-id",
        client_secret="test-client-secret",
    )


def test_the_token_request_is_a_backoff_wrapper_around_one_request() -> None:
    seam = "replace_token_request"
    request = getattr(DeclarativeSingleUseRefreshTokenOauth2Authenticator, "_make_handled_request", None)
    assert request is not None, changed(seam, "`AbstractOauth2Authenticator._make_handled_request` is gone")
    attempt = getattr(request, "__wrapped__", None)
    assert attempt is not None, changed(seam, "`_make_handled_request` is no longer a `backoff` wrapper (no `__wrapped__`)")
    assert list(inspect.signature(attempt).parameters) == ["self"], changed(seam, "`_make_handled_request` changed its signature")


def test_one_token_attempt_is_one_request_and_a_5xx_is_retryable() -> None:
    """One attempt of the token request is one HTTP request, and a 5xx answer is a retryable failure."""
    # A 500 then a token: the CDK's wrapper would retry into the token, one attempt must not,
    # and must fail as the exception oauth.bound_token_refresh retries.
    attempt = DeclarativeSingleUseRefreshTokenOauth2Authenticator._make_handled_request.__wrapped__
    with HttpMocker() as http_mocker:
        http_mocker.post(token_request(), [error_response(500, "down"), token_response()])

        with pytest.raises(Exception) as raised:
            attempt(_probe_authenticator())

    assert isinstance(raised.value, DefaultBackoffException), changed(
        "replace_token_request",
        f"one attempt of `_make_handled_request` answered a 500 with {raised.value!r}, not DefaultBackoffException",
    )


def test_a_replaced_token_request_is_what_refresh_access_token_calls() -> None:
    calls = []

    def replacement(attempt: Any) -> Any:
        def request(self: Any) -> Mapping[str, Any]:
            calls.append(attempt)
            return {"access_token": "from-the-replacement", "expires_in": 7200, "refresh_token": "rotated"}

        return request

    assert replace_token_request(_ProbeAuthenticator, replacement), changed("replace_token_request", "the token request was not replaced")
    access_token = _probe_authenticator().refresh_access_token()[0]

    assert access_token == "from-the-replacement" and len(calls) == 1, changed(
        "replace_token_request", "`refresh_access_token` no longer gets its answer from `_make_handled_request`"
    )


def test_replacing_the_token_request_is_idempotent_and_subclasses_share_it() -> None:
    """Replacing the token request twice replaces it once, and a subclass wraps the same attempt."""

    class Parent(DeclarativeSingleUseRefreshTokenOauth2Authenticator):
        pass

    class Child(Parent):
        pass

    wrapped = []

    def replacement(attempt: Any) -> Any:
        wrapped.append(attempt)
        return lambda self: attempt(self)

    assert replace_token_request(Parent, replacement) and replace_token_request(Parent, replacement)
    assert replace_token_request(Child, replacement)

    assert len(wrapped) == 2 and wrapped[0] is wrapped[1]
    assert is_token_request_replaced(Parent) and is_token_request_replaced(Child)


def test_importing_changes_no_cdk_class_and_the_source_bounds_the_token_request() -> None:
    """Importing the connector changes no CDK class; building the source bounds the token request."""
    # In a process of its own: this one's source may already have been built by another test.
    script = (
        "from airbyte_cdk.sources.declarative.auth.oauth import DeclarativeSingleUseRefreshTokenOauth2Authenticator as A\n"
        "from source_sendoso.cdk_seams import is_token_request_replaced\n"
        "import source_sendoso.run, source_sendoso.oauth\n"
        "print(is_token_request_replaced(A))\n"
        "source_sendoso.source.SourceSendoso()\n"
        "print(is_token_request_replaced(A))\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True)

    assert result.stdout.split() == ["False", "True"]


# --- use_component_factory and state_manager_of --------------------------------------------


class _ProbeFactory(ModelToComponentFactory):
    def create_spec(self, model: SpecModel, config: Mapping[str, Any], **kwargs: Any) -> Any:
        return "built by the probe factory"


def test_the_source_builds_its_components_with_the_factory_put_in_its_place() -> None:
    seam = "use_component_factory"
    source = SourceSendoso()
    assert isinstance(getattr(source, "_constructor", None), ModelToComponentFactory), changed(
        seam, "`ConcurrentDeclarativeSource._constructor` is gone or no longer the component factory"
    )
    init_mappings = getattr(ModelToComponentFactory, "_init_mappings", None)
    assert callable(init_mappings), changed(seam, "`ModelToComponentFactory._init_mappings` is gone")
    assert list(inspect.signature(init_mappings).parameters) == ["self"], changed(
        seam, "`ModelToComponentFactory._init_mappings` changed its signature"
    )
    before = source._constructor

    adopted = use_component_factory(source, _ProbeFactory)

    assert source._constructor is adopted and use_component_factory(source, _ProbeFactory) is adopted
    assert adopted.get_message_repository() is before.get_message_repository()
    built = adopted.create_component(SpecModel, {"type": "Spec", "connection_specification": {}}, {})
    assert built == "built by the probe factory", changed(seam, "the factory's dispatch table no longer follows `_init_mappings`")


def test_the_factory_state_manager_holds_the_state_the_source_was_given() -> None:
    state = AirbyteStateMessageSerializer.load(
        {"type": "STREAM", "stream": {"stream_descriptor": {"name": "groups"}, "stream_state": {"updated_at": "2025-01-01T00:00:00.000Z"}}}
    )
    source = SourceSendoso(config=ConfigBuilder().build(), state=[state])

    manager = state_manager_of(source._constructor)

    assert manager.get_stream_state("groups", None) == {"updated_at": "2025-01-01T00:00:00.000Z"}, changed(
        "state_manager_of", "`ModelToComponentFactory._connector_state_manager` no longer holds the source's state"
    )


# --- slicer_and_retriever_of and replace_slicer_and_retriever ------------------------------


class _OneSlice(StreamSlicer):
    def stream_slices(self) -> Iterable[StreamSlice]:
        yield StreamSlice(partition={"probe": "slice"}, cursor_slice={})


class _Records(Retriever):
    def read_records(self, records_schema: Mapping[str, Any], stream_slice: Optional[StreamSlice] = None) -> Iterable[Any]:
        yield {"id": 1, "slice": dict(stream_slice.partition) if stream_slice else None}


def _users_stream() -> Any:
    # One page at a time: the stream as the CDK builds it, without pages.py's slicer.
    config = ConfigBuilder().with_max_concurrent_requests(1).build()
    return next(stream for stream in SourceSendoso(config=config).streams(config) if stream.name == "users")


def test_a_declarative_stream_shows_its_slicer_and_retriever() -> None:
    parts = slicer_and_retriever_of(_users_stream())

    assert parts is not None, changed(
        "slicer_and_retriever_of",
        "`DefaultStream._stream_partition_generator` (a `StreamSlicerPartitionGenerator` with `_stream_slicer` and "
        "`_partition_factory`) or `DeclarativePartitionFactory._retriever` is gone or changed type",
    )
    assert isinstance(parts[1], SimpleRetriever)


def test_a_stream_makes_partitions_from_the_slicer_and_retriever_put_in_place() -> None:
    stream = _users_stream()

    replace_slicer_and_retriever(stream, _OneSlice(), _Records())
    partitions = list(stream.generate_partitions())
    records = [record.data for partition in partitions for record in partition.read()]

    assert records == [{"id": 1, "slice": {"probe": "slice"}}], changed(
        "replace_slicer_and_retriever", "a stream no longer reads `_stream_slicer` and `_retriever` when it makes and reads partitions"
    )

"""Every place the connector relies on a private part of airbyte-cdk, and nowhere else.

A name that starts with `_` may change in any CDK release without notice. Each function here is
one such reliance: its docstring says which internal it uses, why no public hook serves, and the
CDK version it was checked against (`CHECKED_AGAINST`, also the minor pyproject.toml pins). Each
has a test in unit_tests/test_cdk_seams.py that fails naming the CDK change when the internal
moves, and unit_tests/test_cdk_private_names.py keeps private CDK names out of every other module.

Nothing here changes a CDK class when this module is imported: `SourceSendoso.__init__` applies
what it needs, and applying it again changes nothing.
"""

from __future__ import annotations

from typing import Any, Callable, Optional, Tuple, TypeVar

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.retrievers.retriever import Retriever
from airbyte_cdk.sources.declarative.stream_slicers.declarative_partition_generator import (
    DeclarativePartitionFactory,
    StreamSlicerPartitionGenerator,
)
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.partitions.stream_slicer import StreamSlicer

CHECKED_AGAINST = "7.39.1"

# Set on a token request this module has replaced: replacing it again would wrap the replacement.
_REPLACED_MARK = "_sendoso_replaced"

TokenRequest = Callable[[Any], Any]
Factory = TypeVar("Factory", bound=ModelToComponentFactory)


# --- the OAuth token request -------------------------------------------------------------


def replace_token_request(authenticator_class: type, replacement: Callable[[TokenRequest], TokenRequest]) -> bool:
    """Makes `authenticator_class` ask for tokens with `replacement(one_attempt)`, for the whole
    process; whether it is now so (False: the CDK's request is not what this relies on, and is
    left as it is). Applied once: a second call changes nothing.

    Relies on `AbstractOauth2Authenticator._make_handled_request` (airbyte-cdk 7.39.1): the
    method `refresh_access_token` looks up on the authenticator for the token endpoint's JSON
    answer, a `backoff.on_exception` wrapper (300 s of retries, no timeout on an attempt) whose
    `__wrapped__` is one request. No public hook serves: `refresh_access_token` is public but
    calls the wrapper, so anything around it waits out the 300 s before it sees a failure.
    """
    if is_token_request_replaced(authenticator_class):
        return True
    # Looked up through the class's bases: a subclass of a class already replaced wraps the
    # same one attempt (`functools.wraps` keeps `__wrapped__`).
    current = getattr(authenticator_class, "_make_handled_request", None)
    attempt: Optional[TokenRequest] = getattr(current, "__wrapped__", None)
    if attempt is None:
        return False
    replaced = replacement(attempt)
    replaced.__wrapped__ = attempt  # type: ignore[attr-defined]
    setattr(replaced, _REPLACED_MARK, True)
    authenticator_class._make_handled_request = replaced  # type: ignore[attr-defined]
    return True


def is_token_request_replaced(authenticator_class: type) -> bool:
    """Whether `replace_token_request` has replaced the token request of this class itself."""
    return bool(getattr(vars(authenticator_class).get("_make_handled_request"), _REPLACED_MARK, False))


# --- the source's component factory ------------------------------------------------------


def use_component_factory(source: ConcurrentDeclarativeSource, factory_class: type[Factory]) -> Factory:
    """Makes `source` build its components with `factory_class`, a subclass of the CDK's
    factory, holding everything the source's own factory holds (limits, catalog, message
    repository, state manager); the factory in use. Applied once: a second call changes nothing.

    Relies on `ConcurrentDeclarativeSource._constructor`, the factory the source builds its
    components with, and on `ModelToComponentFactory._init_mappings`, which builds the factory's
    dispatch table of bound `create_*` methods (airbyte-cdk 7.39.1). No public hook serves: the
    source creates its factory inside its constructor and takes none from outside, and the
    factory's constructor arguments (limits, catalog) are kept in private attributes only.
    """
    factory = source._constructor
    if isinstance(factory, factory_class):
        return factory
    adopted = factory_class.__new__(factory_class)
    adopted.__dict__.update(vars(factory))
    adopted._init_mappings()  # the dispatch table holds methods bound to the old factory
    source._constructor = adopted
    return adopted


def state_manager_of(factory: ModelToComponentFactory) -> ConnectorStateManager:
    """The connector state manager `factory` gives the cursors it creates.

    Relies on `ModelToComponentFactory._connector_state_manager` (airbyte-cdk 7.39.1). No public
    hook serves: the factory has `get_message_repository()` but no getter for its state manager,
    and a page checkpoint must go through the same manager as the cursor's own states, or the
    state messages of one stream would disagree.
    """
    manager: ConnectorStateManager = factory._connector_state_manager
    return manager


# --- a stream's partitions ---------------------------------------------------------------


def slicer_and_retriever_of(stream: AbstractStream) -> Optional[Tuple[StreamSlicer, Retriever]]:
    """The stream slicer a declarative stream makes its partitions from and the retriever that
    reads them; None for a stream built otherwise.

    Relies on `DefaultStream._stream_partition_generator`, a `StreamSlicerPartitionGenerator`
    whose `_stream_slicer` and `_partition_factory` it holds, and on
    `DeclarativePartitionFactory._retriever` (airbyte-cdk 7.39.1). No public hook serves: a built
    stream exposes neither, and the factory's `create_default_stream` builds them in one piece.
    """
    generator = getattr(stream, "_stream_partition_generator", None)
    if not isinstance(generator, StreamSlicerPartitionGenerator):
        return None
    partition_factory = getattr(generator, "_partition_factory", None)
    slicer = getattr(generator, "_stream_slicer", None)
    retriever = getattr(partition_factory, "_retriever", None)
    if not (
        isinstance(partition_factory, DeclarativePartitionFactory) and isinstance(slicer, StreamSlicer) and isinstance(retriever, Retriever)
    ):
        return None
    return slicer, retriever


def replace_slicer_and_retriever(stream: AbstractStream, slicer: StreamSlicer, retriever: Retriever) -> None:
    """Makes `stream` make its partitions from `slicer` and read them with `retriever`.

    Relies on the same internals as `slicer_and_retriever_of`, which must have answered for
    `stream`: `StreamSlicerPartitionGenerator.generate` reads `_stream_slicer` and
    `DeclarativePartitionFactory.create` reads `_retriever` each time they are called.
    """
    generator = stream._stream_partition_generator  # type: ignore[attr-defined]
    generator._partition_factory._retriever = retriever
    generator._stream_slicer = slicer

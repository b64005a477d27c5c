"""SourceSendoso: the package's manifest (the spine and its overlay) as an Airbyte source, plus
the input checks the CDK lacks."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
    SyncMode,
)
from airbyte_cdk.sources.declarative.concurrent_declarative_source import ConcurrentDeclarativeSource
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso import overlay
from source_sendoso.cdk_seams import use_component_factory
from source_sendoso.filters import check_filters_against_streams
from source_sendoso.oauth import bound_token_refresh


class SourceSendoso(ConcurrentDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[List[AirbyteStateMessage]] = None,
        **kwargs: Any,
    ) -> None:
        self._hub_objects: Optional[List[Dict[str, Any]]] = None
        super().__init__(catalog=catalog, config=config, state=state, source_config=overlay.manifest(), **kwargs)
        # Pages side by side, hub windows, a checkpoint per page, one budget (overlay.py).
        use_component_factory(self, overlay.SendosoComponentFactory)
        # The token endpoint is waited on and retried within bounds, its refusals named.
        bound_token_refresh()

    @staticmethod
    def connection_specification() -> Mapping[str, Any]:
        """The spec's JSON schema, read from the manifest without building the source."""
        return overlay.connection_specification()

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> Iterator[AirbyteMessage]:
        offered = self.discover(logger, config)
        _check_catalog(offered, catalog, logger)
        check_filters_against_streams(config, {stream.name: stream.json_schema for stream in offered.streams})
        # The CDK drops the state of a stream that is not in the catalog without a word.
        selected = {configured.stream.name for configured in catalog.streams}
        for entry in state or ():
            stream = getattr(entry, "stream", None)
            name = stream.stream_descriptor.name if stream is not None and stream.stream_descriptor else None
            if name is not None and name not in selected:
                logger.warning(
                    f"The state holds stream '{name}', which is not in this sync's catalog (it no longer exists, "
                    "or is not selected): its state is ignored."
                )
        yield from super().read(logger, config, catalog, state)

    @classmethod
    def read_state(cls, state_path: str) -> List[AirbyteStateMessage]:
        # Legacy state, one object of every stream's state (bare, or as the `data` of a LEGACY
        # message), is still what some hand-written state files and older clients hold. The CDK
        # no longer reads it: bare, it fails to parse; as LEGACY, it is dropped without a word
        # and every incremental stream starts over. Read as the per-stream state it stands for.
        if state_path:
            per_stream = _legacy_state_as_per_stream(_json_file(state_path))
            if per_stream is not None:
                return [AirbyteStateMessageSerializer.load(message) for message in per_stream]
        return super().read_state(state_path)

    def check(self, logger: logging.Logger, config: Mapping[str, Any]) -> AirbyteConnectionStatus:
        status = super().check(logger, config)
        if status.status != Status.SUCCEEDED or not config.get("stream_filters"):
            return status
        # Which streams a filter may name depends on the backend, and the hub's generic and
        # child objects are only known once the hub has listed them.
        try:
            check_filters_against_streams(config, {stream.name: stream.json_schema for stream in self.discover(logger, config).streams})
        except AirbyteTracedException as error:
            return AirbyteConnectionStatus(status=Status.FAILED, message=error.message)
        return status

    @property
    def dynamic_streams(self) -> List[Dict[str, Any]]:
        # The hub's `/objects` and each object's metadata are asked once per run, although the
        # catalog check and the read each build the streams. Copies: the CDK edits what it is given.
        if self._hub_objects is None:
            self._hub_objects = super().dynamic_streams
        return copy.deepcopy(self._hub_objects)


def _check_catalog(offered: AirbyteCatalog, catalog: ConfiguredAirbyteCatalog, logger: logging.Logger) -> None:
    """A configured stream the source does not have is a config error before anything is read
    (the CDK marks it incomplete without an error).

    A stream configured in a sync mode it does not offer is read in the mode it offers, as the
    CDK reads it and as clients rely on: PyAirbyte configures every stream incremental, and a
    stream without a cursor is then read in full, with the CDK's no-cursor state. One warning
    names them, so that nobody takes such a stream for an incremental one."""
    streams = {stream.name: stream for stream in offered.streams}
    unknown = [configured.stream.name for configured in catalog.streams if configured.stream.name not in streams]
    if unknown:
        problems = "; ".join(f"the stream '{name}' does not exist" for name in unknown)
        message = (
            f"The configured catalog does not match the source: {problems} (the source has {', '.join(sorted(streams))}). "
            "Refresh the source schema in the connection settings."
        )
        raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)
    read_otherwise: Dict[Tuple[str, str], List[str]] = {}
    for configured in catalog.streams:
        supported = list(streams[configured.stream.name].supported_sync_modes or ())
        if configured.sync_mode not in supported:
            read_as = SyncMode.full_refresh if SyncMode.full_refresh in supported else supported[0]
            read_otherwise.setdefault((configured.sync_mode.value, read_as.value), []).append(configured.stream.name)
    if read_otherwise:
        logger.warning(
            "; ".join(
                f"The catalog asks for {asked} sync of {', '.join(names)}, which offer{'s' if len(names) == 1 else ''} only "
                f"{read_as}: read as {read_as}"
                for (asked, read_as), names in read_otherwise.items()
            )
            + "."
        )


def _json_file(path: str) -> Any:
    """The JSON in the file at `path`; None when it cannot be read (the CDK then says why)."""
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _legacy_state_as_per_stream(state: Any) -> Optional[List[Dict[str, Any]]]:
    """Per-stream STATE messages for a legacy state, or None when the state holds none.

    Legacy state is `{stream name: stream state}`, either the whole file or the `data` of a
    LEGACY message in the list; a STREAM message of the same stream wins over it."""

    def as_messages(by_stream: Any) -> Optional[List[Dict[str, Any]]]:
        if not isinstance(by_stream, dict) or not all(isinstance(value, (dict, type(None))) for value in by_stream.values()):
            return None
        return [
            {"type": "STREAM", "stream": {"stream_descriptor": {"name": name}, "stream_state": value}}
            for name, value in by_stream.items()
            if value is not None
        ]

    if isinstance(state, dict):
        return as_messages(state) if state and "type" not in state else None
    if not isinstance(state, list) or not any(isinstance(entry, dict) and entry.get("type") == "LEGACY" for entry in state):
        return None
    kept = [entry for entry in state if not (isinstance(entry, dict) and entry.get("type") == "LEGACY")]
    named = {((entry.get("stream") or {}).get("stream_descriptor") or {}).get("name") for entry in kept if isinstance(entry, dict)}
    for entry in state:
        if isinstance(entry, dict) and entry.get("type") == "LEGACY":
            converted = as_messages(entry.get("data"))
            if converted is None:
                return None  # not legacy state after all: the CDK says what is wrong with it
            kept += [message for message in converted if message["stream"]["stream_descriptor"]["name"] not in named]
    return kept

"""SourceSendoso: the declarative manifest as an Airbyte source, plus the input checks the CDK lacks."""

from __future__ import annotations

import copy
import logging
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterator, List, Mapping, Optional

import yaml

from airbyte_cdk.models import (
    AirbyteCatalog,
    AirbyteConnectionStatus,
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    Status,
)
from airbyte_cdk.sources.declarative.yaml_declarative_source import YamlDeclarativeSource
from airbyte_cdk.sources.source import TState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso.checkpoints import SendosoComponentFactory
from source_sendoso.filters import check_filters_against_streams

MANIFEST = Path(__file__).parent / "manifest.yaml"


class SourceSendoso(YamlDeclarativeSource):
    def __init__(
        self,
        catalog: Optional[ConfiguredAirbyteCatalog] = None,
        config: Optional[Mapping[str, Any]] = None,
        state: Optional[TState] = None,
        **kwargs: Any,
    ) -> None:
        self._hub_objects: Optional[List[Dict[str, Any]]] = None
        super().__init__(path_to_yaml=str(MANIFEST), catalog=catalog, config=config, state=state, **kwargs)
        # Incremental streams checkpoint after every page, not only when they end.
        self._constructor = SendosoComponentFactory.taking_over(self._constructor)

    @staticmethod
    @lru_cache(maxsize=1)
    def connection_specification() -> Mapping[str, Any]:
        """The spec's JSON schema, read from the manifest without building the source."""
        return yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))["spec"]["connection_specification"]

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: Optional[List[AirbyteStateMessage]] = None,
    ) -> Iterator[AirbyteMessage]:
        offered = self.discover(logger, config)
        _check_catalog(offered, catalog)
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
        # Generic objects exist only on the hub; the direct API has no /objects to ask.
        backend = (self._config or {}).get("backend") or {}
        if backend.get("backend_type") != "cloud_elements":
            return []
        # `/objects` and each object's metadata are asked once per run, although the catalog
        # check and the read each build the streams. Copies: the CDK edits what it is given.
        if self._hub_objects is None:
            self._hub_objects = super().dynamic_streams
        return copy.deepcopy(self._hub_objects)


def _check_catalog(offered: AirbyteCatalog, catalog: ConfiguredAirbyteCatalog) -> None:
    """A configured stream the source does not have, or in a sync mode it does not offer, is a
    config error before anything is read (the CDK marks the first incomplete without an error,
    and silently reads the second as a full refresh)."""
    streams = {stream.name: stream for stream in offered.streams}
    problems = []
    for configured in catalog.streams:
        name = configured.stream.name
        if name not in streams:
            problems.append(f"the stream '{name}' does not exist (the source has {', '.join(sorted(streams))})")
            continue
        supported = [mode.value for mode in streams[name].supported_sync_modes or ()]
        if configured.sync_mode.value not in supported:
            problems.append(f"the stream '{name}' cannot be read in {configured.sync_mode.value} mode (only {', '.join(supported)})")
    if problems:
        message = f"The configured catalog does not match the source: {'; '.join(problems)}. Refresh the source schema in the connection settings."
        raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)

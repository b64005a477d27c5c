from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.state_builder import StateBuilder

from source_sendoso import SourceSendoso


def read_stream(
    stream: str,
    config: Mapping[str, Any],
    sync_mode: SyncMode = SyncMode.full_refresh,
    state: Optional[Dict[str, Any]] = None,
    expecting_exception: bool = False,
) -> EntrypointOutput:
    catalog = CatalogBuilder().with_stream(stream, sync_mode).build()
    state_messages = StateBuilder().with_stream_state(stream, state).build() if state is not None else None
    source = SourceSendoso(catalog=catalog, config=config, state=state_messages)
    return read(source, config, catalog, state_messages, expecting_exception=expecting_exception)


def record_data(output: EntrypointOutput) -> List[Dict[str, Any]]:
    return [message.record.data for message in output.records]

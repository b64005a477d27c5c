"""The `source-sendoso` console script."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import List, Optional

import orjson

from airbyte_cdk.entrypoint import AirbyteEntrypoint, launch
from airbyte_cdk.models import (
    AirbyteErrorTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    FailureType,
    TraceType,
    Type,
)

from source_sendoso.source import SourceSendoso


def _source(args: List[str]) -> Optional[SourceSendoso]:
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    try:
        return SourceSendoso(
            catalog=SourceSendoso.read_catalog(catalog_path) if catalog_path else None,
            config=SourceSendoso.read_config(config_path) if config_path else None,
            state=SourceSendoso.read_state(state_path) if state_path else None,
        )
    except Exception as error:  # reported as an Airbyte trace, as the platform expects
        message = AirbyteMessage(
            type=Type.TRACE,
            trace=AirbyteTraceMessage(
                type=TraceType.ERROR,
                emitted_at=datetime.now(timezone.utc).timestamp() * 1000,
                error=AirbyteErrorTraceMessage(
                    message=f"source-sendoso could not read its inputs: {error}",
                    internal_message=str(error),
                    failure_type=FailureType.config_error,
                ),
            ),
        )
        print(orjson.dumps(AirbyteMessageSerializer.dump(message)).decode())
        return None


def run(args: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    source = _source(args)
    if source is None:
        sys.exit(1)
    launch(source, args)


if __name__ == "__main__":
    run()

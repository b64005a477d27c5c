"""The `source-sendoso` console script."""

from __future__ import annotations

import gc
import sys
from typing import Any, List, Optional

import orjson

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import AirbyteMessageSerializer, ConnectorSpecification, FailureType
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso.config_errors import check_config
from source_sendoso.source import SourceSendoso

_STATE = '{"type":"STATE"'  # how the CDK's serializer starts a state message


class SendosoEntrypoint(AirbyteEntrypoint):
    """The CDK's entrypoint, with config errors that name the field to fix."""

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Any) -> None:
        connector_config, _ = split_config(config)
        check_config(connector_config, source_spec.connectionSpecification)


def _source(args: List[str]) -> Optional[SourceSendoso]:
    """The source for these arguments, or None after reporting why it cannot be built."""
    catalog_path = AirbyteEntrypoint.extract_catalog(args)
    config_path = AirbyteEntrypoint.extract_config(args)
    state_path = AirbyteEntrypoint.extract_state(args)
    try:
        config = SourceSendoso.read_config(config_path) if config_path else None
        if config is not None:
            # Before the manifest reads the config, so that a bad one is named, not tripped over.
            check_config(split_config(config)[0], SourceSendoso.connection_specification())
        return SourceSendoso(
            catalog=SourceSendoso.read_catalog(catalog_path) if catalog_path else None,
            config=config,
            state=SourceSendoso.read_state(state_path) if state_path else None,
        )
    except AirbyteTracedException as error:
        _report(args, error)
    except Exception as error:
        _report(
            args,
            AirbyteTracedException(
                message=f"source-sendoso could not read its inputs: {error}",
                internal_message=str(error),
                failure_type=FailureType.config_error,
            ),
        )
    return None


def _report(args: List[str], error: AirbyteTracedException) -> None:
    # `check` answers a bad config with a failed connection status, as the platform expects.
    status = error.as_connection_status_message() if args[:1] == ["check"] else None
    message = status if status is not None else error.as_airbyte_message()
    print(f"{orjson.dumps(AirbyteMessageSerializer.dump(message)).decode()}\n", end="")


# The collector's first threshold, in container allocations (CPython's default: 700). A read
# allocates containers by the page (the page's objects, the CDK's copies and messages), freed by
# reference counting, not in cycles; at 700 the collector ran over 1,100 times in a read of 100k
# records and its full passes walked every record waiting in the CDK's queue: a tenth of the
# read's CPU (measured). Cycles are still collected, later.
_GC_THRESHOLD = (50_000, 20, 10)


def run(args: Optional[List[str]] = None) -> None:
    args = sys.argv[1:] if args is None else args
    gc.set_threshold(*_GC_THRESHOLD)
    source = _source(args)
    if source is None:
        sys.exit(0 if args[:1] == ["check"] else 1)
    entrypoint = SendosoEntrypoint(source)
    parsed_args = entrypoint.parse_args(args)
    # As the CDK's own `launch`: the log handler writes through PRINT_BUFFER's lock, so every
    # print must too. Without it a long `--debug` line from a worker thread and a record from
    # this thread interleave, and both are lost as unparseable lines.
    with PRINT_BUFFER:
        for message in entrypoint.run(parsed_args):
            # One write per message: the concurrent CDK prints from several threads (`print`
            # would write the message and its `end` apart).
            sys.stdout.write(f"{message}\n")
            if message.startswith(_STATE):
                # The buffer goes out with the next message 0.1 s after the last flush: a checkpoint
                # followed by a quiet spell (a held answer, a backoff) would wait there, and a sync
                # killed meanwhile would resume from the one before it.
                PRINT_BUFFER.flush()


if __name__ == "__main__":
    run()

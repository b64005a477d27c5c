from __future__ import annotations

import contextlib
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional

from airbyte_cdk.models import AirbyteErrorTraceMessage, ConnectorSpecificationSerializer, FailureType, SyncMode, Type
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command, discover, read
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
    with _capturing_control_messages() as controls:
        output = read(source, config, catalog, state_messages, expecting_exception=expecting_exception)
    output.control_configs = controls  # type: ignore[attr-defined]
    return output


@contextlib.contextmanager
def _capturing_control_messages():
    """The OAuth authenticator prints CONNECTOR_CONFIG control messages straight to stdout, where
    the platform reads them; EntrypointOutput never sees them. Collect them, pass the rest on."""
    buffer = io.StringIO()
    controls: List[Dict[str, Any]] = []
    try:
        with contextlib.redirect_stdout(buffer):
            yield controls
    finally:
        for line in buffer.getvalue().splitlines():
            try:
                message = json.loads(line)
            except ValueError:
                message = None
            if isinstance(message, dict) and message.get("type") == "CONTROL":
                controls.append(message["control"]["connectorConfig"]["config"])
            else:
                sys.stdout.write(line + "\n")


def check_connection(config: Mapping[str, Any], expecting_exception: bool = False) -> EntrypointOutput:
    """`check`, as the platform runs it (this CDK has no `check` helper in entrypoint_wrapper)."""
    source = SourceSendoso(catalog=None, config=config, state=None)
    with tempfile.TemporaryDirectory() as folder:
        config_path = Path(folder) / "config.json"
        config_path.write_text(json.dumps(config))
        with _capturing_control_messages() as controls:
            output = _run_command(source, ["check", "--config", str(config_path)], expecting_exception=expecting_exception)
    output.control_configs = controls  # type: ignore[attr-defined]
    return output


def connector_spec() -> Dict[str, Any]:
    """`spec`, as the platform runs it: the connector's one SPEC message, as JSON."""
    output = _run_command(SourceSendoso(catalog=None, config=None, state=None), ["spec"])
    (message,) = output.spec_messages
    return ConnectorSpecificationSerializer.dump(message.spec)


def discover_streams(config: Mapping[str, Any], expecting_exception: bool = False) -> EntrypointOutput:
    source = SourceSendoso(catalog=None, config=config, state=None)
    with _capturing_control_messages() as controls:
        output = discover(source, config, expecting_exception=expecting_exception)
    output.control_configs = controls  # type: ignore[attr-defined]
    return output


def record_data(output: EntrypointOutput) -> List[Dict[str, Any]]:
    return [message.record.data for message in output.records]


def record_ids(output: EntrypointOutput) -> List[Any]:
    return [message.record.data["id"] for message in output.records]


def errors_of_type(output: EntrypointOutput, failure_type: FailureType) -> List[AirbyteErrorTraceMessage]:
    return [message.trace.error for message in output.errors if message.trace.error.failure_type == failure_type]


def control_configs(output: EntrypointOutput) -> List[Dict[str, Any]]:
    """The configs the connector asked the platform to persist (CONTROL / CONNECTOR_CONFIG),
    whether printed straight to stdout or emitted through the entrypoint."""
    emitted = [dict(m.control.connectorConfig.config) for m in output.get_message_iterator() if m.type == Type.CONTROL]
    return list(getattr(output, "control_configs", [])) + emitted


def latest_state(output: EntrypointOutput) -> Dict[str, Any]:
    """The stream state of the last STATE message (fails the test when there is none)."""
    state = output.most_recent_state
    return dict(state.stream_state.__dict__)


def as_emitted(record: Mapping[str, Any]) -> Dict[str, Any]:
    """A record as it reaches the platform: the CDK's message serializer (serpyco, omit_none)
    drops top-level fields whose value is null, so `"end_date": null` arrives as no field."""
    return {key: value for key, value in record.items() if value is not None}

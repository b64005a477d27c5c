"""The user's per-stream CEQL filters (config `stream_filters`): read, checked, pushed down to the
hub, and evaluated on every record with the cursor's condition (`CeqlRecordFilter`)."""

from __future__ import annotations

import json
from dataclasses import InitVar, dataclass
from functools import lru_cache
from importlib import resources
from typing import Any, Callable, Iterable, Mapping, MutableMapping, Optional, Sequence

from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.transformations.config_transformations.config_transformation import ConfigTransformation
from airbyte_cdk.sources.declarative.validators.validation_strategy import ValidationStrategy
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso import ceql
from source_sendoso.slices import is_window


@lru_cache(maxsize=None)
def stream_schemas() -> Mapping[str, Mapping[str, Any]]:
    """Every stream's JSON schema, by stream name, as shipped in the package."""
    folder = resources.files("source_sendoso") / "schemas"
    return {
        entry.name[: -len(".json")]: json.loads(entry.read_text(encoding="utf-8"))
        for entry in folder.iterdir()
        if entry.name.endswith(".json")
    }


def _config_error(message: str) -> AirbyteTracedException:
    return AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)


def _schema_has_path(schema: Mapping[str, Any], path: Sequence[str]) -> bool:
    node: Mapping[str, Any] = schema
    for part in path:
        properties = node.get("properties")
        if properties is None:
            # An object without declared properties (free-form): anything below is fine.
            return True
        if part not in properties:
            return False
        node = properties[part]
        if node.get("type") and "array" in node.get("type", []) and "items" in node:
            node = node["items"]
    return True


def parse_stream_filter(stream: str, where: str, schema: Optional[Mapping[str, Any]] = None) -> ceql.Expr:
    """Parses one filter and checks it against the stream's schema (the packaged one unless
    given), or raises a config error."""
    if schema is None:
        schemas = stream_schemas()
        if stream not in schemas:
            raise _unknown_stream(stream, where, sorted(schemas))
        schema = schemas[stream]
    expression = _parse(stream, where)
    for path in ceql.field_paths(expression):
        if not _schema_has_path(schema, path):
            raise _config_error(
                f"The filter for stream '{stream}' names the field '{'.'.join(path)}', which the stream does not have "
                f"(in: {where}). Fields: {', '.join(sorted(schema.get('properties', {})))}."
            )
    return expression


def check_filters_against_streams(config: Mapping[str, Any], schemas: Mapping[str, Mapping[str, Any]]) -> None:
    """Checks every filter against the streams the source has just discovered on its backend,
    or raises a config error: the stream must be one of them (`return_addresses` is only on
    the hub), and a filter on a stream that only exists at run time (the hub's generic and
    child objects) must name its fields. The packaged streams' fields were checked with the config."""
    packaged = stream_schemas()
    for entry in config.get("stream_filters") or ():
        stream, where = entry.get("stream", ""), entry.get("where", "")
        if stream not in schemas:
            raise _unknown_stream(stream, where, sorted(schemas))
        if stream not in packaged:
            parse_stream_filter(stream, where, schemas[stream])


def _unknown_stream(stream: str, where: str, known: Sequence[str]) -> AirbyteTracedException:
    return _config_error(
        f"Stream filter names the stream '{stream}', which does not exist (in: {where}). Known streams: {', '.join(known)}."
    )


def _parse(stream: str, where: str) -> ceql.Expr:
    try:
        return ceql.parse(where)
    except ceql.CeqlSyntaxError as error:
        raise _config_error(f"The filter for stream '{stream}' is not valid CEQL: {error}") from None


def stream_filter(config: Mapping[str, Any], stream: str) -> Optional[ceql.Expr]:
    """The user's filter for `stream` (several entries for one stream are ANDed), or None.
    Its fields were checked with the config, or, on a run-time stream, before the read."""
    expressions = [_parse(stream, entry["where"]) for entry in config.get("stream_filters") or () if entry.get("stream") == stream]
    return ceql.conjoin(*expressions)


@dataclass
class ValidStreamFilters(ValidationStrategy):
    """Config validation: every entry of `stream_filters` parses, and one on a packaged stream
    names that stream's fields. Any other stream name may be one of the hub's generic or child
    objects, which exist only once the hub is asked: `check_filters_against_streams` checks those."""

    def validate(self, value: Any) -> None:
        for entry in value or ():
            _checked_with_config(entry.get("stream", ""), entry.get("where", ""))


def _checked_with_config(stream: str, where: str) -> ceql.Expr:
    """What can be checked before the backend is asked: the syntax, and on a packaged stream
    the fields."""
    return parse_stream_filter(stream, where) if stream in stream_schemas() else _parse(stream, where)


@dataclass
class PushDownFilters(ConfigTransformation):
    """Renders each stream's filter as the `where=` text the hub is sent (config `ceql_where`).

    Only the hub takes a `where`; the direct API's config is left as it is (its OAuth
    refreshes write the config back to the platform, and this is derived, not the user's).
    A filter that does not parse is skipped here: config validation reports it, with the
    column, where `check` can show it.
    """

    def transform(self, config: MutableMapping[str, Any]) -> None:
        if (config.get("backend") or {}).get("backend_type") != "cloud_elements":
            return
        rendered: dict[str, str] = {}
        for stream in {entry.get("stream") for entry in config.get("stream_filters") or ()}:
            entries = [entry for entry in config["stream_filters"] if entry.get("stream") == stream]
            try:
                expression = ceql.conjoin(*(_checked_with_config(stream, entry.get("where", "")) for entry in entries))
            except AirbyteTracedException:
                continue
            if expression is not None:
                # Parenthesised when it is an OR, so that the manifest can AND the cursor to it.
                text = ceql.render(expression)
                rendered[stream] = f"({text})" if isinstance(expression, ceql.Or) else text
        config["ceql_where"] = rendered


@dataclass
class CeqlRecordFilter(RecordFilter):
    """Keeps the records the stream's CEQL condition selects.

    The condition is the user's filter for this stream (config `stream_filters`) AND, on an
    incremental stream, `<cursor> >= <slice start>` (and `<= <slice end>` in a window of the
    cursor, windows.py, so that a record is kept by exactly one window even from a hub that
    ignores `where=`): one expression, compiled once per slice, with the same meaning the hub
    gives it when it is pushed down as `where=`.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config
    condition: str = ""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        parameters = parameters or {}
        self._stream_name: str = parameters.get("name", "")
        self._cursor_field: str = parameters.get("cursor_field", "")
        self._user_filter = stream_filter(self.config, self._stream_name)
        self._compiled: dict[tuple[Optional[str], Optional[str]], Optional[Callable[[Mapping[str, Any]], bool]]] = {}

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Iterable[Mapping[str, Any]]:
        start = stream_slice.get("start_time") if (stream_slice and self._cursor_field) else None
        end = stream_slice.get("end_time") if (stream_slice and self._cursor_field and is_window(stream_slice)) else None
        try:
            predicate = self._compiled[start, end]
        except KeyError:
            predicate = self._compiled[start, end] = self._compile(start, end)
        if predicate is None:
            return records
        return filter(predicate, records)

    def _compile(self, start: Optional[str], end: Optional[str]) -> Optional[Callable[[Mapping[str, Any]], bool]]:
        lower = ceql.Comparison(ceql.Field((self._cursor_field,)), ">=", ceql.Text(start)) if start else None
        upper = ceql.Comparison(ceql.Field((self._cursor_field,)), "<=", ceql.Text(end)) if end else None
        expression = ceql.conjoin(lower, upper, self._user_filter)
        return ceql.compile_predicate(expression) if expression is not None else None

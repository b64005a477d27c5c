"""The few components the manifest cannot say in YAML.

Each is small and named for what it does; everything else is declared in manifest.yaml.
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import InitVar, dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import partial
from typing import Any, Callable, Iterable, Mapping, MutableMapping, Optional
from urllib.parse import parse_qs, urlparse

import orjson
import requests

from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteTraceMessage,
    EstimateType,
    FailureType,
    TraceType,
    Type,
)
from airbyte_cdk.sources.declarative.decoders.json_decoder import JsonDecoder
from airbyte_cdk.sources.declarative.extractors.dpath_extractor import DpathExtractor
from airbyte_cdk.sources.declarative.extractors.type_transformer import TypeTransformer as DeclarativeTypeTransformer
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, StreamSlice, StreamState
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso.ceql.instants import instant, utc_text, utc_text_of
from source_sendoso.ceql.values import decimal_of
from source_sendoso.config_errors import shorten
from source_sendoso.error_handlers import NOT_CHECKED, checked_body


@dataclass
class SendosoPageExtractor(DpathExtractor):
    """The records of a page, read from the parse the response guard made of it, and, from the
    first page of a Sendoso list, the stream's size.

    Each Sendoso list answers its total under its own name (`total_count`, `total_users`, ...).
    The first page's total becomes an ESTIMATE trace message, so the Airbyte UI can show
    how far a long sync has come. The estimate is never used to stop paging. The hub's lists
    have no total (`total_key` empty).
    """

    total_key: str = ""

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[str, Any]]:
        # The first page is the one asked for without `page`.
        if self.total_key and "page" not in parse_qs(urlparse(response.request.url or "").query):
            total = _json_object(response).get(self.total_key)
            if isinstance(total, int) and not isinstance(total, bool):
                _emit_estimate(self._stream_name, total)
        path = self._fixed_path if self._fixed_path is not None else [part.eval(self.config) for part in self._records_path]
        if self.record_expander is not None or not all(isinstance(key, str) and _PLAIN_KEY.match(key) for key in path):
            return super().extract_records(response)
        return self._records_at(response, path)

    def _records_at(self, response: requests.Response, path: list[str]) -> Iterable[MutableMapping[str, Any]]:
        """DpathExtractor's answer for a path of plain keys, by looking the keys up.

        `dpath.get` finds `sends` by walking every value of the page (about 27 µs per
        record, the largest single cost of a read, measured); the answer is the same. The page
        is the one the response guard parsed when there is one: the JSON decoder would parse
        it again, to the same value (a body orjson cannot read never gets this far).
        """
        parsed = checked_body(response, take=True) if type(self.decoder) is JsonDecoder else NOT_CHECKED
        # What JsonDecoder yields: the items of a list, else the one value.
        bodies = self.decoder.decode(response) if parsed is NOT_CHECKED else parsed if isinstance(parsed, list) else (parsed,)
        for body in bodies:
            extracted: Any = body
            for key in path:
                extracted = extracted.get(key) if isinstance(extracted, dict) else None
            if isinstance(extracted, list):
                yield from extracted
            elif extracted:
                yield extracted

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        # The public `field_path`, interpolated as DpathExtractor does it for itself.
        self._records_path = [InterpolatedString.create(part, parameters=parameters) for part in self.field_path]
        # A path given by the stream's parameters (`records_key`) is the same on every page:
        # rendered once, not once per page (a Jinja render each). One that reads the config is
        # rendered per page, as DpathExtractor renders it.
        reads_config = any("config" in part.string for part in self._records_path)
        self._fixed_path = None if reads_config else [part.eval(self.config) for part in self._records_path]
        self._stream_name = parameters.get("name", "")
        if isinstance(self.total_key, str) and "{{" in self.total_key:
            self.total_key = InterpolatedString.create(self.total_key, parameters=parameters).eval(self.config)


# A path segment dpath would match only literally (no glob characters, not an index).
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _json_object(response: requests.Response) -> Mapping[str, Any]:
    body = checked_body(response)
    if body is NOT_CHECKED:
        try:
            body = response.json()
        except ValueError:
            return {}
    return body if isinstance(body, dict) else {}


def _emit_estimate(stream: str, rows: int) -> None:
    message = AirbyteMessage(
        type=Type.TRACE,
        trace=AirbyteTraceMessage(
            type=TraceType.ESTIMATE,
            emitted_at=time.time() * 1000,
            estimate=AirbyteEstimateTraceMessage(name=stream, type=EstimateType.STREAM, row_estimate=rows),
        ),
    )
    # One write per line, as the CDK's own entrypoint does, so that worker threads and the
    # main thread never interleave halves of two messages.
    print(f"{orjson.dumps(AirbyteMessageSerializer.dump(message)).decode()}\n", end="", flush=True)


@dataclass
class SendUpdatedAt(RecordTransformation):
    """Derives `updated_at` for a send: its latest status update, else its creation.

    Sends carry no `updated_at`, yet status, cost and history change after creation. The
    latest `status_updates[].occurred_at` moves on every change, so it is the cursor. It is
    written in UTC (`...Z`, millisecond precision) so the state is comparable across
    records sent with different offsets.
    """

    def transform(
        self,
        record: dict[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        created = record.get("created_at")
        texts = [created] + [update.get("occurred_at") for update in record.get("status_updates") or ()]
        # Runs on every send. A send's timestamps are written alike (Sendoso's own form, one
        # offset): then text order is time order and only the latest is read as an instant.
        latest_text = _latest_of_one_shape(texts)
        in_utc = _in_utc_or_none(latest_text) if latest_text is not None else None
        if in_utc is None:
            # Mixed forms or offsets: every one is read as an aware datetime and compared.
            latest = None
            for text in texts:
                moment = instant(text)
                if moment is not None and (latest is None or moment > latest):
                    latest = moment
            in_utc = utc_text(latest) if latest is not None else None
        record["updated_at"] = in_utc


def _latest_of_one_shape(texts: list[Any]) -> Optional[str]:
    """The latest timestamp, when every one has one length, one date-time separator and one
    offset (then text order is time order); None when they do not."""
    strings = [text for text in texts if type(text) is str]
    if not strings:
        return None
    first = strings[0]
    shape = (len(first), first[10:11], first[-6:])
    if any((len(text), text[10:11], text[-6:]) != shape for text in strings):
        return None
    return max(strings)


@dataclass
class CanonicalTypes(DeclarativeTypeTransformer):
    """Writes every field in the one form its stream's schema declares.

    Sendoso's docs show some fields in two forms: an amount as decimal text in one place and
    a bare number in another, an id as a number or as text, timestamps with any offset and
    with or without milliseconds. A destination would make a variant column of each. The
    declared type is the canonical form, so the schema says it once for both backends:

    - `string`: a bare number becomes its decimal text (`50` -> "50", `578.0` -> "578.0"),
      digit for digit, so amounts keep their precision; text stays as Sendoso wrote it;
    - `string` + `format: date-time`: any date form becomes the instant in UTC,
      `YYYY-MM-DDTHH:MM:SS.mmmZ` (the form of the cursors and the state);
    - `integer`: integral text or an integral float becomes an int;
    - `number`: decimal text becomes a number;
    - `boolean`: "true" / "false" become booleans;
    - objects and arrays: the same, field by field and item by item.

    A value in none of these forms is left as it came. Each schema is compiled once into a
    plan; per record, a field already of its canonical type costs one type check.
    """

    def __post_init__(self) -> None:
        self._plans: dict[int, tuple[Mapping[str, Any], _Plan]] = {}

    def transform(self, record: dict[str, Any], schema: Mapping[str, Any]) -> None:
        compiled = self._plans.get(id(schema))
        if compiled is None or compiled[0] is not schema:
            # The CDK hands over the same (cached) schema object for every record of a stream.
            compiled = self._plans[id(schema)] = (schema, _plan_of(schema.get("properties") or {}))
        _apply(compiled[1], record)


# (field, its canonical Python type or None when the value itself must be looked at, fix)
_Fix = Callable[[Any], Any]
_Step = tuple[Optional[type], _Fix]
_Plan = tuple[tuple[str, Optional[type], _Fix], ...]


def _plan_of(properties: Mapping[str, Any]) -> _Plan:
    steps = ((name, _step_of(subschema)) for name, subschema in properties.items() if isinstance(subschema, Mapping))
    return tuple((name, *step) for name, step in steps if step is not None)


def _step_of(subschema: Mapping[str, Any]) -> Optional[_Step]:
    declared = subschema.get("type")
    kinds = [declared] if isinstance(declared, str) else [kind for kind in declared or () if kind != "null"]
    if len(kinds) != 1:
        return None  # no type, or a union: no one canonical form to write
    kind = kinds[0]
    if kind == "string":
        return (None, _instant_in_utc) if subschema.get("format") == "date-time" else (str, _decimal_text)
    if kind == "integer":
        return int, _integer
    if kind == "number":
        return float, _number
    if kind == "boolean":
        return bool, _boolean
    if kind == "object":
        plan = _plan_of(subschema.get("properties") or {})
        return (None, partial(_object_in_place, plan)) if plan else None
    if kind == "array":
        items = subschema.get("items")
        item_step = _step_of(items) if isinstance(items, Mapping) else None
        return (None, partial(_items_in_place, item_step)) if item_step is not None else None
    return None


def _apply(plan: _Plan, record: MutableMapping[str, Any]) -> None:
    for name, canonical, fix in plan:
        value = record.get(name)
        if value is not None and type(value) is not canonical:
            fixed = fix(value)
            if fixed is not value:
                record[name] = fixed


def _object_in_place(plan: _Plan, value: Any) -> Any:
    if type(value) is dict:
        _apply(plan, value)
    return value


def _items_in_place(step: _Step, value: Any) -> Any:
    if type(value) is list:
        canonical, fix = step
        for index, item in enumerate(value):
            if item is not None and type(item) is not canonical:
                fixed = fix(item)
                if fixed is not item:
                    value[index] = fixed
    return value


def _instant_in_utc(value: Any) -> Any:
    """The instant of a timestamp in UTC, `YYYY-MM-DDTHH:MM:SS.mmmZ`; else the value as it came.

    Every timestamp of every record comes here. Sendoso's own forms,
    `2022-09-12T12:08:27-07:00` and `2020-05-01T13:53:05.000-07:00`, are converted by
    arithmetic on the text (the same answer as parsing it, property-tested); any other
    form goes through the clock (`ceql.instants`).
    """
    if type(value) is not str:
        return value
    converted = _last_converted
    if value is converted[0]:
        return converted[1]
    length = len(value)
    if length == 25 or length == 29:
        minute_of_day = _MINUTE_OF_DAY.get(value[10:16])
        offset = _OFFSETS.get(value[-6:])
        if (
            minute_of_day is not None
            and offset is not None
            and value[16:19] in _SECONDS
            and (length == 25 or value[19:23] in _MILLISECONDS)
        ):
            day_shift, minute_of_day = divmod(minute_of_day + offset, 1440)
            days = _DAYS.get(value[:10]) or _days_around(value[:10])
            day = days[day_shift + 1]
            if day:
                clock = _CLOCK[minute_of_day]
                return f"{day}T{clock}{value[16:23]}Z" if length == 29 else f"{day}T{clock}{value[16:19]}.000Z"
    elif length == 24 and value[23] == "Z" and value[19] == "." and value[10] == "T":
        return value  # already the canonical form (cursors, derived `updated_at`)
    return utc_text_of(value) or value


def _in_utc_or_none(text: str) -> Optional[str]:
    """`utc_text_of`, by the fast path where there is one."""
    global _last_converted
    in_utc = _instant_in_utc(text)
    _last_converted = (text, in_utc)
    return in_utc if in_utc is not text else utc_text_of(text)


# The timestamp `SendUpdatedAt` converted last, and what `_instant_in_utc` made of it: the
# schema's conversion of the same record meets the very same text object again (the latest
# status update's `occurred_at`, or `created_at`). Compared by identity, which the tuple's
# reference keeps valid, so that a thread reading another's pair gets a right answer too.
_last_converted: tuple[Any, Any] = (None, None)


# The parts of Sendoso's forms, each mapped to what the arithmetic needs: `T13:53` -> 833
# (minute of the day), `-07:00` -> +420 (minutes to add for UTC); seconds and milliseconds
# are the same in UTC. `_CLOCK[833]` is `13:53`. An offset is less than a day, so the UTC
# day is the day before, the same or the day after: `_DAYS` holds the three, "" for none.
_CLOCK = [f"{minute // 60:02d}:{minute % 60:02d}" for minute in range(1440)]
_MINUTE_OF_DAY = {f"T{clock}": minute for minute, clock in enumerate(_CLOCK)}
_SECONDS = frozenset(f":{second:02d}" for second in range(60))
_MILLISECONDS = frozenset(f".{millisecond:03d}" for millisecond in range(1000))
_OFFSETS = {f"{sign}{clock}": (-1 if sign == "+" else 1) * minutes for minutes, clock in enumerate(_CLOCK) for sign in "+-"}
_DAYS: dict[str, tuple[str, str, str]] = {}
_DAYS_KEPT = 100_000
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _days_around(text: str) -> tuple[str, str, str]:
    """The day before `text` (YYYY-MM-DD), itself and the day after; "" where there is none."""
    try:
        day = date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        day = None
    around = ("", "", "")
    if day is not None:
        around = tuple(_shifted(day, shift) for shift in (-1, 0, 1))  # type: ignore[assignment]
    if len(_DAYS) >= _DAYS_KEPT:
        _DAYS.clear()
    _DAYS[text] = around
    return around


def _shifted(day: date, shift: int) -> str:
    try:
        return (day + timedelta(days=shift)).isoformat()
    except OverflowError:
        return ""


def _decimal_text(value: Any) -> Any:
    """A bare JSON number as decimal text: the shortest text that reads back as the same
    number (what the JSON carried, for up to 15 significant digits), never an exponent."""
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is float and math.isfinite(value):
        text = repr(value)
        return format(Decimal(text), "f") if "e" in text else text
    return value


_INTEGER_TEXT = re.compile(r"-?[0-9]{1,4000}")


def _integer(value: Any) -> Any:
    kind = type(value)
    if kind is str and _INTEGER_TEXT.fullmatch(value):
        return int(value)
    if kind is float and value.is_integer():
        return int(value)
    return value


def _number(value: Any) -> Any:
    if type(value) is str:
        number = decimal_of(value)
        if number is not None:
            return number
    return value


def _boolean(value: Any) -> Any:
    if type(value) is str:
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return value


@dataclass
class CursorStateInUtc(StateMigration):
    """Rewrites an incoming cursor state that is not in the clock's one form into it.

    The cursor formats its values with a literal `Z` and does not convert first, so a state of
    `2024-05-01T14:00:00+02:00` (12:00Z) would be read, and written back, as 14:00Z: two hours of
    changes silently skipped (and, for a negative offset, re-read). States in the one form,
    `2024-05-01T12:00:00.000Z` (all this connector writes now), are left exactly as written;
    older ones (`...00.000000Z`, any offset, a date alone) become the same instant in it.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._cursor_field: str = (parameters or {}).get("cursor_field", "updated_at")
        self._stream_name: str = (parameters or {}).get("name", "")

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        value = (stream_state or {}).get(self._cursor_field)
        if value is None:
            return False
        in_utc = utc_text_of(value)
        if in_utc is None:
            # The cursor would fail on it with an unexplained system error.
            message = (
                f"The saved state of stream '{self._stream_name}' has {self._cursor_field} = {shorten(repr(value))}, "
                "which is not a timestamp. Reset the stream, or set its state to a timestamp such as 2025-01-01T00:00:00.000Z."
            )
            raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)
        return in_utc != value

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**stream_state, self._cursor_field: utc_text_of(stream_state[self._cursor_field])}

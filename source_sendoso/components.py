"""The few components the manifest cannot say in YAML.

Each is small and named for what it does; everything else is declared in manifest.yaml.
"""

from __future__ import annotations

import re
import sys
import threading
import time
from dataclasses import InitVar, dataclass, field
from datetime import datetime, timedelta, timezone
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
from airbyte_cdk.sources.declarative.extractors.dpath_extractor import DpathExtractor
from airbyte_cdk.sources.declarative.extractors.record_extractor import RecordExtractor
from airbyte_cdk.sources.declarative.extractors.record_filter import RecordFilter
from airbyte_cdk.sources.declarative.interpolation.interpolated_string import InterpolatedString
from airbyte_cdk.sources.declarative.migrations.state_migration import StateMigration
from airbyte_cdk.sources.declarative.requesters.paginators.strategies.page_increment import PageIncrement
from airbyte_cdk.sources.declarative.transformations import RecordTransformation
from airbyte_cdk.sources.types import Config, Record, StreamSlice, StreamState
from airbyte_cdk.utils.datetime_helpers import ab_datetime_parse
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_sendoso import ceql
from source_sendoso.ceql.instants import _DATE_FORM
from source_sendoso.filters import stream_filter


@dataclass
class SendosoPageIncrement(PageIncrement):
    """Sendoso's `page`/`per_page` paging, first page 1, that cannot loop forever.

    The CDK's PageIncrement already stops on a short or empty page. A server that ignores
    `page` (or a proxy that caches it) would answer the same full page forever; the body of
    each page is compared with the one before it, and a repeat fails the stream loudly
    rather than spinning or silently dropping the rest.
    """

    start_from_page: int = 1
    # The page before, per thread: the pages of a list are read by several threads at once
    # (pages.py), each following its own pages.
    _previous: threading.local = field(default_factory=threading.local, init=False, repr=False)

    def next_page_token(
        self,
        response: requests.Response,
        last_page_size: int,
        last_record: Optional[Record],
        last_page_token_value: Optional[Any],
        page_size_override: Optional[int] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> Optional[Any]:
        if last_page_token_value is None:
            self._previous.page = None
        # The body itself is kept and compared, not a hash of it: a comparison of two pages
        # stops at their first difference (within the first bytes: `current_page`), while
        # hashing reads the whole page and lets go of the GIL, which the worker thread then
        # waits to get back from the main thread (milliseconds per page, measured).
        content = response.content
        if content == getattr(self._previous, "page", None):
            page = last_page_token_value or self.start_from_page
            raise AirbyteTracedException(
                message=(
                    f"Sendoso answered page {page} with exactly the same content as the page before it, "
                    "so paging cannot make progress. Retry the sync later; if it persists, contact Sendoso support."
                ),
                internal_message=f"Repeated page at {response.request.url}",
                failure_type=FailureType.transient_error,
            )
        self._previous.page = content
        return super().next_page_token(
            response, last_page_size, last_record, last_page_token_value, page_size_override, stream_slice
        )


@dataclass
class SendosoPageExtractor(DpathExtractor):
    """The records of a Sendoso page, and, from its first page, the stream's size.

    Each list answers its total under its own name (`total_count`, `total_users`, ...).
    The first page's total becomes an ESTIMATE trace message, so the Airbyte UI can show
    how far a long sync has come. The estimate is never used to stop paging.
    """

    total_key: str = ""

    def extract_records(self, response: requests.Response) -> Iterable[MutableMapping[str, Any]]:
        # The first page is the one asked for without `page`; only it is read twice.
        if "page" not in parse_qs(urlparse(response.request.url).query):
            total = _json_object(response).get(self.total_key)
            if isinstance(total, int) and not isinstance(total, bool):
                _emit_estimate(self._stream_name, total)
        path = [part.eval(self.config) for part in self._field_path]
        if self.record_expander is not None or not all(isinstance(key, str) and _PLAIN_KEY.match(key) for key in path):
            return super().extract_records(response)
        return self._records_at(response, path)

    def _records_at(self, response: requests.Response, path: list[str]) -> Iterable[MutableMapping[str, Any]]:
        """DpathExtractor's answer for a path of plain keys, by looking the keys up.

        `dpath.get` finds `sends` by walking every value of the page (about 27 µs per
        record, the largest single cost of a read, measured); the answer is the same.
        """
        for body in self.decoder.decode(response):
            extracted: Any = body
            for key in path:
                extracted = extracted.get(key) if isinstance(extracted, dict) else None
            if isinstance(extracted, list):
                yield from extracted
            elif extracted:
                yield extracted

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        super().__post_init__(parameters)
        self._stream_name = parameters.get("name", "")
        if isinstance(self.total_key, str) and "{{" in self.total_key:
            self.total_key = InterpolatedString.create(self.total_key, parameters=parameters).eval(self.config)


# A path segment dpath would match only literally (no glob characters, not an index).
_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def _json_object(response: requests.Response) -> Mapping[str, Any]:
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
        latest = _latest_of_one_shape(texts)
        if latest is None:
            # Mixed forms or offsets: every one is read as an aware datetime and compared.
            for text in texts:
                moment = _instant(text)
                if moment is not None and (latest is None or moment > latest):
                    latest = moment
        record["updated_at"] = _utc_text(latest) if latest is not None else None


def _latest_of_one_shape(texts: list[Any]) -> Optional[datetime]:
    """The latest instant, when every timestamp has one length, one date-time separator and
    one offset; None when they do not, or the latest text is not a timestamp."""
    strings = [text for text in texts if type(text) is str]
    if not strings:
        return None
    first = strings[0]
    shape = (len(first), first[10:11], first[-6:])
    if any((len(text), text[10:11], text[-6:]) != shape for text in strings):
        return None
    return _instant(max(strings))


@dataclass
class InstantInUtc(RecordTransformation):
    """Writes one timestamp field in UTC (`...Z`, millisecond precision).

    Sendoso sends offsets (`-07:00`); the same instant written in UTC keeps the cursor,
    and so the state, comparable and normalised whichever offset a record came with.
    """

    field: str = "updated_at"

    def transform(
        self,
        record: dict[str, Any],
        config: Optional[Config] = None,
        stream_state: Optional[StreamState] = None,
        stream_slice: Optional[StreamSlice] = None,
    ) -> None:
        instant = _instant(record.get(self.field))
        if instant is not None:
            record[self.field] = _utc_text(instant)


def _instant_ms(value: Any) -> Optional[int]:
    """Epoch milliseconds of a timestamp in any form CEQL reads as an instant, else None."""
    return ceql.instant_ms(value) if isinstance(value, str) else None


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def _instant(value: Any) -> Optional[datetime]:
    """The instant of a timestamp in any form CEQL reads as one (an aware datetime), else None.

    The same reading as `ceql.instant_ms`, without the epoch arithmetic: the date-form regex
    decides, `fromisoformat` reads (Python 3.11+; earlier ones go through milliseconds).
    """
    if type(value) is not str:
        return None
    if not _FROMISOFORMAT_READS_DATE_FORMS:
        epoch_ms = _instant_ms(value)
        return None if epoch_ms is None else _EPOCH + timedelta(milliseconds=epoch_ms)
    if len(value) < 10 or _DATE_FORM.fullmatch(value) is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:  # an impossible day or time: not a date form
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)


def _utc_text(moment: datetime) -> str:
    """`YYYY-MM-DDTHH:MM:SS.mmmZ`: the instant in UTC, milliseconds truncated."""
    return moment.astimezone(timezone.utc).isoformat(timespec="milliseconds")[:-6] + "Z"


_FROMISOFORMAT_READS_DATE_FORMS = sys.version_info >= (3, 11)


@dataclass
class CeqlRecordFilter(RecordFilter):
    """Keeps the records the stream's CEQL condition selects.

    The condition is the user's filter for this stream (config `stream_filters`) AND, on an
    incremental stream, `<cursor> >= <slice start>`: one expression, compiled once per
    slice, with the same meaning the hub gives it when it is pushed down as `where=`.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config
    condition: str = ""

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        parameters = parameters or {}
        self._stream_name: str = parameters.get("name", "")
        self._cursor_field: str = parameters.get("cursor_field", "")
        self._user_filter = stream_filter(self.config, self._stream_name)
        self._compiled: dict[Optional[str], Optional[Callable[[Mapping[str, Any]], bool]]] = {}

    def filter_records(
        self,
        records: Iterable[Mapping[str, Any]],
        stream_state: StreamState,
        stream_slice: Optional[StreamSlice] = None,
        next_page_token: Optional[Mapping[str, Any]] = None,
    ) -> Iterable[Mapping[str, Any]]:
        start = stream_slice.get("start_time") if (stream_slice and self._cursor_field) else None
        try:
            predicate = self._compiled[start]
        except KeyError:
            predicate = self._compiled[start] = self._compile(start)
        if predicate is None:
            return records
        return filter(predicate, records)

    def _compile(self, start: Optional[str]) -> Optional[Callable[[Mapping[str, Any]], bool]]:
        cursor_condition = (
            ceql.Comparison(ceql.Field((self._cursor_field,)), ">=", ceql.Text(start)) if start else None
        )
        expression = ceql.conjoin(cursor_condition, self._user_filter)
        return ceql.compile_predicate(expression) if expression is not None else None


# Hub objects that already have a named stream (or are served only under a parent).
_NAMED_HUB_OBJECTS = frozenset(
    {
        "me", "users", "groups", "members", "touches", "sent-gifts", "return-addresses",
        "gifts", "touch-styles", "user-custom-templates",
    }
)


@dataclass
class HubGenericObjects(RecordExtractor):
    """Reads the hub's `GET /objects` (a plain array of names) as one record per generic object.

    Objects that already have a named stream are left out; the rest become streams named
    in snake case (`purchase-orders` -> `purchase_orders`, `bulk/jobs` -> `bulk_jobs`).
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config

    def extract_records(self, response: requests.Response) -> Iterable[Mapping[str, Any]]:
        names = response.json()
        if not isinstance(names, list):
            raise AirbyteTracedException(
                message="The hub's list of objects (GET /objects) is not a JSON array of names.",
                internal_message=f"Unexpected /objects body: {str(names)[:200]}",
                failure_type=FailureType.system_error,
            )
        for name in names:
            if isinstance(name, str) and name not in _NAMED_HUB_OBJECTS:
                yield {"object_name": name, "stream_name": re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()}


@dataclass
class CursorStateInUtc(StateMigration):
    """Rewrites an incoming cursor state that carries an offset as the same instant in UTC.

    The cursor formats its values with a literal `Z` and does not convert first, so a state of
    `2024-05-01T14:00:00+02:00` (12:00Z) would be read, and written back, as 14:00Z: two hours of
    changes silently skipped (and, for a negative offset, re-read). States this connector
    writes are already UTC and are left untouched.
    """

    parameters: InitVar[Mapping[str, Any]]
    config: Config
    datetime_format: str = "%Y-%m-%dT%H:%M:%S.%fZ"

    def __post_init__(self, parameters: Mapping[str, Any]) -> None:
        self._cursor_field: str = (parameters or {}).get("cursor_field", "updated_at")
        self._stream_name: str = (parameters or {}).get("name", "")

    def should_migrate(self, stream_state: Mapping[str, Any]) -> bool:
        value = (stream_state or {}).get(self._cursor_field)
        if value is None:
            return False
        utc = self._in_utc(value)
        if utc is None:
            # The cursor would fail on it with an unexplained system error.
            message = (
                f"The saved state of stream '{self._stream_name}' has {self._cursor_field} = {str(value)[:60]!r}, "
                "which is not a timestamp. Reset the stream, or set its state to a timestamp such as 2025-01-01T00:00:00.000Z."
            )
            raise AirbyteTracedException(message=message, internal_message=message, failure_type=FailureType.config_error)
        return utc != value

    def migrate(self, stream_state: Mapping[str, Any]) -> Mapping[str, Any]:
        return {**stream_state, self._cursor_field: self._in_utc(stream_state[self._cursor_field])}

    def _in_utc(self, value: Any) -> Optional[str]:
        if not isinstance(value, str):
            return None
        try:
            instant = ab_datetime_parse(value)
        except ValueError:
            return None
        return instant.astimezone(timezone.utc).strftime(self.datetime_format)

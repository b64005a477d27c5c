"""A cursor of the CDK's concurrent engine that wraps the stream's own cursor: the page checkpoints
(checkpoints.py) and the hub's windows (windows.py) each change a part of what a cursor does, and
whatever they leave alone is the wrapped cursor's, written here once."""

from __future__ import annotations

import threading
from typing import Any, Iterable, Mapping, MutableMapping, Optional

from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor, Cursor, CursorField
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice

from source_sendoso.ceql.instants import is_utc_text


class WrappedCursor(Cursor):
    def __init__(self, cursor: ConcurrentCursor) -> None:
        self._cursor = cursor

    def observe(self, record: Record) -> None:
        self._cursor.observe(record)

    def close_partition(self, partition: Partition) -> None:
        self._cursor.close_partition(partition)

    def stream_slices(self) -> Iterable[StreamSlice]:
        return self._cursor.stream_slices()

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self._cursor.state

    @property
    def cursor_field(self) -> CursorField:
        return self._cursor.cursor_field

    def ensure_at_least_one_state_emitted(self) -> None:
        self._cursor.ensure_at_least_one_state_emitted()

    def should_be_synced(self, record: Record) -> bool:
        return self._cursor.should_be_synced(record)

    def __getattr__(self, name: str) -> Any:
        # Anything else the CDK may ask of a ConcurrentCursor is the wrapped cursor's.
        return getattr(self._cursor, name)


class HighestOnThread:
    """The highest cursor value among the records that this thread reads of one slice.

    The CDK's cursor parses every record's value and hashes its slice to find the highest: on
    the hub's windows, a third of the connector's CPU. Cursor values are in the clock's one form
    (what the streams' transformations write), whose text order is time order, so one comparison
    of text a record does it; the CDK's cursor is then told the highest once, as one record.
    Anything not in that form is no cursor value, as the CDK's cursor would also decide. A
    slice is read on one thread from its first record until it closes (the CDK's partition
    reader); a new slice on the thread starts over, so what a failed slice saw stays with it.
    """

    def __init__(self, field: str) -> None:
        self._field = field
        self._local = threading.local()

    def see(self, record: Record) -> None:
        local = self._local
        if getattr(local, "slice", None) is not record.associated_slice:
            local.slice, local.value = record.associated_slice, None
        value = record.data.get(self._field)
        if type(value) is str and (local.value is None or value > local.value) and is_utc_text(value):
            local.value = value

    def take(self) -> Optional[str]:
        """The highest seen on this thread since the last take."""
        value = getattr(self._local, "value", None)
        self._local.value = None
        return value


class SliceRead(Partition):
    """A slice for the CDK's cursor to close that no partition reader reads: the stream's one
    slice once all its pages are read (checkpoints.py), a window that an interrupted sync read
    whole (windows.py)."""

    def __init__(self, stream_name: str, stream_slice: StreamSlice) -> None:
        self._stream_name = stream_name
        self._slice = stream_slice

    def read(self) -> Iterable[Record]:
        return ()

    def to_slice(self) -> Optional[Mapping[str, Any]]:
        return self._slice

    def stream_name(self) -> str:
        return self._stream_name

    def __hash__(self) -> int:
        return hash((self._stream_name, id(self._slice)))

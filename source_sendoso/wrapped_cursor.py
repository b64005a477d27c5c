"""A cursor of the CDK's concurrent engine that wraps the stream's own cursor: the page checkpoints
(checkpoints.py) and the hub's windows (windows.py) each change a part of what a cursor does, and
whatever they leave alone is the wrapped cursor's, written here once."""

from __future__ import annotations

from typing import Any, Iterable, MutableMapping

from airbyte_cdk.sources.streams.concurrent.cursor import ConcurrentCursor, Cursor, CursorField
from airbyte_cdk.sources.streams.concurrent.partitions.partition import Partition
from airbyte_cdk.sources.types import Record, StreamSlice


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

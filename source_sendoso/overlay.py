"""The package is the spine plus this overlay, applied here and nowhere else.

The spine (manifest.yaml) is pure declarative YAML: every stream, path, field, schema,
authenticator, paginator, error rule and cursor, and on its own the Builder edition that
Airbyte Cloud imports (builder/manifest.yaml). The overlay adds what stock YAML cannot say:

- `manifest()`: the spine with overlay.yaml applied, a JSON Patch that names the package's
  components (the response guard, hub credential errors, estimates, CEQL filters, the one form
  of every field in Python, state migrations, the config's filters and token expiry);
- `SendosoComponentFactory`: how the CDK builds the streams from it: pages read side by side
  (pages.py), the hub's sends in windows (windows.py), a checkpoint per page (checkpoints.py),
  and one request budget for the whole run.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from importlib import resources
from typing import Any, Mapping, MutableMapping, Optional

import jsonpatch
import yaml

from airbyte_cdk.sources.declarative.parsers.model_to_component_factory import ModelToComponentFactory
from airbyte_cdk.sources.declarative.requesters.paginators.default_paginator import DefaultPaginator
from airbyte_cdk.sources.declarative.retrievers.simple_retriever import SimpleRetriever
from airbyte_cdk.sources.message import MessageRepository
from airbyte_cdk.sources.streams.concurrent.abstract_stream import AbstractStream
from airbyte_cdk.sources.streams.concurrent.cursor import FinalStateCursor

from source_sendoso import ceql
from source_sendoso.cdk_seams import state_manager_of
from source_sendoso.cursors.checkpoints import PASS, CheckpointedPages, PageCheckpointCursor, PassPosition
from source_sendoso.cursors.windows import WINDOWS, CursorWindows, WindowsRead, WindowStates
from source_sendoso.filters import stream_filter
from source_sendoso.pages import PagesInOrder, max_concurrent_requests, read_pages_concurrently


def _read(name: str) -> Any:
    return yaml.safe_load((resources.files("source_sendoso") / name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _overlaid() -> Mapping[str, Any]:
    return jsonpatch.apply_patch(_read("manifest.yaml"), _read("overlay.yaml"))


def manifest() -> dict[str, Any]:
    """The package's manifest: the spine with the overlay applied. A copy: the CDK edits what it is given."""
    return copy.deepcopy(dict(_overlaid()))


def connection_specification() -> Mapping[str, Any]:
    """The package's spec, the spine's with the overlay's settings (stream filters, concurrency)."""
    spec: Mapping[str, Any] = _overlaid()["spec"]["connection_specification"]
    return spec


class SendosoComponentFactory(ModelToComponentFactory):
    """The CDK's component factory, giving every single-slice incremental stream page checkpoints.

    The source builds its factory itself: `cdk_seams.use_component_factory` puts this one in its place.
    """

    def create_concurrent_cursor_from_datetime_based_cursor(  # type: ignore[override]
        self,
        model_type: Any,
        component_definition: Mapping[str, Any],
        stream_name: str,
        stream_namespace: Optional[str],
        stream_state: MutableMapping[str, Any],
        config: Mapping[str, Any],
        message_repository: Optional[MessageRepository] = None,
        **kwargs: Any,
    ) -> Any:
        # A cursor with its own message repository is a per-partition cursor's inner one; a
        # cursor with `step` has several slices. Both checkpoint per slice, as the CDK does.
        plain = message_repository is not None or bool(component_definition.get("step"))
        interrupted = (stream_state or {}).get(PASS)
        windows_read = (stream_state or {}).get(WINDOWS)
        if interrupted is not None or windows_read is not None:
            # The CDK carries every key of an incoming state into the states it writes: the
            # finished pass would carry its position on, the finished windows those read before.
            stream_state = {key: value for key, value in stream_state.items() if key not in (PASS, WINDOWS)}
        windows = None if plain else _windows_of(component_definition, config)
        # The CDK's cursor of a stream read in windows writes its states through them (windows.WindowStates).
        states = WindowStates(self.get_message_repository(), state_manager_of(self)) if windows is not None else None
        cursor = super().create_concurrent_cursor_from_datetime_based_cursor(
            model_type,
            component_definition,
            stream_name,
            stream_namespace,
            stream_state,
            config,
            message_repository=message_repository or states,
            **kwargs,
        )
        if plain:
            return cursor
        user_filter = stream_filter(config, stream_name)
        where = ceql.render(user_filter) if user_filter is not None else ""
        if windows is not None:
            return CursorWindows(
                cursor,
                stream_name=stream_name,
                **windows,
                where=where,
                interrupted=WindowsRead.from_state(stream_name, windows_read) if windows_read is not None else None,
                states=states,
            )
        return PageCheckpointCursor(
            cursor,
            stream_name=stream_name,
            backend=str((config.get("backend") or {}).get("backend_type", "")),
            where=where,
            interrupted=PassPosition.from_state(stream_name, interrupted) if interrupted is not None else None,
            message_repository=self.get_message_repository(),
            state_manager=state_manager_of(self),
        )

    # The source's one budget, once built (see create_http_api_budget).
    api_budget: Optional[PagesInOrder] = None

    def create_http_api_budget(self, model: Any, config: Mapping[str, Any], **kwargs: Any) -> Any:
        # The one budget of every request, letting the pages of a list out in page order (pages.py).
        # Built once: the CDK asks for it each time it builds the streams (a read builds them
        # after the hub's discovery, `check` before and after), and a new budget would know
        # nothing of the requests already sent through the one before. Sendoso counted them
        # all the same: every hub read met a 429 in its first second, after its 6 discovery requests.
        if self.api_budget is None:
            self.api_budget = PagesInOrder(super().create_http_api_budget(model, config, **kwargs))
        return self.api_budget

    def create_default_stream(self, model: Any, config: Mapping[str, Any], is_parent: bool = False, **kwargs: Any) -> AbstractStream:
        stream = super().create_default_stream(model, config, is_parent=is_parent, **kwargs)
        # The pages of a Sendoso list are read several at a time (pages.py). A parent stream is
        # read inside its child's partition generator, one page after another; a cursor other
        # than these two would close a slice per page.
        cursor = getattr(stream, "cursor", None)
        if not is_parent and isinstance(cursor, CursorWindows):
            cursor.read_in_lanes(stream)
        if not is_parent and isinstance(cursor, (PageCheckpointCursor, FinalStateCursor)):
            read_pages_concurrently(stream, config, cursor if isinstance(cursor, PageCheckpointCursor) else None)
        return stream

    def create_simple_retriever(self, model: Any, config: Mapping[str, Any], **kwargs: Any) -> SimpleRetriever:
        retriever = super().create_simple_retriever(model, config, **kwargs)
        cursor = kwargs.get("cursor")
        if isinstance(cursor, CursorWindows):
            cursor.probe_with(retriever)
        paginator = retriever.paginator
        if isinstance(cursor, PageCheckpointCursor) and isinstance(paginator, DefaultPaginator):
            cursor.follow_pages_of(paginator.pagination_strategy)
            paginator.pagination_strategy = CheckpointedPages(paginator.pagination_strategy, cursor)
        return retriever


def _windows_of(definition: Mapping[str, Any], config: Mapping[str, Any]) -> Optional[dict[str, Any]]:
    """How a stream whose manifest says `windows` is read in windows of its cursor (windows.py),
    unless the config reads one request at a time."""
    concurrency = max_concurrent_requests(config)
    # The CDK hands the definition over as the model's fields (`parameters`) and only then adds `$parameters`.
    parameters = definition.get("$parameters") or definition.get("parameters") or {}
    if not parameters.get("windows") or concurrency < 2:
        return None
    rate = config.get("requests_per_second", 10)
    return {"concurrency": concurrency, "requests_per_second": rate if isinstance(rate, (int, float)) else 10}

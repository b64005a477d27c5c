"""Run the connector with a variant of its manifest, for experiments (not part of `make bench`).

    python -m benchmarks.variant --set api_budget.policies.1.rates.0.interval=PT1.05S -- read --config C --catalog K
    python -m benchmarks.variant --bare-sends -- read ...   # the bare CDK way of reading sends (see below)

`--set PATH=YAML` replaces one value of the manifest (dotted path, list indexes as numbers).
`--bare-sends` gives `sends` the CDK's plain DpathExtractor and paginator and drops its
transformation and filter: about what a bare CDK manifest for the stream costs.
`--patch-cdk` is an experiment: it removes two CDK per-record costs in the process (see
`patch_cdk`), to measure what an upstream fix would be worth.
The variant (of the package's manifest: the spine with its overlay applied) takes the
manifest's place in the process, and `source-sendoso` runs from it, with the same entrypoint,
components and schemas.
"""

from __future__ import annotations

import argparse
import copy
import sys
from typing import Any

import yaml

from source_sendoso import overlay
from source_sendoso.run import run


def _set(node: Any, dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def bare_sends(manifest: dict[str, Any]) -> None:
    sends = manifest["definitions"]["sends_stream"]
    sends.pop("transformations", None)
    sends.pop("state_migrations", None)
    sends["retriever"] = {
        "type": "SimpleRetriever",
        "requester": {"$ref": "#/definitions/sendoso_requester"},
        "paginator": {
            "type": "DefaultPaginator",
            "page_token_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "page"},
            "page_size_option": {"type": "RequestOption", "inject_into": "request_parameter", "field_name": "per_page"},
            "pagination_strategy": {"type": "PageIncrement", "start_from_page": 1, "page_size": 100},
        },
        "record_selector": {"type": "RecordSelector", "extractor": {"type": "DpathExtractor", "field_path": ["sends"]}},
    }
    sends["incremental_sync"] = dict(manifest["definitions"]["updated_at_cursor"], cursor_field="created_at")
    sends["$parameters"]["cursor_field"] = "created_at"


def patch_cdk() -> None:
    """EXPERIMENT ONLY (never shipped): removes two of the CDK's per-record costs in this
    process, to measure what fixing them upstream would be worth. Each record's cursor is
    parsed with `datetime.strptime` (pure Python) and the record's slice is hashed by
    JSON-dumping and SHA-256-ing it, twice per record in `ConcurrentCursor.observe`."""
    import re
    from datetime import datetime, timezone

    from airbyte_cdk.sources.declarative.datetime.datetime_parser import DatetimeParser
    from airbyte_cdk.sources.types import StreamSlice

    iso = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{1,6}(Z|[+-][0-9]{2}:[0-9]{2})")
    original_parse = DatetimeParser.parse

    def parse(self, date, format):  # type: ignore[no-untyped-def]
        if format in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S.%fZ") and isinstance(date, str) and iso.fullmatch(date):
            moment = datetime.fromisoformat(date)
            return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)
        return original_parse(self, date, format)

    original_hash = StreamSlice.__hash__

    def cached_hash(self):  # type: ignore[no-untyped-def]
        try:
            return self.__dict__["_benchmark_hash"]
        except KeyError:
            value = self.__dict__["_benchmark_hash"] = original_hash(self)
            return value

    DatetimeParser.parse = parse  # type: ignore[method-assign]
    StreamSlice.__hash__ = cached_hash  # type: ignore[method-assign]


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    split = argv.index("--") if "--" in argv else len(argv)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--set", action="append", default=[], metavar="PATH=YAML")
    parser.add_argument("--bare-sends", action="store_true")
    parser.add_argument("--patch-cdk", action="store_true", help="experiment: see patch_cdk()")
    args = parser.parse_args(argv[:split])
    if args.patch_cdk:
        patch_cdk()
    manifest = overlay.manifest()
    for assignment in args.set:
        path, _, value = assignment.partition("=")
        _set(manifest, path, yaml.safe_load(value))
    if args.bare_sends:
        bare_sends(manifest)
    # The source asks for the manifest each time it is built, and edits the copy it is given.
    overlay.manifest = lambda: copy.deepcopy(manifest)  # type: ignore[assignment]
    run(argv[split + 1 :])


if __name__ == "__main__":
    main()

"""Where the connector's time goes: `source-sendoso read` of `sends` under py-spy.

    .venv/bin/pip install py-spy          # by hand: not a dependency, not part of `make bench`
    .venv/bin/python -m benchmarks.profile [--scale 100000] [--backend direct|hub] [--all-threads]

Reads like the throughput benchmark (all features on, rate limit off) with py-spy sampling
the connector. By default only the thread holding the GIL is sampled (`--gil`): a read is
bound by Python's one core of work, so the shares say what that core spends its time on.
Each sample is put in the bucket of the innermost frame that a rule names (so a date parse
inside the derived cursor counts for the cursor, one inside the CEQL filter for the
filter). The raw stacks are kept in `benchmarks/results/profile/` for a flame graph
(`py-spy record -f speedscope` or any collapsed-stack viewer).
"""

from __future__ import annotations

import argparse
import collections
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from .common import BIN, log, read_command, sandbox, scan_sink, sends_catalog, sends_config, workdir, write_json

# (bucket, pattern on a frame "function (path:line)"), tried innermost frame first.
RULES: list[tuple[str, str]] = [
    ("our: CEQL filter", r"source_sendoso/ceql/evaluate\.py|CeqlRecordFilter"),
    ("our: derived updated_at", r"SendUpdatedAt|_latest_of_one_shape|_in_utc_or_none"),
    (
        "our: canonical field types",
        r"^(CanonicalTypes|_apply|_items_in_place|_object_in_place|_instant_in_utc|_days_around|"
        r"_decimal_text|_integer|_number|_boolean)\b.*source_sendoso/components\.py",
    ),
    ("our: page guard + paging", r"ResponseGuard|SendosoPageIncrement|PageIncrement\.next_page_token"),
    ("records out of the page (extractor, dpath)", r"dpath/|SendosoPageExtractor|DpathExtractor|_emit_estimate"),
    ("JSON decode of pages", r"composite_raw_decoder|json_decoder|orjson|json/decoder"),
    ("CDK cursor observe (strptime, slice hash)", r"ConcurrentCursor\.observe|SliceHasher|StreamSlice\.__hash__"),
    (
        "HTTP request (requests, urllib3, CDK client, budget)",
        r"requests/|urllib3/|http/client|socket\.py|ssl\.py|http_client\.py|http_requester\.py|call_rate\.py|pyrate_limiter|"
        r"interpolat|jinja2|authenticator|oauth|request_option|paginator|error_handler",
    ),
    ("CDK: message to JSON line (serializer, orjson)", r"airbyte_message_to_string|AirbyteMessageSerializer|serpyco"),
    ("CDK: stdout (print buffer)", r"print_buffer|PrintBuffer|launch \("),
    (
        "CDK: record to message (main thread)",
        r"stream_data_to_airbyte_message|TypeTransformer|on_record|_handle_item|"
        r"message_repository|state_manager|entrypoint\.py",
    ),
    ("CDK: queue hand-off between threads", r"queue\.py|threading\.py"),
    (
        "CDK: record selector, schema, partition plumbing",
        r"record_selector|simple_retriever|declarative_partition|"
        r"partition_reader|types\.py|record_helper|stream_slicer",
    ),
    ("start-up: imports, manifest, schemas", r"yaml|jsonschema|pydantic"),
]
_COMPILED = [(bucket, re.compile(pattern)) for bucket, pattern in RULES]


_START_UP = re.compile(
    r"<frozen importlib|<module> \((?!source-sendoso)|model_to_component_factory|manifest_component_transformer|"
    r"manifest_reference_resolver|SourceSendoso\.__init__|parse_args|_source \(source_sendoso/run"
)
_PRINT = re.compile(r"^run \(source_sendoso/run\.py")


def bucket_of(frames: list[str]) -> str:
    if any(_START_UP.search(frame) for frame in frames):
        return "start-up: imports, manifest, schemas"
    if frames and _PRINT.search(frames[-1]):
        return "CDK: stdout (print buffer)"
    for frame in reversed(frames):
        for bucket, pattern in _COMPILED:
            if pattern.search(frame):
                return bucket
    return "other"


def summarise(raw: Path) -> dict[str, dict[str, int]]:
    """Samples per bucket, per thread name."""
    by_thread: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack:
            continue
        frames = stack.split(";")
        thread = re.sub(r"thread \(\d+\)(: )?", "", frames[0]) or "MainThread"
        thread = re.sub(r"_\d+$", "", thread)
        by_thread[thread][bucket_of(frames[1:])] += int(count)
    return {thread: dict(counter) for thread, counter in by_thread.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--backend", choices=("direct", "hub"), default="direct")
    parser.add_argument("--rate", type=int, default=250, help="samples per second")
    parser.add_argument("--all-threads", action="store_true", help="sample every thread, idle ones too, not only the GIL holder")
    parser.add_argument("--full-refresh", action="store_true", help="read sends in full refresh instead of incremental")
    parser.add_argument("--variant", nargs="*", default=None, help="arguments of benchmarks.variant (e.g. --bare-sends)")
    args = parser.parse_args(argv)
    py_spy = shutil.which("py-spy", path=str(BIN)) or shutil.which("py-spy")
    if not py_spy:
        print("py-spy is not installed: .venv/bin/pip install py-spy", file=sys.stderr)
        return 2
    folder = workdir("profile")
    with sandbox(args.scale) as sb:
        key = "sendoso" if args.backend == "direct" else "cloud_elements"
        config = write_json(folder / "config.json", sends_config(sb, key, page_size=500 if args.backend == "hub" else None))
        catalog = write_json(folder / "catalog.json", sends_catalog("full_refresh" if args.full_refresh else "incremental"))
        command = read_command(config, catalog)
        if args.variant is not None:
            command = [sys.executable, "-m", "benchmarks.variant", *args.variant, "--", *command[1:]]
        raw = folder / "stacks.txt"
        spy = [py_spy, "record", "-r", str(args.rate), "-f", "raw", "-o", str(raw), "--threads"]
        spy += ["--idle"] if args.all_threads else ["--gil"]
        sink = folder / "read.jsonl"
        log(f"profile: {' '.join(command[:2])} ... under py-spy ({'all threads' if args.all_threads else 'GIL holder'})")
        started = time.perf_counter()
        with open(sink, "wb") as out:
            subprocess.run([*spy, "--", *command], stdout=out, stderr=subprocess.DEVNULL, check=True)
        wall = time.perf_counter() - started
    records = scan_sink(sink)["records"]
    sink.unlink()
    threads = summarise(raw)
    total = sum(sum(c.values()) for c in threads.values())
    overall = collections.Counter()
    for counter in threads.values():
        overall.update(counter)
    print(
        f"\n{records} records in {wall:.1f} s under py-spy ({records / wall:.0f}/s; the profiler slows it down); "
        f"{total} samples at {args.rate}/s = {total / args.rate:.1f} s {'of all threads' if args.all_threads else 'holding the GIL'}"
    )
    names = sorted(threads, key=lambda t: -sum(threads[t].values()))
    print(f"{'bucket':58} {'all':>6}  " + "  ".join(f"{n[:12]:>12}" for n in names))
    for bucket, count in overall.most_common():
        cells = "  ".join(f"{threads[n].get(bucket, 0) / total:>12.1%}" for n in names)
        print(f"{bucket:58} {count / total:>6.1%}  {cells}")
    print(f"{'per record (µs of GIL time)':58} {total / args.rate / records * 1e6:>6.1f}")
    write_json(
        folder / "summary.json",
        {"records": records, "wall_s": wall, "samples": total, "rate": args.rate, "threads": threads, "args": vars(args)},
    )
    print(f"\nraw stacks: {raw.relative_to(Path.cwd()) if raw.is_relative_to(Path.cwd()) else raw}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

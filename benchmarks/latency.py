"""6. The rate ceiling at network latency: concurrent pages against one page at a time.

Sendoso answers from across the internet, a page in a few hundred milliseconds. Read one page
after another, a sync is paced by its round trips long before Sendoso's 10 requests/second;
read several pages at once (source_sendoso/pages.py) it can fill them. Each latency gets a
sandbox with its real limit (10 admitted requests in any sliding second, else 429) that answers
every API request that much later, and `source-sendoso read` of `sends` (incremental, all
features on, `requests_per_second: 10`) runs twice: with `max_concurrent_requests` at its
default, and at 1, the sequential reference.

Reported per run: the sustained rate (least-squares slope of records against time, as in the
rate-ceiling benchmark) as a share of the ceiling (10 requests x 100 records = 1,000 records/s),
the 429s the sandbox answered, and the end-to-end rate (process start to exit).
"""

from __future__ import annotations

import json
import time
from contextlib import contextmanager
from typing import Any, Iterator, Optional, Sequence

import requests

from .common import (
    check_ok,
    log,
    read_command,
    run_measured,
    sandbox,
    scan_sink,
    sends_catalog,
    sends_config,
    stats,
    workdir,
    write_json,
)
from .rate_ceiling import CEILING_RECORDS_PER_S, page_times, slope

LATENCIES_MS = (0, 100, 250, 500)
RATE_LIMIT = 10
# The sandbox's window is one second: a run starting within it of the last run's requests
# would be throttled for them.
PAUSE_BETWEEN_RUNS_S = 1.5


@contextmanager
def latency_sandbox(scale: int, latency_ms: int) -> Iterator[Any]:
    """A rate-limited sandbox whose API answers every request `latency_ms` late: the one place
    that says how latency is made (a `slow` fault on every API request; the sandbox's threads
    each sleep on their own request, so concurrent requests are each delayed, not queued)."""
    with sandbox(scale, rate_limit=RATE_LIMIT) as sb:
        if latency_ms:
            rules = [{"kind": "slow", "path_prefix": prefix, "seconds": latency_ms / 1000} for prefix in ("/api/v3", "/elements/api-v2")]
            response = requests.post(sb.url + "/_sandbox/faults", json=rules, timeout=30)
            response.raise_for_status()
        yield sb


def measure(sb: Any, folder: Any, label: str, concurrency: Optional[int]) -> dict[str, Any]:
    config = sends_config(sb, "sendoso", rps=RATE_LIMIT)
    if concurrency is not None:
        config["max_concurrent_requests"] = concurrency
    config_path = write_json(folder / f"{label}-config.json", config)
    catalog_path = write_json(folder / "catalog.json", sends_catalog("incremental"))
    time.sleep(PAUSE_BETWEEN_RUNS_S)
    before = stats(sb)
    sink = folder / f"{label}.jsonl"
    result = run_measured(read_command(config_path, catalog_path), sink)
    after = stats(sb)
    check_ok(result, sink, f"connector ({label})")
    scanned = scan_sink(sink)
    sink.unlink()
    times, cumulative = page_times(scanned["emitted_at_ms"])
    sustained = slope(times, cumulative)
    records = scanned["records"]
    out = {
        "max_concurrent_requests": concurrency if concurrency is not None else "default",
        "records": records,
        "pages": len(times),
        "wall_s": result.wall_s,
        "throttled_429": after["throttled"] - before["throttled"],
        "sustained_records_per_s": sustained,
        "share_of_ceiling": sustained / CEILING_RECORDS_PER_S if sustained else None,
        "end_to_end_records_per_s": records / result.wall_s,
        "end_to_end_share_of_ceiling": records / result.wall_s / CEILING_RECORDS_PER_S,
    }
    log(
        f"latency/{label}: {records} records, sustained {sustained or 0:.0f}/s "
        f"({(out['share_of_ceiling'] or 0):.1%} of the ceiling), end to end {out['end_to_end_records_per_s']:.0f}/s, "
        f"{out['throttled_429']} x 429"
    )
    return out


def run(
    scale: int = 10_000, latencies_ms: Sequence[int] = LATENCIES_MS, concurrencies: Sequence[Optional[int]] = (None, 1)
) -> dict[str, Any]:
    """`concurrencies`: None is the connector's default."""
    folder = workdir("latency")
    out: dict[str, Any] = {
        "scale": scale,
        "sandbox_rate_limit": f"{RATE_LIMIT} requests per sliding second",
        "ceiling_records_per_s": CEILING_RECORDS_PER_S,
        "latency": {},
    }
    for latency in latencies_ms:
        log(f"latency: a sandbox of {scale} sends, {RATE_LIMIT} requests/second, answering {latency} ms late")
        with latency_sandbox(scale, latency) as sb:
            out["latency"][str(latency)] = {
                "default" if concurrency is None else str(concurrency): measure(
                    sb, folder, f"{latency}ms-{concurrency or 'default'}", concurrency
                )
                for concurrency in concurrencies
            }
    return out


if __name__ == "__main__":
    print(json.dumps(run(scale=3_000), indent=1))

"""6. The rate ceiling at network latency: concurrent reads against one request at a time.

Sendoso answers from across the internet, a page in a few hundred milliseconds. Read one page
after another, a sync is paced by its round trips long before Sendoso's 10 requests/second;
read several pages at once it can fill them. The sandbox runs with its real limit (10 admitted
requests in any sliding second, else 429) and its own standing latency (`/_sandbox/latency`:
every API answer held that long, each request on its own, not queued), set in turn to each
latency. At each, `source-sendoso read` of `sends` (incremental, all features on,
`requests_per_second: 10`) runs on both backends, with `max_concurrent_requests` at its default
and at 1, the sequential reference, side by side in one run. The hub is read with pages of 100
records, as the direct API, so that both have the same ceiling.

Reported per run: the sustained rate (least-squares slope of records against time, as in the
rate-ceiling benchmark) as a share of the ceiling (10 requests x 100 records = 1,000 records/s),
the requests and the 429s the sandbox answered, and the end-to-end rate (process start to exit).
"""

from __future__ import annotations

import json
import time
from typing import Any, Optional, Sequence

from .common import (
    check_ok,
    log,
    read_command,
    request_delta,
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
BACKENDS = {"direct": "sendoso", "hub": "cloud_elements"}
RATE_LIMIT = 10
PAGE_SIZE = 100
# The sandbox's window is one second: a run starting within it of the last run's requests
# would be throttled for them.
PAUSE_BETWEEN_RUNS_S = 1.5


def measure(
    sb: Any, folder: Any, label: str, backend: str, concurrency: Optional[int], overrides: Optional[dict[str, Any]] = None
) -> dict[str, Any]:
    config = sends_config(sb, BACKENDS[backend], rps=RATE_LIMIT, page_size=PAGE_SIZE if backend == "hub" else None)
    if concurrency is not None:
        config["max_concurrent_requests"] = concurrency
    config.update(overrides or {})
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
    requests_made = sum(count for key, count in request_delta(before, after).items() if "/_sandbox" not in key and "/oauth" not in key)
    out = {
        "backend": backend,
        "max_concurrent_requests": concurrency if concurrency is not None else "default",
        "records": records,
        "pages": len(times),
        "api_requests": requests_made,
        "wall_s": result.wall_s,
        "throttled_429": after["throttled"] - before["throttled"],
        "sustained_records_per_s": sustained,
        "share_of_ceiling": sustained / CEILING_RECORDS_PER_S if sustained else None,
        "end_to_end_records_per_s": records / result.wall_s,
        "end_to_end_share_of_ceiling": records / result.wall_s / CEILING_RECORDS_PER_S,
    }
    log(
        f"latency/{label}: {records} records, {requests_made} requests, sustained {sustained or 0:.0f}/s "
        f"({(out['share_of_ceiling'] or 0):.1%} of the ceiling), end to end {out['end_to_end_records_per_s']:.0f}/s "
        f"({result.wall_s:.1f} s), {out['throttled_429']} x 429"
    )
    return out


def run(
    scale: int = 10_000,
    latencies_ms: Sequence[int] = LATENCIES_MS,
    backends: Sequence[str] = tuple(BACKENDS),
    concurrencies: Sequence[Optional[int]] = (None, 1),
) -> dict[str, Any]:
    """`concurrencies`: None is the connector's default."""
    folder = workdir("latency")
    out: dict[str, Any] = {
        "scale": scale,
        "page_size": PAGE_SIZE,
        "sandbox_rate_limit": f"{RATE_LIMIT} requests per sliding second",
        "ceiling_records_per_s": CEILING_RECORDS_PER_S,
        "latency": {},
    }
    log(f"latency: a sandbox of {scale} sends, {RATE_LIMIT} requests/second")
    with sandbox(scale, rate_limit=RATE_LIMIT) as sb:
        for latency in latencies_ms:
            sb.set_latency(latency)
            log(f"latency: every answer {latency} ms late")
            out["latency"][str(latency)] = {
                backend: {
                    "default" if concurrency is None else str(concurrency): measure(
                        sb, folder, f"{latency}ms-{backend}-{concurrency or 'default'}", backend, concurrency
                    )
                    for concurrency in concurrencies
                }
                for backend in backends
            }
    return out


if __name__ == "__main__":
    print(json.dumps(run(scale=3_000), indent=1))

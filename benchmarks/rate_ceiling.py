"""2. The rate ceiling: Sendoso's 10 requests/second x 100 records = 1,000 records/second.

A sandbox with its real limit (more than 10 admitted requests in any sliding second answers
429) is read by `source-sendoso read` of `sends` (all features on, as in the throughput
benchmark) with the connector's own API budget (`requests_per_second: 10`, the default).
Reported: the sustained rate as a share of the ceiling, the 429s the sandbox answered, and
the end-to-end rate (process start to exit, so with start-up and the token refresh).

The sustained rate is the least-squares slope of records read against time (each page's
time is the emitted_at of its first record). A moving-window budget sends a burst of 10
requests and then waits for the window, so a rate measured from the first request to the
last is flattered by the final burst; the slope over many windows is not.

The same read without a client-side budget (`requests_per_second: 0`), where the connector
runs into the limit and backs off, is the comparison: what the budget saves.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

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

CEILING_RECORDS_PER_S = 10 * 100


def slope(times: Sequence[float], values: Sequence[float]) -> Optional[float]:
    n = len(times)
    if n < 2:
        return None
    mean_t, mean_v = sum(times) / n, sum(values) / n
    var = sum((t - mean_t) ** 2 for t in times)
    if var == 0:
        return None
    return sum((t - mean_t) * (v - mean_v) for t, v in zip(times, values)) / var


def page_times(emitted_ms: Sequence[float], per_page: int = 100) -> tuple[list[float], list[int]]:
    """(time of each page in s, records read up to and including it)."""
    times, cumulative = [], []
    for start in range(0, len(emitted_ms), per_page):
        times.append(emitted_ms[start] / 1000)
        cumulative.append(min(start + per_page, len(emitted_ms)))
    return times, cumulative


def measure(sb, folder, label: str, rps: float, command_prefix: Optional[list[str]] = None) -> dict[str, Any]:
    config_path = write_json(folder / f"{label}-config.json", sends_config(sb, "sendoso", rps=rps))
    catalog_path = write_json(folder / "catalog.json", sends_catalog("incremental"))
    command = read_command(config_path, catalog_path)
    if command_prefix is not None:
        command = [*command_prefix, *command[1:]]
    before = stats(sb)
    sink = folder / f"{label}.jsonl"
    result = run_measured(command, sink)
    after = stats(sb)
    check_ok(result, sink, f"connector ({label})")
    scanned = scan_sink(sink)
    sink.unlink()
    times, cumulative = page_times(scanned["emitted_at_ms"])
    sustained = slope(times, cumulative)
    send_requests = {
        k: v - before["requests"].get(k, 0)
        for k, v in after["requests"].items()
        if k.startswith("GET /api/v3/send ") and v - before["requests"].get(k, 0)
    }
    records = scanned["records"]
    out = {
        "requests_per_second_config": rps,
        "records": records,
        "pages": len(times),
        "wall_s": result.wall_s,
        "throttled_429": after["throttled"] - before["throttled"],
        "send_requests": send_requests,
        "sustained_records_per_s": sustained,
        "share_of_ceiling": sustained / CEILING_RECORDS_PER_S if sustained else None,
        "first_to_last_page_s": times[-1] - times[0] if times else None,
        "end_to_end_records_per_s": records / result.wall_s,
        "end_to_end_share_of_ceiling": records / result.wall_s / CEILING_RECORDS_PER_S,
    }
    log(
        f"rate/{label}: {records} records, sustained {sustained or 0:.0f}/s "
        f"({(out['share_of_ceiling'] or 0):.1%} of the ceiling), end to end {out['end_to_end_records_per_s']:.0f}/s, "
        f"{out['throttled_429']} x 429"
    )
    return out


def run(scale: int = 20_000, runs: int = 1, without_budget_scale: int = 6_000) -> dict[str, Any]:
    folder = workdir("rate_ceiling")
    out: dict[str, Any] = {
        "scale": scale,
        "sandbox_rate_limit": "10 requests per sliding second",
        "ceiling_records_per_s": CEILING_RECORDS_PER_S,
    }
    log(f"rate: starting a sandbox of {scale} sends limited to 10 requests/second")
    with sandbox(scale, rate_limit=10) as sb:
        out["with_budget"] = [measure(sb, folder, f"budget-{i}", rps=10) for i in range(runs)]
    if without_budget_scale:
        # Shorter: every 429 costs seconds of backoff.
        with sandbox(without_budget_scale, rate_limit=10) as sb:
            out["without_budget"] = measure(sb, folder, "no-budget", rps=0)
            out["without_budget"]["scale"] = without_budget_scale
    return out

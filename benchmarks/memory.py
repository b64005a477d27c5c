"""3. Memory: peak RSS of a read at a small and a large scale, and of the hub's two ways.

`source-sendoso read` of `sends` (all features on, rate limit off) on the direct API against
sandboxes of `small` and `large` sends. Records stream through, so the larger read should stay
within 1.25x of the smaller. Then, on one sandbox of `hub_scale` sends, the hub read in its
windows (`max_concurrent_requests` at its default) and in one pass (`1`), alternated: the
windows fetch faster than one thread writes, so the CDK's queue between them fills, up to its
bound. The peak RSS is the connector process's own `ru_maxrss`, from `wait4` on exactly that
process.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Optional

from .common import (
    Run,
    check_ok,
    log,
    read_command,
    run_measured,
    sandbox,
    scan_sink,
    sends_catalog,
    sends_config,
    summary,
    workdir,
    write_json,
)

HUB_PAGE_SIZE = 500  # as in the throughput benchmark


def _reads(folder: Path, label: str, config: dict[str, Any], run_index: int, runs: int) -> Run:
    config_path = write_json(folder / f"config-{label}.json", config)
    catalog_path = write_json(folder / "catalog.json", sends_catalog("incremental"))
    sink = folder / f"read-{label}-{run_index}.jsonl"
    result = run_measured(read_command(config_path, catalog_path), sink)
    check_ok(result, sink, f"connector ({label})")
    result.records = scan_sink(sink)["records"]
    sink.unlink()
    log(
        f"memory/{label} run {run_index + 1}/{runs}: {result.records} records, peak RSS {result.max_rss_mib:.1f} MiB, {result.wall_s:.1f} s"
    )
    return result


def _figure(results: list[Run]) -> dict[str, Any]:
    return {
        "records": results[0].records,
        "max_rss_mib": summary([r.max_rss_mib for r in results]),
        "wall_s": summary([r.wall_s for r in results]),
    }


def run(
    small: int = 10_000,
    large: int = 500_000,
    small_runs: int = 3,
    large_runs: int = 1,
    hub_scale: Optional[int] = 200_000,
    hub_runs: int = 1,
) -> dict[str, Any]:
    folder = workdir("memory")
    out: dict[str, Any] = {"stream": "sends", "sync_mode": "incremental (first sync)", "scales": {}}
    for scale, runs in ((small, small_runs), (large, large_runs)):
        log(f"memory: starting a sandbox of {scale} sends")
        with sandbox(scale) as sb:
            config = sends_config(sb, "sendoso")
            results = [_reads(folder, str(scale), config, i, runs) for i in range(runs)]
        out["scales"][str(scale)] = _figure(results)
    small_rss = out["scales"][str(small)]["max_rss_mib"]["median"]
    large_rss = out["scales"][str(large)]["max_rss_mib"]["median"]
    out["ratio"] = large_rss / small_rss
    if hub_scale:
        log(f"memory: starting a sandbox of {hub_scale} sends for the hub")
        with sandbox(hub_scale) as sb:
            windows = sends_config(sb, "cloud_elements", page_size=HUB_PAGE_SIZE)
            configs = {"default": windows, "one_pass": {**windows, "max_concurrent_requests": 1}}
            measured: dict[str, list[Run]] = {way: [] for way in configs}
            for i in range(hub_runs):
                for way in list(configs) if i % 2 == 0 else reversed(list(configs)):
                    measured[way].append(_reads(folder, f"hub-{hub_scale}-{way}", configs[way], i, hub_runs))
        hub = {way: _figure(results) for way, results in measured.items()}
        out["hub"] = {
            "scale": hub_scale,
            "page_size": HUB_PAGE_SIZE,
            **hub,
            "ratio": hub["default"]["max_rss_mib"]["median"] / hub["one_pass"]["max_rss_mib"]["median"],
        }
    return out

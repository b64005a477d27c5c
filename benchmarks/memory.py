"""3. Memory: peak RSS of a read at a small and a large scale.

`source-sendoso read` of `sends` (all features on, rate limit off) against sandboxes of
`small` and `large` sends. The peak RSS is the connector process's own `ru_maxrss`, from
`wait4` on exactly that process. Records stream through, so the larger read should stay
within 1.25x of the smaller.
"""

from __future__ import annotations

from typing import Any

from .common import (
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


def run(small: int = 10_000, large: int = 500_000, small_runs: int = 3, large_runs: int = 1) -> dict[str, Any]:
    folder = workdir("memory")
    out: dict[str, Any] = {"stream": "sends", "sync_mode": "incremental (first sync)", "scales": {}}
    for scale, runs in ((small, small_runs), (large, large_runs)):
        log(f"memory: starting a sandbox of {scale} sends")
        with sandbox(scale) as sb:
            config_path = write_json(folder / f"config-{scale}.json", sends_config(sb, "sendoso"))
            catalog_path = write_json(folder / "catalog.json", sends_catalog("incremental"))
            results = []
            for i in range(runs):
                sink = folder / f"read-{scale}-{i}.jsonl"
                result = run_measured(read_command(config_path, catalog_path), sink)
                check_ok(result, sink, f"connector (scale {scale})")
                result.records = scan_sink(sink)["records"]
                sink.unlink()
                results.append(result)
                log(
                    f"memory/{scale} run {i + 1}/{runs}: {result.records} records, peak RSS {result.max_rss_mib:.1f} MiB, "
                    f"{result.wall_s:.1f} s"
                )
        out["scales"][str(scale)] = {
            "records": results[0].records,
            "max_rss_mib": summary([r.max_rss_mib for r in results]),
            "wall_s": summary([r.wall_s for r in results]),
        }
    small_rss = out["scales"][str(small)]["max_rss_mib"]["median"]
    large_rss = out["scales"][str(large)]["max_rss_mib"]["median"]
    out["ratio"] = large_rss / small_rss
    return out

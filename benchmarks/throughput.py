"""1. Throughput with the rate limit off: the connector against a plain client, same run.

On each backend, a sandbox of `scale` sends (no rate limit) is read by
`source-sendoso read` (stream `sends`, incremental first sync: no state, so every send;
schema, derived `updated_at` cursor and a CEQL filter that keeps every send all on) and by
`python -m benchmarks.baseline`, alternately, `runs` times each. Both write to a file sink.
Reported: records/second from process start to exit (the cost of a sync), the median,
extremes and spread, and the ratio connector/baseline of the medians. The first pair's sinks
are compared record for record, so both did the same work. Before that, the sandbox alone
is timed serving the same pages to a bare `requests` loop (no JSON parsing), to show it is
not the bottleneck. On the direct API a third side, `reference_runs` times, is the bare CDK:
the same manifest with `sends` read the CDK's own way (DpathExtractor, PageIncrement, no
transformation or filter; `benchmarks/variant.py --bare-sends`), for what the CDK costs
before any of this connector's work. On the hub, the third side is the connector reading in one
pass (`max_concurrent_requests: 1`): with answers this near, the windows that pay at real
latency (figure 6) only add threads, and this shows what they cost.

On both backends a fourth side, `runs` times, is the bare plain client (`benchmarks.baseline
--bare`): the same requests, each send written as it came, nothing derived or filtered: what
fetching, parsing and writing the records costs at the least. Against it, the connector's wall
time and CPU time (user + system, of its process alone) as ratios connector/bare, and every
side's CPU microseconds per record.
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path
from typing import Any

import orjson
import requests

from .common import (
    baseline_command,
    check_ok,
    log,
    read_command,
    run_measured,
    sandbox,
    scan_sink,
    sends_catalog,
    sends_config,
    summary,
    variant_command,
    workdir,
    write_json,
)

BACKENDS = (
    # (name, config key, page size): the direct API's maximum is 100, the hub's 500.
    ("direct", "sendoso", None),
    ("hub", "cloud_elements", 500),
)


def records_digest(sink: Path) -> tuple[int, str]:
    """Count and digest of the records' data, in any order (the connector reads several pages
    at a time and delivers them as they come; emitted_at left out)."""
    digests = []
    with open(sink, "rb") as lines:
        for line in lines:
            if line.startswith(b'{"type":"RECORD"'):
                data = orjson.dumps(orjson.loads(line)["record"]["data"], option=orjson.OPT_SORT_KEYS)
                digests.append(hashlib.sha256(data).digest())
    return len(digests), hashlib.sha256(b"".join(sorted(digests))).hexdigest()[:16]


def sandbox_alone(sb, config: dict[str, Any], seconds: float = 2.0) -> dict[str, Any]:
    """Pages/second the sandbox serves to a bare keep-alive requests loop (bodies not parsed)."""
    session = requests.Session()
    backend = config["backend"]
    if backend["backend_type"] == "sendoso":
        token = sb.access_token
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        url, per_page = backend["api_url"] + "/send", 100
        last_page = max(1, requests.get(sb.url + "/_sandbox/stats", timeout=30).json()["records"]["sends"] // per_page)
        params_for = lambda i: {"page": i % last_page + 1, "per_page": per_page}  # noqa: E731
        next_params = None
    else:
        headers = {
            "Authorization": f"User {backend['user_secret']}, Organization {backend['organization_secret']}, "
            f"Element {backend['element_token']}",
            "Accept": "application/json",
        }
        url, per_page = backend["base_url"] + "/hubs/rewards/sent-gifts", backend.get("page_size", 200)
        where = f"updated_at >= '1970-01-01T00:00:00.000000Z' AND {config['stream_filters'][0]['where']}"
        state = {"pageSize": per_page, "where": where}
        params_for = lambda i: dict(state)  # noqa: E731
        next_params = state
    pages = records = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        response = session.get(url, params=params_for(pages), headers=headers, timeout=60)
        response.raise_for_status()
        pages += 1
        if next_params is None:
            records += per_page
            continue
        returned = int(response.headers["Elements-Returned-Count"])
        records += returned
        if returned:
            next_params["nextPage"] = response.headers["Elements-Next-Page-Token"]
        else:  # past the end: start the listing again
            next_params.pop("nextPage", None)
    elapsed = time.perf_counter() - started
    return {"pages": pages, "pages_per_s": pages / elapsed, "records_per_s": records / elapsed}


def run(scale: int = 200_000, runs: int = 3, backends: tuple[str, ...] = ("direct", "hub"), reference_runs: int = 2) -> dict[str, Any]:
    out: dict[str, Any] = {
        "scale": scale,
        "stream": "sends",
        "sync_mode": "incremental (first sync, no state)",
        "filter": "current_total_cost IS NOT NULL (keeps every send)",
        "backends": {},
    }
    folder = workdir("throughput")
    log(f"throughput: starting a sandbox of {scale} sends")
    with sandbox(scale) as sb:
        for name, key, page_size in BACKENDS:
            if name not in backends:
                continue
            config = sends_config(sb, key, page_size=page_size)
            config_path = write_json(folder / f"{name}-config.json", config)
            catalog_path = write_json(folder / "catalog.json", sends_catalog("incremental"))
            alone = sandbox_alone(sb, config)
            log(f"throughput/{name}: sandbox alone serves {alone['records_per_s']:.0f} records/s")
            commands = {
                "connector": read_command(config_path, catalog_path),
                "baseline": [*baseline_command(), "--config", str(config_path)],
                "bare": [*baseline_command(), "--bare", "--config", str(config_path)],
            }
            rounds = {"connector": runs, "baseline": runs, "bare": runs}
            if name == "direct" and reference_runs:
                # The bare CDK's way to read the same pages (benchmarks/variant.py --bare-sends).
                plain = write_json(folder / f"{name}-config-no-filter.json", sends_config(sb, key, stream_filter=None))
                commands["bare_cdk"] = [*variant_command("--bare-sends"), *read_command(plain, catalog_path)[1:]]
                rounds["bare_cdk"] = min(reference_runs, runs)
            if name == "hub" and reference_runs:
                one_pass = write_json(folder / f"{name}-config-one-pass.json", {**config, "max_concurrent_requests": 1})
                commands["one_pass"] = read_command(one_pass, catalog_path)
                rounds["one_pass"] = min(reference_runs, runs)
            measured: dict[str, list] = {who: [] for who in commands}
            for i in range(runs):
                # Alternate who goes first, so drift in the machine's load hits every side alike.
                order = [who for who in ("baseline", "connector", "bare", "bare_cdk", "one_pass") if who in commands and i < rounds[who]]
                if i % 2:
                    order.reverse()
                for who in order:
                    sink = folder / f"{name}-{who}-{i}.jsonl"
                    result = run_measured(commands[who], sink)
                    check_ok(result, sink, f"{who} ({name})")
                    scanned = scan_sink(sink)
                    result.records = scanned["records"]
                    if result.records != scale:
                        raise RuntimeError(f"throughput/{name}: {who} read {result.records} records, expected {scale}")
                    emitted = scanned["emitted_at_ms"]
                    span = (emitted[-1] - emitted[0]) / 1000 if len(emitted) > 1 else 0
                    result.extra = {
                        "records_per_s": result.records / result.wall_s,
                        # From the first record to the last: without start-up and the first request.
                        "steady_records_per_s": (result.records - 1) / span if span else None,
                        "cpu_s_per_1k_records": (result.cpu_user_s + result.cpu_sys_s) / result.records * 1000,
                    }
                    measured[who].append(result)
                    log(
                        f"throughput/{name} run {i + 1}/{rounds[who]} {who}: {result.records} records in {result.wall_s:.2f} s "
                        f"= {result.extra['records_per_s']:.0f}/s, peak RSS {result.max_rss_mib:.0f} MiB"
                    )
                if i == 0:
                    same = {who: records_digest(folder / f"{name}-{who}-0.jsonl") for who in ("connector", "baseline")}
                    if same["connector"] != same["baseline"]:
                        raise RuntimeError(f"throughput/{name}: connector and baseline wrote different records: {same}")
                for sink in folder.glob(f"{name}-*.jsonl"):
                    sink.unlink()  # 200 MB each; the stderr files stay
            entry: dict[str, Any] = {"page_size": page_size or 100, "sandbox_alone": alone}
            for who, results in measured.items():
                entry[who] = {
                    "records_per_s": summary([r.extra["records_per_s"] for r in results]),
                    "steady_records_per_s": summary([r.extra["steady_records_per_s"] or 0 for r in results]),
                    "wall_s": summary([r.wall_s for r in results]),
                    "cpu_s": summary([r.cpu_user_s + r.cpu_sys_s for r in results]),
                    "cpu_s_per_1k_records": summary([r.extra["cpu_s_per_1k_records"] for r in results]),
                    "max_rss_mib": summary([r.max_rss_mib for r in results]),
                    "records": results[0].records,
                    "runs": [r.as_dict() for r in results],
                }
            entry["ratio"] = entry["connector"]["records_per_s"]["median"] / entry["baseline"]["records_per_s"]["median"]
            # Each connector run against the baseline run next to it: robust to drift in the load.
            entry["pair_ratios"] = summary(
                [c.extra["records_per_s"] / b.extra["records_per_s"] for c, b in zip(measured["connector"], measured["baseline"])]
            )
            # CPU seconds per record, baseline over connector: what each record costs the machine,
            # less sensitive than wall time to other load (the baseline's sandbox competes more).
            entry["cpu_ratio"] = entry["baseline"]["cpu_s_per_1k_records"]["median"] / entry["connector"]["cpu_s_per_1k_records"]["median"]
            entry["steady_ratio"] = (
                entry["connector"]["steady_records_per_s"]["median"] / entry["baseline"]["steady_records_per_s"]["median"]
            )
            # Time, not rate: how many times the bare client's wall and CPU the connector takes.
            entry["bare_wall_ratio"] = entry["connector"]["wall_s"]["median"] / entry["bare"]["wall_s"]["median"]
            entry["bare_cpu_ratio"] = entry["connector"]["cpu_s"]["median"] / entry["bare"]["cpu_s"]["median"]
            entry["bare_pair_wall_ratios"] = summary([c.wall_s / b.wall_s for c, b in zip(measured["connector"], measured["bare"])])
            entry["baseline_wall_ratio"] = entry["connector"]["wall_s"]["median"] / entry["baseline"]["wall_s"]["median"]
            entry["baseline_cpu_ratio"] = entry["connector"]["cpu_s"]["median"] / entry["baseline"]["cpu_s"]["median"]
            entry["sandbox_alone_vs_baseline"] = alone["records_per_s"] / entry["baseline"]["records_per_s"]["median"]
            entry["records_identical"] = True
            for reference in ("bare_cdk", "one_pass"):
                if reference in entry:
                    entry[f"{reference}_ratio"] = entry[reference]["records_per_s"]["median"] / entry["baseline"]["records_per_s"]["median"]
            out["backends"][name] = entry
            log(
                f"throughput/{name}: connector/baseline = {entry['ratio']:.2f} (records/s); connector/bare = "
                f"{entry['bare_wall_ratio']:.2f} (wall), {entry['bare_cpu_ratio']:.2f} (CPU)"
            )
    return out

"""`make bench`: the connector's performance, each figure beside its baseline.

    .venv/bin/python -m benchmarks                 # everything, about 10 minutes on 2 cores
    .venv/bin/python -m benchmarks --only throughput rate --runs 5
    .venv/bin/python -m benchmarks --quick         # small scales, one run: a smoke test

1. throughput  `source-sendoso read` of 200k sends vs a plain requests+json client, both backends
2. rate        sustained records/s against the sandbox's real 10 req/s limit, and its 429s
3. memory      peak RSS of a read at 10k and at 500k sends
4. incremental a second sync after 1% of sends changed: requests and records, both backends
5. startup     spec / check / discover wall time vs the bare CDK's `spec`
6. latency     share of the 10 req/s ceiling at 0, 100, 250, 500 ms per answer, direct and hub:
               the default max_concurrent_requests next to 1 (sequential), with their 429s

A complete run writes `benchmarks/results.json` (the latest figures, quoted in README.md);
a partial or --quick run writes `benchmarks/results/partial.json` instead. Nothing here is
asserted by `make test`: the machines are noisy, so every figure carries its runs and spread.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Optional

from . import incremental, latency, memory, rate_ceiling, startup, throughput
from .common import REPO, RESULTS_DIR, git_commit, machine, versions

ALL = ("throughput", "rate", "memory", "incremental", "startup", "latency")


def _fmt(value: Optional[float], digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0%}"


def table(results: dict[str, Any]) -> str:
    rows: list[tuple[str, str, str, str, str]] = []
    add = rows.append
    b = results.get("benchmarks", {})

    if "throughput" in b:
        t = b["throughput"]
        for name, e in t["backends"].items():
            c, bl = e["connector"]["records_per_s"], e["baseline"]["records_per_s"]
            add(
                (
                    f"1. throughput {name}, page {e['page_size']} (records/s)",
                    _fmt(c["median"]),
                    _fmt(bl["median"]) + " plain client",
                    f"{e['ratio']:.2f}",
                    f"{c['runs']}+{bl['runs']} runs, spread {_pct(c['spread'])} / {_pct(bl['spread'])}; "
                    f"run pairs {e['pair_ratios']['min']:.2f}-{e['pair_ratios']['max']:.2f}",
                )
            )
            for reference, label in (("bare_cdk", "bare CDK manifest, same pages"), ("one_pass", "one pass, no windows")):
                if reference in e:
                    r = e[reference]["records_per_s"]
                    add(
                        (
                            f"   {label} (records/s)",
                            _fmt(r["median"]),
                            _fmt(bl["median"]),
                            f"{e[f'{reference}_ratio']:.2f}",
                            f"{r['runs']} runs, spread {_pct(r['spread'])}",
                        )
                    )
            cs, bs = e["connector"]["steady_records_per_s"], e["baseline"]["steady_records_per_s"]
            add(
                (
                    "   steady (first to last record)",
                    _fmt(cs["median"]),
                    _fmt(bs["median"]),
                    f"{e['steady_ratio']:.2f}",
                    f"spread {_pct(cs['spread'])} / {_pct(bs['spread'])}",
                )
            )
            cc, bc = e["connector"]["cpu_s_per_1k_records"], e["baseline"]["cpu_s_per_1k_records"]
            add(
                (
                    "   CPU ms per 1k records (ratio: baseline/connector)",
                    _fmt(cc["median"] * 1000),
                    _fmt(bc["median"] * 1000),
                    f"{bc['median'] / cc['median']:.2f}",
                    "CPU of each process, start-up included: less load-sensitive",
                )
            )
            add(
                (
                    "   sandbox alone (bare fetch, records/s)",
                    _fmt(e["sandbox_alone"]["records_per_s"]),
                    "",
                    f"{e['sandbox_alone_vs_baseline']:.1f}x baseline",
                    "not the bottleneck" if e["sandbox_alone_vs_baseline"] > 1.5 else "CLOSE TO THE BOTTLENECK",
                )
            )

    if "rate" in b:
        r = b["rate"]
        for run in r["with_budget"]:
            add(
                (
                    "2. rate ceiling, budget 10/s (records/s)",
                    _fmt(run["sustained_records_per_s"]),
                    _fmt(r["ceiling_records_per_s"]) + " ceiling",
                    _pct(run["share_of_ceiling"]),
                    f"{run['throttled_429']} x 429, {run['pages']} pages",
                )
            )
            add(
                (
                    "   end to end incl. start-up",
                    _fmt(run["end_to_end_records_per_s"]),
                    "",
                    _pct(run["end_to_end_share_of_ceiling"]),
                    f"{run['wall_s']:.1f} s",
                )
            )
        if "without_budget" in r:
            run = r["without_budget"]
            add(
                (
                    "   without a client budget (records/s)",
                    _fmt(run["sustained_records_per_s"]),
                    "",
                    _pct(run["share_of_ceiling"]),
                    f"{run['throttled_429']} x 429, {run['pages']} pages",
                )
            )

    if "memory" in b:
        m = b["memory"]
        (small, s), (large, big) = list(m["scales"].items())
        add(
            (
                f"3. peak RSS, {int(large):,} vs {int(small):,} sends (MiB)",
                _fmt(big["max_rss_mib"]["median"], 1),
                _fmt(s["max_rss_mib"]["median"], 1),
                f"{m['ratio']:.2f}",
                f"{big['max_rss_mib']['runs']}+{s['max_rss_mib']['runs']} runs, "
                f"spread {_pct(big['max_rss_mib']['spread'])} / {_pct(s['max_rss_mib']['spread'])}",
            )
        )

    if "incremental" in b:
        inc = b["incremental"]
        for name, e in inc["backends"].items():
            note = (
                f"{inc['changed']} changed + {e['second']['records'] - inc['changed']} at the cursor; "
                f"bound ceil({e['second']['records']}/{e['page_size']})+{e.get('extra_requests', 1)} = {e['changes_own_pages_plus_one']}: "
                f"{'within' if e['within_bound'] else 'EXCEEDED'}"
                if name == "hub"
                else f"{inc['changed']} changed; the API has no date filter: every page again"
            )
            add(
                (
                    f"4. incremental {name}: pages, 2nd vs full",
                    _fmt(e["second"]["pages"]),
                    _fmt(e["full"]["pages"]),
                    f"{e['pages_ratio']:.3f}",
                    note,
                )
            )
            add(("   records, 2nd vs full", _fmt(e["second"]["records"]), _fmt(e["full"]["records"]), f"{e['records_ratio']:.3f}", ""))

    if "startup" in b:
        s = b["startup"]["commands"]
        bare = s["bare CDK spec"]["wall_s"]
        for name in ("spec", "check", "discover", "discover (hub)"):
            w = s[name]["wall_s"]
            add(
                (
                    f"5. start-up {name} (s)",
                    _fmt(w["median"], 2),
                    _fmt(bare["median"], 2) + " bare CDK spec",
                    f"{s[name]['ratio_to_bare_spec']:.2f}",
                    f"{w['runs']} runs, spread {_pct(w['spread'])} / {_pct(bare['spread'])}",
                )
            )

    if "latency" in b:
        lat = b["latency"]
        for milliseconds, by_backend in lat["latency"].items():
            for backend, runs in by_backend.items():
                at_once, one = runs.get("default"), runs.get("1")
                if at_once is None or one is None:
                    continue
                ratio = (
                    f"{at_once['sustained_records_per_s'] / one['sustained_records_per_s']:.2f}"
                    if at_once["sustained_records_per_s"] and one["sustained_records_per_s"]
                    else "-"
                )
                add(
                    (
                        f"6. {int(milliseconds)} ms per answer, {backend}: default vs concurrency 1 (records/s)",
                        _fmt(at_once["sustained_records_per_s"]),
                        _fmt(one["sustained_records_per_s"]) + " concurrency 1",
                        ratio,
                        f"{_pct(at_once['share_of_ceiling'])} / {_pct(one['share_of_ceiling'])} of the 1,000/s ceiling; "
                        f"{at_once['throttled_429']} / {one['throttled_429']} x 429; "
                        f"{at_once['api_requests']} / {one['api_requests']} requests",
                    )
                )

    header = ("figure", "connector", "baseline", "ratio", "runs / notes")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in [header, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ALL, help="run only these benchmarks")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side of the throughput benchmark (default 3)")
    parser.add_argument("--quick", action="store_true", help="small scales and one run each: a smoke test, not figures")
    parser.add_argument("--output", help="where to write the JSON (default: benchmarks/results.json for a full run)")
    args = parser.parse_args(argv)
    selected = args.only or list(ALL)
    quick = args.quick
    started = time.monotonic()
    results: dict[str, Any] = {
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d"),
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "commit": git_commit(),
        "machine": machine(),
        "versions": versions(),
        "quick": quick,
        "benchmarks": {},
    }
    runners = {
        "throughput": lambda: throughput.run(
            scale=20_000 if quick else 200_000, runs=1 if quick else args.runs, reference_runs=1 if quick else 2
        ),
        "rate": lambda: rate_ceiling.run(scale=3_000 if quick else 20_000, without_budget_scale=0 if quick else 6_000),
        "memory": lambda: memory.run(small=2_000 if quick else 10_000, large=20_000 if quick else 500_000, small_runs=1 if quick else 3),
        "incremental": lambda: incremental.run(scale=5_000 if quick else 20_000),
        "startup": lambda: startup.run(runs=2 if quick else 5),
        "latency": lambda: latency.run(scale=2_000 if quick else 10_000),
    }
    for name in selected:
        t0 = time.monotonic()
        results["benchmarks"][name] = runners[name]()
        results["benchmarks"][name]["seconds"] = round(time.monotonic() - t0, 1)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["machine"]["load_average_1m_at_end"] = machine()["load_average_1m"]

    if args.output:
        target = Path(args.output) if Path(args.output).is_absolute() else REPO / args.output
    elif quick or args.only:
        target = RESULTS_DIR / "partial.json"
    else:
        target = REPO / "benchmarks" / "results.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=1) + "\n")

    m, v = results["machine"], results["versions"]
    print(
        f"\nsource-sendoso benchmarks, {results['date']}, commit {results['commit']}: {m['cpus']} CPUs, "
        f"Python {m['python']}, airbyte-cdk {v['airbyte-cdk']}, load {m['load_average_1m']} -> {m['load_average_1m_at_end']}"
        f"{', QUICK (not figures)' if quick else ''}"
    )
    print(table(results))
    print(f"\n{results['seconds']:.0f} s in all; written to {target.relative_to(REPO) if target.is_relative_to(REPO) else target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

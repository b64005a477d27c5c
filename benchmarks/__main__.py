"""`make bench`: the connector's performance, each figure beside its baseline.

    .venv/bin/python -m benchmarks                 # everything, about 20 minutes on 2 cores
    .venv/bin/python -m benchmarks --only throughput rate --runs 5
    .venv/bin/python -m benchmarks --quick         # small scales, one run: a smoke test
    .venv/bin/python -m benchmarks --table         # README's table from results.json, nothing run

1. throughput  `source-sendoso read` of 200k sends vs a plain requests+json client doing the same
               work and a bare one (pages in, records out as they came), both backends
2. rate        sustained records/s against the sandbox's real 10 req/s limit, and its 429s
3. memory      peak RSS of a read at 10k and at 500k sends; the hub at 200k in windows and in one pass
4. incremental a second sync after 1% of sends changed: requests and records, both backends
5. startup     spec / check / discover wall time vs the bare CDK's `spec`
6. latency     share of the 10 req/s ceiling at 0, 100, 250, 500 ms per answer, direct and hub:
               the default max_concurrent_requests next to 1 (one pass), with their 429s

Every run that is not --quick puts its figures in `benchmarks/results.json`, each benchmark
with the run it comes from (date, commit, arguments, machine), replacing that benchmark's
earlier figures, and rewrites the table in `benchmarks/README.md`. A run with --only or --quick
also writes what it measured to `benchmarks/results/partial.json`. Nothing here is asserted by
`make test`: the machines are noisy, so every figure carries its runs and spread.
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

RESULTS = REPO / "benchmarks" / "results.json"
README = REPO / "benchmarks" / "README.md"
TABLE_START = "<!-- latest figures: written by `python -m benchmarks` from results.json; edits here are overwritten -->"
TABLE_END = "<!-- end of the latest figures -->"

ALL = ("throughput", "rate", "memory", "incremental", "startup", "latency")

Row = tuple[str, str, str, str, str]


def _fmt(value: Optional[float], digits: int = 0, suffix: str = "") -> str:
    if value is None:
        return "-"
    return f"{value:,.{digits}f}{suffix}"


def _pct(value: Optional[float]) -> str:
    return "-" if value is None else f"{value:.0%}"


def _us_per_record(side: dict[str, Any]) -> float:
    return float(side["cpu_s_per_1k_records"]["median"]) * 1000


def _throughput_rows(t: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    add = rows.append
    for name, e in t["backends"].items():
        c, bl = e["connector"]["records_per_s"], e["baseline"]["records_per_s"]
        add(
            (
                f"1. throughput {name}, page {e['page_size']} (records/s; ratio connector/same-work client)",
                _fmt(c["median"]),
                _fmt(bl["median"]) + " same-work client",
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
        if "bare" in e:
            bw, cw = e["bare"]["wall_s"], e["connector"]["wall_s"]
            add(
                (
                    "   wall s vs bare plain client (ratio connector/bare time)",
                    _fmt(cw["median"], 2),
                    _fmt(bw["median"], 2) + " bare client",
                    f"{e['bare_wall_ratio']:.2f}x",
                    f"{bw['runs']} runs, spread {_pct(bw['spread'])}; run pairs "
                    f"{e['bare_pair_wall_ratios']['min']:.2f}-{e['bare_pair_wall_ratios']['max']:.2f}x; "
                    f"bare {_fmt(e['bare']['records_per_s']['median'])} records/s",
                )
            )
        add(
            (
                "   CPU µs per record vs same-work client (ratio connector/same-work)",
                _fmt(_us_per_record(e["connector"]), 1),
                _fmt(_us_per_record(e["baseline"]), 1),
                f"{_us_per_record(e['connector']) / _us_per_record(e['baseline']):.2f}x",
                "user + system CPU of each process, start-up included: less load-sensitive than wall",
            )
        )
        if "bare" in e:
            add(
                (
                    "   CPU µs per record vs bare plain client (ratio connector/bare)",
                    _fmt(_us_per_record(e["connector"]), 1),
                    _fmt(_us_per_record(e["bare"]), 1) + " bare client",
                    f"{e['bare_cpu_ratio']:.2f}x",
                    f"CPU s {e['connector']['cpu_s']['median']:.2f} / {e['bare']['cpu_s']['median']:.2f}",
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
    return rows


def _rate_rows(r: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for run in r["with_budget"]:
        rows.append(
            (
                "2. rate ceiling, budget 10/s (records/s)",
                _fmt(run["sustained_records_per_s"]),
                _fmt(r["ceiling_records_per_s"]) + " ceiling",
                _pct(run["share_of_ceiling"]),
                f"{run['throttled_429']} x 429, {run['pages']} pages",
            )
        )
        rows.append(
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
        rows.append(
            (
                "   without a client budget (records/s)",
                _fmt(run["sustained_records_per_s"]),
                "",
                _pct(run["share_of_ceiling"]),
                f"{run['throttled_429']} x 429, {run['pages']} pages",
            )
        )
    return rows


def _memory_rows(m: dict[str, Any]) -> list[Row]:
    (small, s), (large, big) = list(m["scales"].items())
    rows: list[Row] = [
        (
            f"3. peak RSS, direct, {int(large):,} vs {int(small):,} sends (MiB)",
            _fmt(big["max_rss_mib"]["median"], 1),
            _fmt(s["max_rss_mib"]["median"], 1),
            f"{m['ratio']:.2f}",
            f"{big['max_rss_mib']['runs']}+{s['max_rss_mib']['runs']} runs, "
            f"spread {_pct(big['max_rss_mib']['spread'])} / {_pct(s['max_rss_mib']['spread'])}",
        )
    ]
    if "hub" in m:
        h = m["hub"]
        windows, one = h["default"]["max_rss_mib"], h["one_pass"]["max_rss_mib"]
        rows.append(
            (
                f"   hub, {h['scale']:,} sends: default (windows) vs one pass (MiB)",
                _fmt(windows["median"], 1),
                _fmt(one["median"], 1) + " one pass",
                f"{h['ratio']:.2f}",
                f"{windows['runs']}+{one['runs']} runs alternated, spread {_pct(windows['spread'])} / {_pct(one['spread'])}; "
                f"{h['default']['wall_s']['median']:.1f} / {h['one_pass']['wall_s']['median']:.1f} s",
            )
        )
    return rows


def _incremental_rows(inc: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
    for name, e in inc["backends"].items():
        note = (
            f"{inc['changed']} changed + {e['second']['records'] - inc['changed']} at the cursor; "
            f"bound ceil({e['second']['records']}/{e['page_size']})+{e.get('extra_requests', 1)} = {e['changes_own_pages_plus_one']}: "
            f"{'within' if e['within_bound'] else 'EXCEEDED'}"
            if name == "hub"
            else f"{inc['changed']} changed; the API has no date filter: every page again"
        )
        rows.append(
            (
                f"4. incremental {name}: pages, 2nd vs full",
                _fmt(e["second"]["pages"]),
                _fmt(e["full"]["pages"]),
                f"{e['pages_ratio']:.3f}",
                note,
            )
        )
        rows.append(("   records, 2nd vs full", _fmt(e["second"]["records"]), _fmt(e["full"]["records"]), f"{e['records_ratio']:.3f}", ""))
    return rows


def _startup_rows(startup_results: dict[str, Any]) -> list[Row]:
    s = startup_results["commands"]
    bare = s["bare CDK spec"]["wall_s"]
    rows: list[Row] = []
    for name in ("spec", "check", "discover", "discover (hub)"):
        w = s[name]["wall_s"]
        rows.append(
            (
                f"5. start-up {name} (s)",
                _fmt(w["median"], 2),
                _fmt(bare["median"], 2) + " bare CDK spec",
                f"{s[name]['ratio_to_bare_spec']:.2f}",
                f"{w['runs']} runs, spread {_pct(w['spread'])} / {_pct(bare['spread'])}",
            )
        )
    return rows


def _latency_rows(lat: dict[str, Any]) -> list[Row]:
    rows: list[Row] = []
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
            rows.append(
                (
                    f"6. {int(milliseconds)} ms per answer, {backend}: default vs one pass (records/s)",
                    _fmt(at_once["sustained_records_per_s"]),
                    _fmt(one["sustained_records_per_s"]) + " one pass",
                    ratio,
                    f"{_pct(at_once['share_of_ceiling'])} / {_pct(one['share_of_ceiling'])} of the 1,000/s ceiling; "
                    f"{at_once['throttled_429']} / {one['throttled_429']} x 429; "
                    f"{at_once['api_requests']} / {one['api_requests']} requests; end to end "
                    f"{_fmt(at_once['end_to_end_records_per_s'])} / {_fmt(one['end_to_end_records_per_s'])} records/s",
                )
            )
    return rows


ROWS = {
    "throughput": _throughput_rows,
    "rate": _rate_rows,
    "memory": _memory_rows,
    "incremental": _incremental_rows,
    "startup": _startup_rows,
    "latency": _latency_rows,
}
HEADER: Row = ("figure", "connector", "baseline", "ratio", "runs / notes")


def table(results: dict[str, Any]) -> str:
    """The figures as aligned text, for the terminal."""
    rows = [row for name in ALL if name in results.get("benchmarks", {}) for row in ROWS[name](results["benchmarks"][name])]
    widths = [max(len(row[i]) for row in [HEADER, *rows]) for i in range(5)]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in [HEADER, *rows]
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _provenance(run: dict[str, Any]) -> str:
    m = run["machine"]
    load = f"load {m['load_average_1m']}" + (f"-{m['load_average_1m_at_end']}" if "load_average_1m_at_end" in m else "")
    return f"{run['date']}, commit {run['commit']}, `{run['arguments']}`, {m['cpus']} CPUs, {load}"


def markdown(results: dict[str, Any]) -> str:
    """The figures as the README's one table: each benchmark's rows with the run they come from."""
    names = [name for name in ALL if name in results.get("benchmarks", {})]
    if not names:
        return "No figures yet: run `python -m benchmarks`."
    runs = [results["benchmarks"][name]["run"] for name in names]
    versions = sorted({f"Python {r['machine']['python']}, airbyte-cdk {r['versions']['airbyte-cdk']}" for r in runs})
    lines = [
        f"Latest figures as of {max(r['date'] for r in runs)} ({'; '.join(versions)}), written from "
        "`benchmarks/results.json`. Each figure's first row names its run; compare only within a run.",
        "",
        "| Figure | Connector | Baseline | Ratio | Runs, notes | Run |",
        "| :--- | ---: | ---: | ---: | :--- | :--- |",
    ]
    for name in names:
        for i, row in enumerate(ROWS[name](results["benchmarks"][name])):
            cells = [cell.strip().replace("|", "\\|") for cell in row]
            cells.append(_provenance(results["benchmarks"][name]["run"]) if i == 0 else "")
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def write_readme_table(results: dict[str, Any], readme: Path = README) -> bool:
    """Rewrite the README between its two markers; False if they are not both there."""
    text = readme.read_text() if readme.exists() else ""
    start, end = text.find(TABLE_START), text.find(TABLE_END)
    if start < 0 or end < start:
        return False
    readme.write_text(text[: start + len(TABLE_START)] + "\n\n" + markdown(results) + "\n\n" + text[end:])
    return True


def load_results(path: Path = RESULTS) -> dict[str, Any]:
    """results.json with every benchmark carrying its run (a file of one whole run gets that run's)."""
    if not path.exists():
        return {"benchmarks": {}}
    results: dict[str, Any] = json.loads(path.read_text())
    whole_run = {
        "date": results.get("date"),
        "started_at": results.get("started_at"),
        "commit": results.get("commit"),
        "arguments": "python -m benchmarks",
        "machine": results.get("machine"),
        "versions": results.get("versions"),
    }
    for figures in results["benchmarks"].values():
        figures.setdefault("run", whole_run)
    return {"benchmarks": results["benchmarks"]}


def merge_results(run: dict[str, Any], path: Path = RESULTS) -> dict[str, Any]:
    """Each benchmark of `run` replaces the same benchmark's figures in results.json."""
    merged = load_results(path)
    merged["benchmarks"].update(run["benchmarks"])
    merged["benchmarks"] = {name: merged["benchmarks"][name] for name in ALL if name in merged["benchmarks"]}
    path.write_text(json.dumps(merged, indent=1) + "\n")
    return merged


def _relative(path: Path) -> Path:
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ALL, help="run only these benchmarks")
    parser.add_argument("--runs", type=int, default=3, help="runs of each side of the throughput benchmark (default 3)")
    parser.add_argument("--quick", action="store_true", help="small scales and one run each: a smoke test, not figures")
    parser.add_argument("--output", help="write the JSON only there: results.json and the README are left alone")
    parser.add_argument("--table", action="store_true", help="run nothing: rewrite README.md's table from results.json and print it")
    args = parser.parse_args(argv)
    if args.table:
        stored = load_results()
        rewritten = write_readme_table(stored)
        print(table(stored))
        print(f"\n{_relative(README)} {'rewritten' if rewritten else 'NOT rewritten: its table markers are missing'}")
        return 0 if rewritten else 1
    selected = args.only or list(ALL)
    quick = args.quick
    started = time.monotonic()
    arguments = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
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
        "memory": lambda: memory.run(
            small=2_000 if quick else 10_000,
            large=20_000 if quick else 500_000,
            small_runs=1 if quick else 3,
            hub_scale=20_000 if quick else 200_000,
        ),
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
    run = {key: results[key] for key in ("date", "started_at", "commit", "machine", "versions")}
    for figures in results["benchmarks"].values():
        figures["run"] = {**run, "arguments": arguments}

    written: list[Path] = []
    if args.output:
        target = Path(args.output) if Path(args.output).is_absolute() else REPO / args.output
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(results, indent=1) + "\n")
        written.append(target)
    else:
        if quick or args.only:
            target = RESULTS_DIR / "partial.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(results, indent=1) + "\n")
            written.append(target)
        if not quick:
            # Figures of a run at full scale are the latest of their benchmarks, whatever else ran.
            write_readme_table(merge_results(results))
            written += [RESULTS, README]

    m, v = results["machine"], results["versions"]
    print(
        f"\nsource-sendoso benchmarks, {results['date']}, commit {results['commit']}: {m['cpus']} CPUs, "
        f"Python {m['python']}, airbyte-cdk {v['airbyte-cdk']}, load {m['load_average_1m']} -> {m['load_average_1m_at_end']}"
        f"{', QUICK (not figures)' if quick else ''}"
    )
    print(table(results))
    print(f"\n{results['seconds']:.0f} s in all; written to {', '.join(str(_relative(path)) for path in written)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

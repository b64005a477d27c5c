"""What every benchmark shares: the sandbox, measured subprocesses, sinks, statistics.

Every figure comes from real processes: the connector is the `source-sendoso` console
script, the baseline is `python -m benchmarks.baseline`, each started on its own and
measured with `os.wait4` (wall time, CPU time and peak RSS of exactly that process).
Their stdout goes to a file sink under `benchmarks/results/` (git-ignored).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence

import requests

from harness.connector import connector_executable
from sendoso_sandbox.core.process import SandboxProcess, start_sandbox

REPO = Path(__file__).resolve().parent.parent
RESULTS_DIR = REPO / "benchmarks" / "results"
BIN = Path(sys.executable).parent

RECORD_PREFIX = b'{"type":"RECORD"'


def bare_cdk_command() -> list[str]:
    script = BIN / "source-declarative-manifest"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from airbyte_cdk.cli.source_declarative_manifest import run; run()"]


def baseline_command() -> list[str]:
    return [sys.executable, "-m", "benchmarks.baseline"]


def variant_command(*options: str) -> list[str]:
    """The connector from a variant of its manifest (benchmarks/variant.py); append the command's arguments."""
    return [sys.executable, "-m", "benchmarks.variant", *options, "--"]


# -- the sandbox ------------------------------------------------------------------------------


@contextmanager
def sandbox(scale: int, rate_limit: float = 0, seed: int = 1) -> Iterator[SandboxProcess]:
    args = ["--port", "0", "--seed", str(seed), "--scale", str(scale), "--rate-limit", str(rate_limit)]
    with start_sandbox(*args, timeout=600) as handle:
        yield handle


def stats(sb: SandboxProcess) -> dict[str, Any]:
    return requests.get(sb.url + "/_sandbox/stats", timeout=30).json()


def reset(sb: SandboxProcess) -> None:
    requests.post(sb.url + "/_sandbox/reset", timeout=120).raise_for_status()


def mutate(sb: SandboxProcess, body: dict[str, Any]) -> dict[str, Any]:
    response = requests.post(sb.url + "/_sandbox/mutate", json=body, timeout=120)
    response.raise_for_status()
    return response.json()


def request_delta(before: dict[str, Any], after: dict[str, Any]) -> dict[str, int]:
    """Requests the sandbox counted between two stats snapshots, by 'METHOD path status'."""
    delta = {}
    for key, count in after["requests"].items():
        diff = count - before["requests"].get(key, 0)
        if diff:
            delta[key] = diff
    return delta


# -- configs and catalogs ---------------------------------------------------------------------

SENDS_FILTER = "current_total_cost IS NOT NULL"


def sends_config(
    sb: SandboxProcess, backend: str, *, rps: float = 0, page_size: Optional[int] = None, stream_filter: Optional[str] = SENDS_FILTER
) -> dict[str, Any]:
    config = json.loads(json.dumps(sb.configs[backend]))
    config["requests_per_second"] = rps
    if page_size is not None:
        config["backend"]["page_size"] = page_size
    if stream_filter:
        config["stream_filters"] = [{"stream": "sends", "where": stream_filter}]
    return config


def sends_catalog(sync_mode: str = "incremental") -> dict[str, Any]:
    stream = {
        "name": "sends",
        "json_schema": {},
        "supported_sync_modes": ["full_refresh", "incremental"],
        "source_defined_cursor": True,
        "default_cursor_field": ["updated_at"],
        "source_defined_primary_key": [["id"]],
    }
    configured = {"stream": stream, "sync_mode": sync_mode, "destination_sync_mode": "append"}
    if sync_mode == "incremental":
        configured["cursor_field"] = ["updated_at"]
    return {"streams": [configured]}


def write_json(path: Path, value: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1))
    return path


def workdir(name: str) -> Path:
    path = RESULTS_DIR / name
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


# -- measured processes -----------------------------------------------------------------------


@dataclass
class Run:
    """One process: what it cost, and what it wrote."""

    command: str
    wall_s: float
    cpu_user_s: float
    cpu_sys_s: float
    max_rss_mib: float
    returncode: int
    records: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def run_measured(command: Sequence[str], sink: Path, *, timeout: float = 900, cwd: Path = REPO) -> Run:
    """Run `command` with stdout to `sink`; wall time from spawn to exit, and the process's
    own CPU time and peak RSS from wait4 (not the parent's, not the sandbox's)."""
    sink.parent.mkdir(parents=True, exist_ok=True)
    with open(sink, "wb") as out, open(sink.with_suffix(".stderr"), "wb") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(list(command), stdout=out, stderr=err, stdin=subprocess.DEVNULL, cwd=cwd)
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                break
            time.sleep(0.002)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(
        command=" ".join(Path(c).name if i == 0 else _repo_relative(c) for i, c in enumerate(command)),
        wall_s=wall,
        cpu_user_s=usage.ru_utime,
        cpu_sys_s=usage.ru_stime,
        max_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        returncode=proc.returncode,
    )


def _repo_relative(argument: str) -> str:
    """A path inside the repository as the results show it: relative, no machine's folders."""
    try:
        return str(Path(argument).relative_to(REPO))
    except ValueError:
        return argument


def read_command(config: Path, catalog: Path, state: Optional[Path] = None) -> list[str]:
    command = [*connector_executable(), "read", "--config", str(config), "--catalog", str(catalog)]
    if state is not None:
        command += ["--state", str(state)]
    return command


def scan_sink(sink: Path) -> dict[str, Any]:
    """Records, the last state, error traces and each record's emitted_at (ms)."""
    records, emitted, errors, state = 0, [], [], None
    with open(sink, "rb") as lines:
        for line in lines:
            if line.startswith(RECORD_PREFIX):
                records += 1
                # ..."emitted_at":1234567890123}} at the end of the line.
                tail = line.rstrip()[-40:]
                emitted.append(float(tail[tail.rindex(b":") + 1 :].rstrip(b"}")))
            elif line.startswith(b'{"type":"STATE"'):
                state = json.loads(line)["state"]
            elif line.startswith(b'{"type":"TRACE"') and b'"type":"ERROR"' in line:
                errors.append(json.loads(line)["trace"]["error"]["message"])
    return {"records": records, "emitted_at_ms": emitted, "state": state, "errors": errors}


def check_ok(run: Run, sink: Path, what: str) -> None:
    if run.returncode != 0:
        tail = sink.with_suffix(".stderr").read_text(errors="replace")[-2000:]
        errors = scan_sink(sink)["errors"]
        raise RuntimeError(f"{what} exited {run.returncode}: {errors or tail}")


# -- statistics -------------------------------------------------------------------------------


def summary(values: Sequence[float]) -> dict[str, Any]:
    """Median, extremes and spread ((max - min) / median) of repeated measurements."""
    values = list(values)
    median = statistics.median(values)
    return {
        "runs": len(values),
        "median": median,
        "min": min(values),
        "max": max(values),
        "spread": (max(values) - min(values)) / median if median else 0.0,
        "values": values,
    }


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "load_average_1m": round(load[0], 2),
    }


def versions() -> dict[str, str]:
    from importlib.metadata import version

    out = {}
    for package in ("airbyte-cdk", "requests", "orjson"):
        try:
            out[package] = version(package)
        except Exception:  # pragma: no cover - informational only
            out[package] = "?"
    return out


def git_commit() -> str:
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, timeout=10)
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO, capture_output=True, text=True, timeout=10
        )
        return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")
    except Exception:  # pragma: no cover - informational only
        return "?"


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

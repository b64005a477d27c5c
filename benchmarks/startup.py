"""5. Start-up: `spec`, `check` and `discover` wall time against the bare CDK's own `spec`.

The bare CDK is `source-declarative-manifest spec` from the same virtualenv (it imports the
same CDK and prints its generic spec); `python -c pass` is the interpreter's own floor.
`check` and `discover` run against a small sandbox (`check`: token refresh + `GET /me`;
the hub's `discover` also lists the hub's generic objects and reads their metadata). All
commands are run in turn, `runs` rounds, and the medians compared.
"""

from __future__ import annotations

import sys
from typing import Any

from .common import bare_cdk_command, check_ok, connector_executable, log, run_measured, sandbox, summary, workdir, write_json


def run(runs: int = 5) -> dict[str, Any]:
    folder = workdir("startup")
    with sandbox(1000) as sb:
        config_path = write_json(folder / "config.json", sb.configs["sendoso"])
        hub_config_path = write_json(folder / "hub-config.json", sb.configs["cloud_elements"])
        commands = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "bare CDK spec": [*bare_cdk_command(), "spec"],
            "spec": [*connector_executable(), "spec"],
            "check": [*connector_executable(), "check", "--config", str(config_path)],
            "discover": [*connector_executable(), "discover", "--config", str(config_path)],
            "discover (hub)": [*connector_executable(), "discover", "--config", str(hub_config_path)],
        }
        measured: dict[str, list] = {name: [] for name in commands}
        for i in range(runs):
            for name, command in commands.items():
                sink = folder / f"{name.replace(' ', '_')}-{i}.jsonl"
                result = run_measured(command, sink)
                check_ok(result, sink, name)
                if name == "check" and b'"status":"SUCCEEDED"' not in sink.read_bytes():
                    raise RuntimeError("check did not succeed against the sandbox")
                measured[name].append(result)
        log("startup: " + ", ".join(f"{n} {summary([r.wall_s for r in rs])['median']:.2f} s" for n, rs in measured.items()))
    out: dict[str, Any] = {"commands": {}}
    for name, results in measured.items():
        out["commands"][name] = {
            "wall_s": summary([r.wall_s for r in results]),
            "max_rss_mib": summary([r.max_rss_mib for r in results]),
        }
    bare = out["commands"]["bare CDK spec"]["wall_s"]["median"]
    for name in ("spec", "check", "discover", "discover (hub)"):
        out["commands"][name]["ratio_to_bare_spec"] = out["commands"][name]["wall_s"]["median"] / bare
    return out

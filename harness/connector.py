"""The one way to run the connector against the sandbox as a subprocess: the demo, the
integration tests and the benchmarks all build its command here (no pytest needed)::

    from harness.connector import connector_command

    with connector_command("read", config=config, catalog=catalog, state=state) as command:
        subprocess.run(command, capture_output=True, text=True)

The connector is the `source-sendoso` command installed beside the running Python (what
`make setup` installs), else `python -m source_sendoso.run`; its config, catalog and state go to
JSON files in a temporary folder, as Airbyte hands them over, removed when the block is left.
Each caller runs the command its own way (to the end, line by line, or measured); none of them
imports the connector: they check it from outside, as Airbyte runs it.
"""

from __future__ import annotations

import json
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Optional, Sequence


def connector_executable() -> list[str]:
    script = Path(sys.executable).with_name("source-sendoso")
    return [str(script)] if script.exists() else [sys.executable, "-m", "source_sendoso.run"]


@contextmanager
def connector_command(
    command: str,
    *,
    config: Optional[Any] = None,
    catalog: Optional[Any] = None,
    state: Optional[Any] = None,
    extra_args: Sequence[str] = (),
) -> Iterator[list[str]]:
    """`source-sendoso <command> --config ... --catalog ... --state ...` for the objects given."""
    with tempfile.TemporaryDirectory(prefix="source-sendoso-") as folder:
        args = [*connector_executable(), command]
        for name, value in (("config", config), ("catalog", catalog), ("state", state)):
            if value is not None:
                path = Path(folder) / f"{name}.json"
                path.write_text(json.dumps(value), encoding="utf-8")
                args += [f"--{name}", str(path)]
        yield [*args, *extra_args]

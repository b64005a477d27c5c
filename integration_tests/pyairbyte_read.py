"""A PyAirbyte user's script, run by PyAirbyte's own interpreter (see test_pyairbyte.py).

    python pyairbyte_read.py <source-sendoso executable> <config.json> <result.json>

Checks the connection, selects every stream and reads them twice into PyAirbyte's default
local DuckDB cache: the second read passes the state PyAirbyte kept from the first. Writes what
the cache holds afterwards, per stream, and how many records each read processed.
"""

import json
import sys
from pathlib import Path

import airbyte as ab


def main(executable: str, config_path: str, result_path: str) -> None:
    source = ab.get_source("source-sendoso", config=json.loads(Path(config_path).read_text()), local_executable=executable)
    source.check()
    source.select_all_streams()
    first = source.read()
    second = source.read()
    result = {
        "cache": {"type": type(second.cache).__name__, "db_path": str(second.cache.db_path)},
        "processed_records": [first.processed_records, second.processed_records],
        "rows": {name: len(dataset) for name, dataset in second.streams.items()},
    }
    Path(result_path).write_text(json.dumps(result))


if __name__ == "__main__":
    main(*sys.argv[1:])

"""The connector's entrypoint as Airbyte's build tooling expects it: `python main.py spec`.

Airbyte's image builds for Python connectors copy this file and `source_sendoso/` into
`/airbyte/integration_code` and run `python /airbyte/integration_code/main.py`; the package's
console script `source-sendoso` runs the same function.
"""

from source_sendoso.run import run

if __name__ == "__main__":
    run()

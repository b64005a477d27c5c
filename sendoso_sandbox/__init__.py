"""sendoso_sandbox: a faithful, stateful local stand-in for the Sendoso Core API v3
and the Cloud Elements "Sendoso element" hub, for demos, integration tests and
benchmarks over loopback HTTP. Its own distribution (pyproject.toml here), never
part of the connector's wheel.

It never imports ``source_sendoso``: the connector and the sandbox model the
services independently, so each checks the other.

* ``sendoso-sandbox serve ...`` / ``python -m sendoso_sandbox serve ...`` (cli.py)
* ``sendoso_sandbox.Sandbox``: in-process, as a context manager (app.py)
* ``sendoso_sandbox.core.process.start_sandbox(...)``: the CLI as a subprocess
* ``sendoso_sandbox.ceql_sql.select_ids(where, records)``: CEQL evaluated by SQLite

Laid out like a fake service (moto): urls.py routes each path of a surface to a
handler in direct.py, hub.py or control.py (oauth.py answers /oauth itself); the
handlers call backend.py, whose records live in store.py (SQLite; data.py seeds it,
resources.py declares the record shapes, ceql_parse/ceql_sql turn CEQL into SQL);
faults.py is the layer between a request and its surface; app.py assembles it;
options.py checks how it is configured. core/ is the HTTP plumbing under it all (the wire,
requests and responses, route tables, rate limits, the launcher) and knows nothing of Sendoso.
"""

from .app import Sandbox

__version__ = "0.1.0"
__all__ = ["Sandbox"]

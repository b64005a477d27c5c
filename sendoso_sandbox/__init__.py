"""sendoso_sandbox: a faithful, stateful local stand-in for the Sendoso Core API v3
and the Cloud Elements "Sendoso element" hub, for demos, integration tests and
benchmarks over loopback HTTP.

It never imports ``source_sendoso``: the connector and the sandbox model the
services independently, so each checks the other.

* ``python -m sendoso_sandbox serve ...`` / ``sendoso-sandbox serve ...`` (cli.py)
* ``sendoso_sandbox.server.Sandbox``: in-process, as a context manager
* ``sendoso_sandbox.process.start_sandbox([...])``: the CLI as a subprocess
* ``sendoso_sandbox.ceql_sql.select_ids(where, records)``: CEQL evaluated by SQLite

Modules: cli (arguments, signals, the JSON line), server (HTTP, routing, faults,
Sandbox), direct (/api/v3), hub (/elements/api-v2), oauth (/oauth), control
(/_sandbox), store (SQLite), data (deterministic generator), resources (record
shapes), ceql_parse / ceql_sql (CEQL -> SQL), ratelimit, faults, stats, timefmt, web.
"""

__version__ = "0.1.0"

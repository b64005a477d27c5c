"""Performance benchmarks of source-sendoso against the sandbox: `make bench` (see __main__.py)."""

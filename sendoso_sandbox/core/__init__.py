"""The HTTP plumbing under the fake service, as ``moto/core`` is under each of moto's services:
the wire (server.py), the request and response values (web.py), route tables (routing.py),
sliding-window rate limits (ratelimit.py) and the launcher of the sandbox as a subprocess
(process.py). Nothing here knows Sendoso: it imports nothing from the package above it.
"""

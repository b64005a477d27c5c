"""``sendoso-sandbox serve``: run the sandbox until SIGTERM/SIGINT.

Prints exactly one JSON line on stdout once it is ready to serve (and nothing
else on stdout)::

    {"url": "http://127.0.0.1:PORT", "access_token": "...",
     "configs": {"sendoso": {...}, "cloud_elements": {...}}}

Logs go to stderr (only with --verbose, apart from errors).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .app import Sandbox
from .options import MARKETPLACE_REQUESTS_PER_MINUTE, OptionError, SandboxOptions


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sendoso-sandbox", description="Local stand-in for Sendoso and its hub.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="serve the sandbox over HTTP")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0, help="0 = any free port")
    serve.add_argument("--seed", type=int, default=1)
    serve.add_argument("--scale", type=int, default=1000, help="number of sends (other tables scale with it)")
    serve.add_argument("--rate-limit", type=float, default=10, help="requests/second per client; 0 = unlimited")
    serve.add_argument("--token-ttl", type=int, default=7200, help="access token lifetime in seconds")
    serve.add_argument("--rotate-refresh-tokens", action="store_true", help="each refresh returns a new refresh token")
    serve.add_argument("--db", default=None, help="SQLite file to use (reused when seed and scale match)")
    serve.add_argument(
        "--marketplace-rate-limit",
        type=int,
        default=MARKETPLACE_REQUESTS_PER_MINUTE,
        help="marketplace requests/minute per client; 0 = unlimited",
    )
    serve.add_argument(
        "--latency",
        type=float,
        default=0,
        metavar="MS",
        help="hold every API answer this many milliseconds (requests are still served concurrently)",
    )
    serve.add_argument("--jitter", type=float, default=0, metavar="MS", help="plus up to this many more, at random")
    serve.add_argument("--verbose", action="store_true", help="log every request to stderr")
    return parser


def options_of(args: argparse.Namespace) -> SandboxOptions:
    return SandboxOptions(
        host=args.host,
        port=args.port,
        seed=args.seed,
        scale=args.scale,
        rate_limit=args.rate_limit,
        token_ttl=args.token_ttl,
        rotate_refresh_tokens=args.rotate_refresh_tokens,
        db_path=args.db,
        marketplace_rate_limit=args.marketplace_rate_limit,
        latency_ms=args.latency,
        jitter_ms=args.jitter,
        verbose=args.verbose,
    )


def serve(options: SandboxOptions) -> int:
    stop = threading.Event()

    def on_signal(signum, frame):
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    sandbox = Sandbox(options).start()
    try:
        if options.verbose:
            store = sandbox.store
            sys.stderr.write(
                f"sendoso-sandbox: seed={options.seed} scale={options.scale} db={store.path}"
                f" built in {store.build_seconds:.1f}s{' (reused)' if store.reused else ''}\n"
            )
        if stop.is_set():  # told to stop while the data was being generated: never announce
            return 0
        sys.stdout.write(json.dumps(sandbox.info) + "\n")
        sys.stdout.flush()
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "serve":
        try:
            options = options_of(args)
        except OptionError as exc:
            print(f"sendoso-sandbox: {exc}", file=sys.stderr)
            return 2
        return serve(options)
    return 2


if __name__ == "__main__":
    sys.exit(main())

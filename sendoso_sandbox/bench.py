"""Measure how fast the sandbox serves pages to a plain ``requests.Session``.

    python -m sendoso_sandbox.bench [--scale 100000] [--pages 2000] [--clients 1]

Starts the sandbox CLI as a subprocess (its own interpreter, so client and
server do not share a GIL; unlimited rate), then walks ``/api/v3/send`` with
``per_page=100`` and the hub's ``sent-gifts`` with ``pageSize=500``, and prints one
JSON object with pages/s and records/s for each (client-side JSON parsing included).
"""

from __future__ import annotations

import argparse
import json
import threading
import time

import requests

from .process import SandboxProcess, start_sandbox


def _walk_direct(sb: SandboxProcess, pages: int, first_page: int, out: list) -> None:
    s = requests.Session()
    headers = {"Authorization": f"Bearer {sb.access_token}"}
    url = sb.configs["sendoso"]["backend"]["api_url"] + "/send"
    last = max(1, requests.get(sb.url + "/_sandbox/stats").json()["records"]["sends"] // 100)
    records = 0
    for i in range(pages):
        body = s.get(url, params={"page": (first_page + i) % last + 1, "per_page": 100}, headers=headers).json()
        records += len(body["sends"])
    out.append(records)


def _walk_hub(sb: SandboxProcess, pages: int) -> int:
    s = requests.Session()
    hub = sb.configs["cloud_elements"]["backend"]
    headers = {
        "Authorization": f"User {hub['user_secret']}, Organization {hub['organization_secret']}, Element {hub['element_token']}"
    }
    url = hub["base_url"] + "/hubs/rewards/sent-gifts"
    params = {"pageSize": 500}
    records = 0
    for _ in range(pages):
        r = s.get(url, params=params, headers=headers)
        page = r.json()
        if not page:
            params.pop("nextPage", None)
            continue
        records += len(page)
        params["nextPage"] = r.headers["Elements-Next-Page-Token"]
    return records


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--clients", type=int, default=1, help="parallel sessions for the direct walk")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with start_sandbox(["--scale", str(args.scale), "--rate-limit", "0"], timeout=600) as sb:
        result = {"scale": args.scale, "startup_seconds": round(time.perf_counter() - started, 2)}
        out: list[int] = []
        per_client = args.pages // args.clients
        threads = [
            threading.Thread(target=_walk_direct, args=(sb, per_client, i * per_client, out))
            for i in range(args.clients)
        ]
        t = time.perf_counter()
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        dt = time.perf_counter() - t
        result["direct_send_per_page_100"] = {
            "clients": args.clients, "pages_per_s": round(per_client * args.clients / dt), "records_per_s": round(sum(out) / dt),
        }
        hub_pages = max(1, args.pages // 5)
        t = time.perf_counter()
        records = _walk_hub(sb, hub_pages)
        dt = time.perf_counter() - t
        result["hub_sent_gifts_page_size_500"] = {"pages_per_s": round(hub_pages / dt), "records_per_s": round(records / dt)}
    print(json.dumps(result))


if __name__ == "__main__":
    main()

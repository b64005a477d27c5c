"""The baselines: plain clients (`requests` + `json`) that read `sends` like the connector.

    python -m benchmarks.baseline --config CONFIG.json > sink.jsonl
    python -m benchmarks.baseline --bare --config CONFIG.json > sink.jsonl

It fetches the same pages the connector fetches (same URL, same paging, on the hub the same
`where=`), and writes the same Airbyte RECORD lines: the same record data with the derived
`updated_at` (latest `status_updates[].occurred_at`, else `created_at`, in UTC), every
timestamp in UTC (the schema's canonical form) and without top-level nulls (as the CDK's
serializer writes them), the records the stream filter keeps,
then one STATE line. It has no framework, no schema, no
error handling beyond `raise_for_status`: it is the cost of the work itself, which the
connector is compared with. Only the benchmark's own filter (`current_total_cost IS NOT
NULL`, or none) is understood; anything else is refused rather than silently ignored.

`--bare` is the floor under both: the same requests (on the hub the same `where=`, which the
sandbox evaluates), each page parsed and each send written as it came in a RECORD line,
with nothing derived, converted or filtered and no STATE line.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone
from typing import Any, Optional

import requests

_UTC = timezone.utc


def _instant(text: str) -> datetime:
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=_UTC)


def updated_at(send: dict[str, Any]) -> Optional[str]:
    created = send.get("created_at")
    latest = _instant(created) if created else None
    for update in send.get("status_updates") or ():
        occurred = update.get("occurred_at")
        if occurred:
            moment = _instant(occurred)
            if latest is None or moment > latest:
                latest = moment
    return _utc_text(latest) if latest is not None else None


def _utc_text(moment: datetime) -> str:
    utc = moment.astimezone(_UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def timestamps_in_utc(send: dict[str, Any]) -> None:
    if send.get("created_at"):
        send["created_at"] = _utc_text(_instant(send["created_at"]))
    for update in send.get("status_updates") or ():
        if update.get("occurred_at"):
            update["occurred_at"] = _utc_text(_instant(update["occurred_at"]))


def _keep(config: dict[str, Any]):
    filters = [f["where"] for f in config.get("stream_filters") or () if f.get("stream") == "sends"]
    if not filters:
        return None
    if filters != ["current_total_cost IS NOT NULL"]:
        raise SystemExit(f"the baseline only understands the benchmark's own filter, not {filters}")
    return lambda send: send.get("current_total_cost") is not None


def direct_pages(session: requests.Session, backend: dict[str, Any], per_page: int):
    token = session.post(
        backend["token_url"],
        data={
            "grant_type": "refresh_token",
            "client_id": backend["client_id"],
            "client_secret": backend["client_secret"],
            "refresh_token": backend["refresh_token"],
        },
        timeout=60,
    )
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}", "Accept": "application/json"}
    url = backend["api_url"] + "/send"
    page = None  # the connector's first request has no `page` either
    while True:
        params = {"per_page": per_page} if page is None else {"page": page, "per_page": per_page}
        response = session.get(url, params=params, headers=headers, timeout=60)
        response.raise_for_status()
        sends = json.loads(response.text)["sends"]
        yield sends
        if len(sends) < per_page:
            return
        page = 2 if page is None else page + 1


def hub_pages(session: requests.Session, backend: dict[str, Any], where: Optional[str]):
    headers = {
        "Authorization": (
            f"User {backend['user_secret']}, Organization {backend['organization_secret']}, Element {backend['element_token']}"
        ),
        "Accept": "application/json",
    }
    url = backend["base_url"] + "/hubs/rewards/sent-gifts"
    params: dict[str, Any] = {"pageSize": backend.get("page_size", 200)}
    if where:
        params["where"] = where
    while True:
        response = session.get(url, params=params, headers=headers, timeout=60)
        response.raise_for_status()
        sends = json.loads(response.text)
        if not sends:
            return
        yield sends
        token = response.headers.get("Elements-Next-Page-Token")
        if not token:
            return
        params["nextPage"] = token


def main(argv: Optional[list[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--start", default="1970-01-01T00:00:00.000000Z", help="cursor start, as the connector writes it")
    parser.add_argument("--bare", action="store_true", help="write the sends as they came: no cursor, no UTC, no filter, no state")
    args = parser.parse_args(argv)
    config = json.load(open(args.config))
    backend = config["backend"]
    keep = _keep(config)
    session = requests.Session()
    if backend.get("backend_type") == "cloud_elements":
        clauses = [f"updated_at >= '{args.start}'"] + [f["where"] for f in config.get("stream_filters") or () if f.get("stream") == "sends"]
        pages = hub_pages(session, backend, " AND ".join(clauses))
    else:
        pages = direct_pages(session, backend, int(config.get("per_page", 100)))

    out = sys.stdout
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    if args.bare:
        for sends in pages:
            for send in sends:
                out.write(
                    dumps({"type": "RECORD", "record": {"stream": "sends", "data": send, "emitted_at": int(time.time() * 1000)}}) + "\n"
                )
        out.flush()
        return
    latest = None
    for sends in pages:
        for send in sends:
            send["updated_at"] = cursor = updated_at(send)
            if keep is not None and not keep(send):
                continue
            if cursor is not None and (latest is None or cursor > latest):
                latest = cursor
            timestamps_in_utc(send)
            # The CDK's message serializer leaves out top-level nulls; so does the baseline.
            data = {key: value for key, value in send.items() if value is not None}
            out.write(dumps({"type": "RECORD", "record": {"stream": "sends", "data": data, "emitted_at": int(time.time() * 1000)}}) + "\n")
    state = {"type": "STREAM", "stream": {"stream_descriptor": {"name": "sends"}, "stream_state": {"updated_at": latest}}}
    out.write(dumps({"type": "STATE", "state": state}) + "\n")
    out.flush()


if __name__ == "__main__":
    main()

"""/_sandbox: stats, mutate, faults, reset; determinism over HTTP."""

from __future__ import annotations

import time

import pytest
import requests

from sendoso_sandbox import Sandbox
from sendoso_sandbox.ceql_sql import literal_instant_ms


def test_stats_shape_and_counting(client):
    client.direct("/send")
    client.direct("/send")
    client.direct("/send", {"per_page": 500})
    client.hub("/users", {"where": "id > 1"})
    client.token_request(**client.refresh_form())
    stats = client.control("GET", "/stats").json()
    assert set(stats) == {"records", "requests", "requests_total", "throttled", "where", "faults_injected", "tokens_issued"}
    assert stats["records"]["sends"] == 1000 and stats["records"]["touches"] == client.sandbox.store.counts["touches"]
    assert stats["requests"]["GET /api/v3/send 200"] == 2
    assert stats["requests"]["GET /api/v3/send 400"] == 1
    assert stats["requests"]["GET /elements/api-v2/hubs/rewards/users 200"] == 1
    assert stats["requests_total"] == 5 and stats["where"] == ["id > 1"] and stats["tokens_issued"] == 1


def _updated_ms(send):
    return max([literal_instant_ms(u["occurred_at"]) for u in send["status_updates"]] or [literal_instant_ms(send["created_at"])])


def test_mutate_sends(client):
    before = {s["id"]: s for s in client.hub_all("/sent-gifts", {"pageSize": 500})[0]}
    started = int(time.time() * 1000)
    ids = client.control("POST", "/mutate", {"resource": "sends", "count": 7}).json()["ids"]
    assert len(ids) == len(set(ids)) == 7
    for send_id in ids:
        after = client.hub(f"/sent-gifts/{send_id}").json()
        old = before[send_id]
        assert after["status_updates"][:-1] == old["status_updates"]
        assert after["status"] == after["status_updates"][-1]["status"]
        assert _updated_ms(after) >= started and _updated_ms(after) > _updated_ms(old)
        assert after["created_at"] == old["created_at"]
    changed = client.hub_all("/sent-gifts", {"where": f"updated_at >= {started}"})[0]
    assert sorted(s["id"] for s in changed) == sorted(ids)
    # order of the direct listing does not move (created_at is unchanged)
    assert [s["id"] for s in client.direct("/send", {"per_page": 100}).json()["sends"]] == [
        s["id"] for s in sorted(before.values(), key=lambda s: (-literal_instant_ms(s["created_at"]), -s["id"]))
    ][:100]


def test_mutate_is_deterministic_after_reset(client):
    first = client.control("POST", "/mutate", {"resource": "sends", "count": 4}).json()["ids"]
    client.control("POST", "/reset")
    assert client.control("POST", "/mutate", {"resource": "sends", "count": 4}).json()["ids"] == first


@pytest.mark.parametrize("resource", ["groups", "return-addresses"])
def test_mutate_polled_resources_bumps_updated_at(client, resource):
    started = int(time.time() * 1000)
    before = {r["id"]: r for r in client.hub(f"/{resource}").json()}
    ids = client.control("POST", "/mutate", {"resource": resource, "count": 1}).json()["ids"]
    after = {r["id"]: r for r in client.hub(f"/{resource}").json()}
    assert literal_instant_ms(after[ids[0]]["updated_at"]) >= started
    assert {k for k in after if after[k] != before[k]} == set(ids)
    changed_field = [k for k in after[ids[0]] if after[ids[0]][k] != before[ids[0]][k] and k != "updated_at"]
    assert changed_field
    assert [r["id"] for r in client.hub(f"/{resource}", {"where": f"updated_at >= {started}"}).json()] == ids


def test_mutate_specific_ids_and_errors(client):
    send_id = client.direct("/send").json()["sends"][3]["id"]
    assert client.control("POST", "/mutate", {"resource": "sends", "ids": [send_id]}).json() == {"ids": [send_id]}
    assert client.control("POST", "/mutate", {"resource": "nothing", "count": 1}).status_code == 400
    assert client.control("POST", "/mutate", {"resource": "sends", "count": "many"}).status_code == 400


def test_create_sends_shift_the_newest_first_pages(client):
    page1 = client.direct("/send", {"per_page": 10}).json()
    new_ids = client.control("POST", "/mutate", {"resource": "sends", "create": 3}).json()["ids"]
    now = client.direct("/send", {"per_page": 10}).json()
    assert now["total_count"] == page1["total_count"] + 3
    assert [s["id"] for s in now["sends"][:3]] == sorted(new_ids, reverse=True)
    assert now["sends"][3:] == page1["sends"][:7]  # everything moved down: page-offset clients see repeats
    client.control("POST", "/reset")
    assert client.direct("/send", {"per_page": 10}).json() == page1


def test_status_fault_every_nth_with_cap(client):
    rule = {"kind": "status", "status": 503, "every": 3, "path_prefix": "/api/v3/send", "times": 2}
    assert client.control("POST", "/faults", rule).status_code == 200
    statuses = [client.direct("/send").status_code for _ in range(9)]
    assert statuses == [200, 200, 503, 200, 200, 503, 200, 200, 200]
    assert client.direct("/users").status_code == 200  # other paths untouched
    r = client.control("GET", "/faults").json()["rules"][0]
    assert r["seen"] == 9 and r["injected"] == 2
    assert client.control("GET", "/stats").json()["faults_injected"] == {"status": 2}


def test_status_fault_bodies_follow_the_surface(client):
    client.control(
        "POST",
        "/faults",
        [{"kind": "status", "status": 502, "path_prefix": "/elements"}, {"kind": "status", "status": 503, "path_prefix": "/oauth/token"}],
    )
    hub = client.hub("/users")
    assert hub.status_code == 502 and {"message", "requestId", "providerMessage"} <= set(hub.json())
    token = client.token_request(**client.refresh_form())
    assert token.status_code == 503 and token.json()["error"] == "temporarily_unavailable"
    client.control("DELETE", "/faults")
    assert client.hub("/users").status_code == 200


def test_drop_fault_breaks_the_body(client):
    client.control("POST", "/faults", {"kind": "drop", "path_prefix": "/api/v3/send", "times": 1})
    with pytest.raises(requests.RequestException):
        requests.get(client.api_url + "/send", headers={"Authorization": f"Bearer {client.token}"}, timeout=10).json()
    assert client.direct("/send").status_code == 200  # times: 1


def test_slow_fault(client):
    client.control("POST", "/faults", {"kind": "slow", "seconds": 0.3, "path_prefix": "/api/v3/me"})
    started = time.perf_counter()
    assert client.direct("/me").status_code == 200
    assert time.perf_counter() - started >= 0.3


def test_malformed_and_empty_faults(client):
    client.control(
        "POST",
        "/faults",
        [{"kind": "malformed", "path_prefix": "/api/v3/users", "times": 1}, {"kind": "empty", "path_prefix": "/api/v3/groups", "times": 1}],
    )
    bad = client.direct("/users")
    assert bad.status_code == 200
    with pytest.raises(ValueError):
        bad.json()
    empty = client.direct("/groups")
    assert empty.status_code == 200 and empty.content == b""
    assert client.direct("/users").json()["users"]


def test_repeat_page_fault(client):
    page1 = client.direct("/send", {"page": 1}).content
    client.control("POST", "/faults", {"kind": "repeat_page", "path_prefix": "/api/v3/send", "times": 1})
    assert client.direct("/send", {"page": 2}).content == page1
    assert client.direct("/send", {"page": 2}).content != page1
    first = client.hub("/users", {"pageSize": 5})
    client.control("POST", "/faults", {"kind": "repeat_page", "path_prefix": "/elements"})
    again = client.hub("/users", {"pageSize": 5, "nextPage": first.headers["Elements-Next-Page-Token"]})
    assert again.json() == first.json()


def test_ignore_where_fault_serves_the_unfiltered_list(client):
    where = {"where": "id <= 100010", "pageSize": 500}
    filtered = client.hub_all("/sent-gifts", where)[0]
    everything = client.hub_all("/sent-gifts", {"pageSize": 500})[0]
    assert 0 < len(filtered) < len(everything)
    client.control("POST", "/faults", {"kind": "ignore_where", "path_prefix": "/elements/api-v2/hubs/rewards/sent-gifts"})
    assert client.hub_all("/sent-gifts", where)[0] == everything
    # Only where the rule's path matches: another list still filters.
    assert client.hub("/users", {"where": "id = -1"}).json() == []


def test_a_rule_with_where_contains_fires_only_on_requests_whose_where_holds_it(client):
    client.control("POST", "/faults", {"kind": "status", "status": 503, "path_prefix": "/elements", "where_contains": "id <= 1000"})

    assert client.hub("/sent-gifts", {"where": "id >= 1 AND id <= 100010"}).status_code == 503
    assert client.hub("/sent-gifts", {"where": "id >= 1"}).status_code == 200
    assert client.hub("/sent-gifts").status_code == 200


@pytest.mark.parametrize(
    "rule",
    [
        {"kind": "explode"},
        {"kind": "slow", "where_contains": 3},
        {"kind": "status"},
        {"kind": "status", "status": 503, "every": 0},
        {"action": "set_scopes"},
        {"action": "dance"},
        {"kind": "slow", "seconds": -1},
    ],
)
def test_invalid_fault_rules_400(client, rule):
    assert client.control("POST", "/faults", rule).status_code == 400
    assert client.control("GET", "/faults").json()["rules"] == []


def test_reset_restores_everything(client):
    sends = client.hub_all("/sent-gifts", {"pageSize": 500})[0]
    groups = client.hub("/groups").json()
    client.control("POST", "/mutate", {"resource": "sends", "count": 50})
    client.control("POST", "/mutate", {"resource": "groups", "count": 1})
    client.control("POST", "/mutate", {"resource": "users", "count": 3})
    client.control("POST", "/faults", {"kind": "status", "status": 500, "path_prefix": "/api/v3/me"})
    assert client.control("POST", "/reset").json() == {"reset": True}
    assert client.hub_all("/sent-gifts", {"pageSize": 500})[0] == sends
    assert client.hub("/groups").json() == groups
    assert client.direct("/me").status_code == 200
    stats = client.control("GET", "/stats").json()
    assert stats["requests_total"] == 5 and stats["where"] == []  # 3 hub pages, groups, me


def test_same_seed_same_bytes_over_http():
    def snapshot(seed):
        with Sandbox(seed=seed, scale=400, rate_limit=0) as sb:
            s = requests.Session()
            h = {"Authorization": f"Bearer {sb.access_token}"}
            hub = {"Authorization": sb.hub_authorization}
            base = sb.configs["cloud_elements"]["backend"]["base_url"] + "/hubs/rewards"
            return [
                s.get(sb.url + "/api/v3/send?per_page=100&page=2", headers=h).content,
                s.get(sb.url + "/api/v3/touches", headers=h).content,
                s.get(sb.url + "/api/v3/marketplace/products", headers=h).content,
                s.get(base + "/sent-gifts?where=status%3D'Delivered'", headers=hub).content,
                s.get(base + "/return-addresses", headers=hub).content,
            ]

    assert snapshot(21) == snapshot(21)
    assert snapshot(21) != snapshot(22)


def test_stats_records_use_stream_names(client):
    records = client.control("GET", "/stats").json()["records"]
    assert records["group_members"] == records["users"] == len(client.direct("/users", {"per_page": 100}).json()["users"])
    assert records["marketplace_products"] == 5 and records["me"] == 1
    assert "members" not in records and "products" not in records

"""Sendoso Core API v3: shapes, paging limits, order, errors."""

from __future__ import annotations

import base64
import time

import pytest

from sendoso_sandbox.ceql_sql import literal_instant_ms
from sendoso_sandbox.resources import BY_TABLE


def keys(table):
    return list(BY_TABLE[table].fields)


def test_me(client):
    r = client.direct("/me")
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("application/json")
    me = r.json()
    assert list(me) == ["id", "first_name", "last_name", "email", "role", "balance", "team_balance"]
    assert me["role"] == "admin" and isinstance(me["balance"], str)


@pytest.mark.parametrize(
    "path, total, items, table",
    [
        ("/users", "total_users", "users", "users"),
        ("/groups", "total_groups", "groups", "groups"),
        ("/touches", "total_posts", "touches", "touches"),
        ("/send", "total_count", "sends", "sends"),
    ],
)
def test_list_envelopes(client, path, total, items, table):
    body = client.direct(path).json()
    assert list(body) == ["current_page", "per_page", total, items]
    assert body["current_page"] == 1 and body["per_page"] == 25
    assert body[total] == client.sandbox.store.counts[table]
    assert len(body[items]) == min(25, body[total])
    assert all(list(rec) == keys(table) for rec in body[items])


def test_paging_walks_every_record_once(client):
    total = client.direct("/send", {"per_page": 100}).json()["total_count"]
    seen, page = [], 1
    while True:
        body = client.direct("/send", {"page": page, "per_page": 100}).json()
        assert body["current_page"] == page and body["total_count"] == total
        if not body["sends"]:
            break
        assert len(body["sends"]) == 100 or page == (total + 99) // 100
        seen += body["sends"]
        page += 1
    assert len(seen) == total == len({s["id"] for s in seen})
    # newest first: created_at desc (as instants), then id desc
    order = [(literal_instant_ms(s["created_at"]), s["id"]) for s in seen]
    assert order == sorted(order, reverse=True)


def test_page_past_the_end_is_empty(client):
    body = client.direct("/users", {"page": 999, "per_page": 100}).json()
    assert body["users"] == [] and body["current_page"] == 999 and body["total_users"] > 0


@pytest.mark.parametrize(
    "params", [{"per_page": 101}, {"per_page": 0}, {"per_page": "ten"}, {"per_page": -5}, {"per_page": "2.5"}, {"page": 0}, {"page": "x"}]
)
def test_bad_paging_is_400(client, params):
    r = client.direct("/send", params)
    assert r.status_code == 400
    assert r.json()["success"] is False and r.json()["message"]


def test_per_page_100_is_allowed(client):
    assert len(client.direct("/send", {"per_page": 100}).json()["sends"]) == 100


def test_other_lists_are_in_id_order(client):
    ids = [u["id"] for u in client.direct("/users", {"per_page": 100}).json()["users"]]
    assert ids == sorted(ids)


def test_group_members(client):
    group = client.direct("/groups").json()["groups"][0]
    members = client.direct(f"/groups/{group['id']}/members").json()
    assert isinstance(members, list) and members
    assert all(list(m) == keys("members") and m["team_group_id"] == group["id"] for m in members)
    assert all(m["team_id"] == group["team_id"] for m in members)
    users = client.direct("/users", {"per_page": 100}).json()["users"]
    assert sorted(m["id"] for m in members) == sorted(u["id"] for u in users if u["team_group_id"] == group["id"])


def test_unknown_group_members_404(client):
    r = client.direct("/groups/999999/members")
    assert r.status_code == 404 and r.json() == {"message": "Group not found!"}


def test_touches_only_active_and_filter(client):
    body = client.direct("/touches", {"per_page": 100}).json()
    assert {t["status"] for t in body["touches"]} == {"Active"}
    mail = client.direct("/touches", {"per_page": 100, "delivery_type": "mail"}).json()
    email = client.direct("/touches", {"per_page": 100, "delivery_type": "email"}).json()
    assert {t["delivery_type"] for t in mail["touches"]} <= {"mail"}
    assert mail["total_posts"] + email["total_posts"] == body["total_posts"]
    inactive = client.sandbox.store.scalar("SELECT id FROM touches WHERE pos IS NULL LIMIT 1", ())
    assert inactive not in {t["id"] for t in body["touches"]}


def test_one_touch(client):
    touch = client.direct("/touches").json()["touches"][0]
    r = client.direct(f"/touches/{touch['id']}")
    assert r.json() == {"success": True, "touch": touch}
    missing = client.direct("/touches/1")
    assert missing.status_code == 404 and missing.json()["success"] is False


def test_send_shape(client):
    send = client.direct("/send", {"per_page": 1}).json()["sends"][0]
    assert list(send) == keys("sends") and "updated_at" not in send
    assert base64.b64decode(send["send_gid"]) == f"gid://sendoso/Send/{send['id']}".encode()
    assert list(send["touch"]) == ["id", "name"]
    assert list(send["recipient"]) == ["name", "email", "company_name"]
    assert list(send["sender"]) == ["id", "name", "email", "team_id", "team_name"]


@pytest.mark.parametrize("token", [None, "nonsense"])
def test_missing_or_unknown_token_401(client, token):
    headers = {"Authorization": ""} if token is None else {}
    r = client.session.get(client.api_url + "/send", headers=headers or {"Authorization": f"Bearer {token}"})
    assert r.status_code == 401
    assert r.json() == {"success": False, "message": "The access token is invalid"}


def test_unknown_route_and_method(client):
    assert client.direct("/nothing").status_code == 404
    r = client.session.post(client.api_url + "/send", headers={"Authorization": f"Bearer {client.token}"})
    assert r.status_code == 405


def test_marketplace_cursor_paging(client):
    products, url, pages = [], client.api_url + "/marketplace/products", 0
    headers = {"Authorization": f"Bearer {client.token}"}
    while url:
        body = client.session.get(url, headers=headers).json()
        pages += 1
        assert list(body) == ["pagination", "categories", "products"]
        assert len(body["products"]) <= 20 and body["categories"]
        assert all(list(p) == keys("products") for p in body["products"])
        for p in body["products"]:
            for v in p["variants"]:
                assert list(v) == ["id", "estimated_total_price", "images"]
                assert isinstance(v["estimated_total_price"]["price_per_unit"], str)
        products += body["products"]
        nxt = body["pagination"]["next_page"]
        if nxt:
            assert f"after={body['pagination']['after']}" in nxt["url"]
        else:
            assert body["pagination"]["after"] is None
        url = nxt and nxt["url"]
    assert len(products) == client.sandbox.store.counts["products"] == len({p["id"] for p in products})
    assert pages == (len(products) + 19) // 20
    assert client.direct("/marketplace/products", {"after": "!!bad"}).status_code == 400


def test_marketplace_needs_scope(client):
    client.control("POST", "/faults", {"action": "set_scopes", "scopes": ["public"]})
    r = client.direct("/marketplace/products")
    assert r.status_code == 403 and r.json()["success"] is False
    assert client.direct("/send").status_code == 200  # public reads still work


def test_marketplace_rate_limit_100_per_minute(make_client):
    c = make_client(rate_limit=0)
    statuses = [c.direct("/marketplace/products").status_code for _ in range(101)]
    assert statuses[:100] == [200] * 100 and statuses[100] == 429
    r = c.direct("/marketplace/products")
    reset = int(r.headers["X-Rate-Limit-Reset"])
    assert time.time() < reset <= time.time() + 61
    assert r.json() == {"success": False, "message": "Too many requests"}
    assert c.direct("/send").status_code == 200  # other endpoints unaffected

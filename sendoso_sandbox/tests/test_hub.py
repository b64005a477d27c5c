"""Cloud Elements hub: auth header, paging tokens, where/orderBy, discovery, quirks."""

from __future__ import annotations

import base64
import json

import pytest

from sendoso_sandbox.ceql_sql import literal_instant_ms
from sendoso_sandbox.resources import BY_HUB_PATH


def creds(client):
    c = client.sandbox.hub_credentials
    return c.user_secret, c.organization_secret, c.element_token


@pytest.mark.parametrize(
    "template",
    ["User {u}, Organization {o}, Element {e}", "Element {e}, User {u}, Organization {o}", "user {u} ,organization   {o},ELEMENT\t{e}"],
)
def test_authorization_header_variants(client, template):
    u, o, e = creds(client)
    assert client.hub("/users", authorization=template.format(u=u, o=o, e=e)).status_code == 200


@pytest.mark.parametrize(
    "template",
    [
        "",
        "User {u}, Organization {o}",
        "User {u}, Organization {o}, Element wrong",
        "User {u}, Organization {o}, Element {e}, Element {e}",
        "Bearer {e}",
        "User {u} Organization {o} Element {e}",
    ],
)
def test_bad_authorization_401(client, template):
    u, o, e = creds(client)
    r = client.hub("/users", authorization=template.format(u=u, o=o, e=e))
    assert r.status_code == 401
    body = r.json()
    assert set(body) == {"message", "requestId"} and len(body["requestId"]) == 36


def test_lists_are_plain_arrays_of_the_direct_records(client):
    sends = client.direct("/send", {"per_page": 100}).json()["sends"]
    assert isinstance(client.hub("/sent-gifts").json(), list)
    hub, _ = client.hub_all("/sent-gifts", {"pageSize": 500})
    by_id = {s["id"]: s for s in hub}
    assert all(by_id[s["id"]] == s for s in sends)
    users = client.direct("/users", {"per_page": 100}).json()["users"]
    assert client.hub("/users").json() == users
    assert client.hub("/me").json() == client.direct("/me").json()


def test_paging_tokens_and_last_page(client):
    total = client.sandbox.store.counts["sends"]
    params = {"pageSize": 300}
    seen = []
    while True:
        r = client.hub("/sent-gifts", params)
        assert r.status_code == 200
        token = r.headers["Elements-Next-Page-Token"]  # present on every page
        assert int(r.headers["Elements-Returned-Count"]) == len(r.json())
        assert "Elements-Total-Count" not in r.headers
        if not r.json():
            break
        seen += [s["id"] for s in r.json()]
        params["nextPage"] = token
    assert len(seen) == total == len(set(seen)) and seen == sorted(seen)
    # the last full page also carried a token, and it leads to an empty page again
    again = client.hub("/sent-gifts", params)
    assert again.json() == [] and again.headers["Elements-Next-Page-Token"]


def test_return_count(client):
    r = client.hub("/sent-gifts", {"pageSize": 10, "returnCount": "true", "where": "sent_via = 'link'"})
    expected = len(client.hub_all("/sent-gifts", {"where": "sent_via = 'link'"})[0])
    assert int(r.headers["Elements-Total-Count"]) == expected > 10


@pytest.mark.parametrize("size", ["501", "0", "abc", "-1"])
def test_page_size_limits(client, size):
    r = client.hub("/users", {"pageSize": size})
    assert r.status_code == 400 and set(r.json()) >= {"message", "requestId"}


def test_page_size_500_allowed_and_default_200(client):
    assert len(client.hub("/sent-gifts", {"pageSize": 500}).json()) == 500
    assert len(client.hub("/sent-gifts").json()) == 200


def test_bad_or_foreign_tokens_400(client):
    assert client.hub("/users", {"nextPage": "not-a-token"}).status_code == 400
    token = client.hub("/users", {"pageSize": 2}).headers["Elements-Next-Page-Token"]
    assert client.hub("/users", {"nextPage": token, "pageSize": 3}).status_code == 200  # pageSize may change
    assert client.hub("/groups", {"nextPage": token}).status_code == 400
    assert client.hub("/users", {"nextPage": token, "where": "id > 1"}).status_code == 400
    forged = base64.urlsafe_b64encode(json.dumps({"q": "x", "i": "1"}).encode()).decode()
    assert client.hub("/users", {"nextPage": forged}).status_code == 400


def test_where_filters_and_records_it(client):
    records, _ = client.hub_all("/sent-gifts", {"where": "status = 'Delivered' AND sender.team_id = 201", "pageSize": 100})
    everything, _ = client.hub_all("/sent-gifts", {"pageSize": 500})
    expected = [s for s in everything if s["status"] == "Delivered" and s["sender"]["team_id"] == 201]
    assert records == expected and records
    stats = client.control("GET", "/stats").json()
    assert stats["where"][-1] == "status = 'Delivered' AND sender.team_id = 201"


def test_where_on_lists_and_dates(client):
    touches = client.hub("/touches", {"where": "ship_to_countries = 'CA'"}).json()
    assert touches and all("CA" in t["ship_to_countries"] for t in touches)
    cut = "2023-06-01T00:00:00-04:00"
    early = client.hub_all("/sent-gifts", {"where": f"created_at < '{cut}'", "pageSize": 500})[0]
    assert early and all(literal_instant_ms(s["created_at"]) < literal_instant_ms(cut) for s in early)


@pytest.mark.parametrize("where", ["bogus = 1", "status =", "sender.nope = 'x'", "`sender.email` = 'x'"])
def test_invalid_where_400(client, where):
    r = client.hub("/sent-gifts", {"where": where})
    assert r.status_code == 400 and r.json()["message"].startswith("Invalid where clause: ")


def test_derived_updated_at_on_sends(client):
    everything, _ = client.hub_all("/sent-gifts", {"pageSize": 500})

    def updated(s):
        times = [u["occurred_at"] for u in s["status_updates"]] or [s["created_at"]]
        return max(literal_instant_ms(t) for t in times)

    cut = sorted(updated(s) for s in everything)[-50]
    cut_text = "2024-01-01T00:00:00Z"
    records = client.hub_all("/sent-gifts", {"where": f"updated_at >= {cut}"})[0]
    assert sorted(s["id"] for s in records) == sorted(s["id"] for s in everything if updated(s) >= cut)
    by_text = client.hub_all("/sent-gifts", {"where": f"updated_at >= '{cut_text}'"})[0]
    assert len(by_text) == sum(updated(s) >= literal_instant_ms(cut_text) for s in everything)
    assert all("updated_at" not in s for s in records)  # derived server-side only


def test_order_by(client):
    params = {"orderBy": "updated_at desc", "pageSize": 37, "where": "status != 'Processing'"}
    records, pages = client.hub_all("/sent-gifts", params)
    assert pages > 2
    stamps = [
        max([literal_instant_ms(u["occurred_at"]) for u in s["status_updates"]] or [literal_instant_ms(s["created_at"])]) for s in records
    ]
    assert stamps == sorted(stamps, reverse=True) and len({s["id"] for s in records}) == len(records)
    names = client.hub_all("/users", {"orderBy": "last_name asc", "pageSize": 3})[0]
    assert [u["last_name"] for u in names] == sorted(u["last_name"] for u in names)
    assert len(names) == client.sandbox.store.counts["users"] == len({u["id"] for u in names})
    assert client.hub("/users", {"orderBy": "nope asc"}).status_code == 400
    assert client.hub("/users", {"orderBy": "id sideways"}).status_code == 400


def test_group_children(client):
    group = client.hub("/groups").json()[0]
    members = client.hub(f"/groups/{group['id']}/members").json()
    assert members == client.direct(f"/groups/{group['id']}/members").json()
    touches = client.hub(f"/groups/{group['id']}/touches").json()
    user_ids = {u["id"] for u in client.hub("/users").json() if u["team_group_id"] == group["id"]}
    assert touches and all(t["user_id"] in user_ids and t["status"] == "Active" for t in touches)
    r = client.hub("/groups/424242/members")
    assert r.status_code == 404 and r.json()["providerMessage"] == "Group not found!"


def test_single_records(client):
    send = client.hub("/sent-gifts", {"pageSize": 1}).json()[0]
    assert client.hub(f"/sent-gifts/{send['id']}").json() == send
    assert client.hub("/sent-gifts/1").status_code == 404


def test_hub_only_resources(client):
    for path in [
        "return-addresses",
        "gifts",
        "touch-styles",
        "user-custom-templates",
        "journals",
        "payments",
        "purchase-orders",
        "tax-rates",
        "bulk/jobs",
    ]:
        r = client.hub("/" + path)
        assert r.status_code == 200, path
        records = r.json()
        assert records and all(list(rec) == list(BY_HUB_PATH[path].fields) for rec in records), path
        assert all(isinstance(rec["id"], int) and literal_instant_ms(rec["updated_at"]) for rec in records)


def test_return_addresses_filtered_to_nothing_is_404(client):
    r = client.hub("/return-addresses", {"where": "city = 'Atlantis'"})
    assert r.status_code == 404
    assert r.json()["message"] == "No return addresses found" and r.json()["requestId"]
    assert client.hub("/gifts", {"where": "name = 'Atlantis'"}).json() == []  # others answer []


def test_discovery(client):
    objects = client.hub("/objects").json()
    assert {"sent-gifts", "touches", "groups", "users", "return-addresses"} <= set(objects)
    meta = client.hub("/objects/sent-gifts/metadata").json()
    fields = {f["vendorPath"]: f for f in meta["fields"]}
    assert set(fields["created_at"]) == {"vendorPath", "type", "vendorDisplayName", "vendorReadOnly", "vendorRequired", "filterable"}
    assert fields["created_at"]["type"] == "date" and fields["sender.email"]["type"] == "string"
    assert fields["updated_at"]["filterable"] and fields["status_updates"]["type"] == "array"
    assert fields["touch"]["type"] == "object" and not fields["touch"]["filterable"]
    assert client.hub("/objects/nothing/metadata").status_code == 404
    ping = client.hub("/ping").json()
    assert ping["endpoint"] == "sendoso" and ping["valid"] is True and literal_instant_ms(ping["dateTime"])


@pytest.mark.parametrize(
    "where",
    [
        "created_at >= '2023-01-01T00:00:00-07:00'",
        "created_at < 1672531200000",
        "created_at = '2022-01-01'",
        "created_at != '2022-01-01'",
        "created_at > 'Z'",
        "created_at LIKE '2023-0%-07:00'",
        "id > 100500",
        "id <= '100300'",
        "id = 'abc'",
        "id IN (100001, 100002, '100003')",
        "updated_at >= '2024-01-01'",
        "updated_at < 1700000000000 AND status != 'Delivered'",
        "updated_at LIKE '%+05:30'",
        "updated_at IS NULL",
    ],
)
def test_index_fast_paths_mean_the_same_as_the_generic_evaluation(client, where):
    """The hub answers some predicates from indexed columns; select_ids reads the JSON only."""
    from sendoso_sandbox.ceql_sql import select_ids

    everything, _ = client.hub_all("/sent-gifts", {"pageSize": 500})
    for send in everything:  # the derived field, as the hub defines it
        send["updated_at"] = (send["status_updates"] or [{"occurred_at": send["created_at"]}])[-1]["occurred_at"]
    expected = sorted(select_ids(where, everything))
    got = sorted(s["id"] for s in client.hub_all("/sent-gifts", {"where": where, "pageSize": 500})[0])
    assert got == expected


def test_inactive_touch_is_never_listed_but_can_be_fetched_like_the_direct_api(client):
    inactive = client.sandbox.store.scalar("SELECT id FROM touches WHERE pos IS NULL LIMIT 1", ())
    listed = client.hub_all("/touches", {"pageSize": 5})[0]
    assert inactive not in {t["id"] for t in listed}
    one = client.hub(f"/touches/{inactive}").json()
    assert one == client.direct(f"/touches/{inactive}").json()["touch"] and one["status"] == "Inactive"

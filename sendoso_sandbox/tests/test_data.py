"""The generator: determinism, proportions, record shapes and invariants."""

from __future__ import annotations

import base64
import json
import re

import pytest

from sendoso_sandbox import data
from sendoso_sandbox.ceql_sql import literal_instant_ms
from sendoso_sandbox.resources import BY_TABLE, SEND_STATUSES, SEND_TYPES
from sendoso_sandbox.store import Store

SENDOSO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?[+-]\d{2}:\d{2}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
DECIMAL_TEXT = re.compile(r"-?\d+(\.\d+)?")

# Fields Sendoso's docs show in two forms (decimal text and a bare number), mixed across records.
TWO_FORMS = {
    ("groups", "id"),
    ("groups", "monthly_budget"),
    ("groups", "one_time_budget"),
    ("touches", "starting_egift_price"),
    ("touches", "ending_egift_price"),
}
# Documented as text where the sandbox's metadata spec says number (the marketplace is not on the hub).
TEXT_IDS = {("products", "id")}


def all_docs(gen: data.Generator) -> dict[str, list[dict]]:
    out = {t: [json.loads(r[-1]) for r in rows] for t, rows in gen.small_tables().items()}
    out["sends"] = [json.loads(r[-1]) for batch in gen.send_batches(500) for r in batch]
    return out


def raw_rows(seed: int, scale: int) -> list[tuple]:
    gen = data.Generator(seed, scale)
    rows = [row for rows in gen.small_tables().values() for row in rows]
    rows += [row for batch in gen.send_batches() for row in batch]
    return rows


def test_same_seed_same_bytes_and_other_seed_differs():
    assert raw_rows(3, 400) == raw_rows(3, 400)
    assert raw_rows(3, 400) != raw_rows(4, 400)


@pytest.mark.parametrize(
    "scale, users, groups, touches, products",
    [(0, 5, 2, 3, 5), (1000, 20, 2, 10, 5), (50_000, 1000, 100, 500, 250)],
)
def test_sizes_are_proportionate(scale, users, groups, touches, products):
    sizes = data.Sizes.for_scale(scale)
    assert (sizes.sends, sizes.users, sizes.groups, sizes.touches, sizes.products) == (
        scale,
        users,
        groups,
        touches,
        products,
    )


def _check_type(value, kind, where):
    if kind in ("two forms", "text id"):
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        text = isinstance(value, str) and DECIMAL_TEXT.fullmatch(value)
        assert value is None or text or (number and kind == "two forms"), where
    elif kind == "number":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), where
    elif kind == "boolean":
        assert isinstance(value, bool), where
    elif kind == "array":
        assert isinstance(value, list), where
    elif kind == "date":
        assert value is None or SENDOSO_TIME.fullmatch(value) or DATE.fullmatch(value), where
    elif isinstance(kind, dict):
        assert isinstance(value, dict) and list(value) == list(kind), where
        for key, sub in kind.items():
            _check_type(value[key], sub, f"{where}.{key}")
    else:
        assert value is None or isinstance(value, str), where


@pytest.fixture(scope="module")
def docs():
    return all_docs(data.Generator(11, 2000))


def test_every_record_has_exactly_the_declared_fields(docs):
    for table, records in docs.items():
        spec = BY_TABLE[table].fields
        assert records, table
        for rec in records:
            assert list(rec) == list(spec), (table, rec)
            for key, kind in spec.items():
                if (table, key) in TWO_FORMS:
                    kind = "two forms"
                elif (table, key) in TEXT_IDS:
                    kind = "text id"
                _check_type(rec[key], kind, f"{table}.{key}")


def test_fields_documented_in_two_forms_come_in_both_across_records(docs):
    for table, key in TWO_FORMS:
        forms = {type(rec[key]) for rec in docs[table] if rec[key] is not None}
        assert str in forms and forms & {int, float}, (table, key, forms)


def test_string_money_and_typed_fields(docs):
    for group in docs["groups"]:
        assert isinstance(group["budget"], float)
        assert str(group["monthly_budget"]).isdigit()
        assert re.fullmatch(r"\d+(\.\d)?", str(group["one_time_budget"]))
    member = docs["members"][0]
    assert re.fullmatch(r"\d+\.0", member["balance"]) and isinstance(member["sandbox"], bool)
    me = docs["me"][0]
    assert me["role"] == "admin" and re.fullmatch(r"\d+\.\d+", me["balance"])
    for send in docs["sends"]:
        assert re.fullmatch(r"\d+\.\d\d", send["current_total_cost"])


def test_membership_is_consistent(docs):
    groups = {int(g["id"]) for g in docs["groups"]}  # an id is a number or its text (TWO_FORMS)
    for user in docs["users"]:
        assert user["team_group_id"] in groups
    assert {m["id"]: m["team_group_id"] for m in docs["members"]} == {u["id"]: u["team_group_id"] for u in docs["users"]}
    assert {u["team_group_id"] for u in docs["users"]} == groups  # no empty group


def test_touches_listed_are_active_and_valid(docs):
    statuses = [t["status"] for t in docs["touches"]]
    assert "Inactive" in statuses and statuses.count("Active") == data.Sizes.for_scale(2000).touches
    for touch in docs["touches"]:
        assert touch["delivery_type"] in ("mail", "email")
        assert all(re.fullmatch(r"[A-Z]{2}", c) for c in touch["ship_to_countries"])
        # The account's midnight, as the docs show it: 2023-10-25T00:00:00.000-07:00.
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}T00:00:00\.000[+-]\d{2}:\d{2}", touch["start_date"])
        prices = (touch["starting_egift_price"], touch["ending_egift_price"])
        if touch["delivery_type"] == "mail" or touch["is_default_price"]:
            assert prices == (None, None)  # only an eGift touch with a range has prices
        else:
            assert float(prices[0]) <= float(prices[1])


def test_send_invariants(docs):
    sends = docs["sends"]
    offsets = set()
    forms = set()
    with_updates = without_updates = 0
    for send in sends:
        assert "updated_at" not in send
        assert base64.b64decode(send["send_gid"]).decode() == f"gid://sendoso/Send/{send['id']}"
        assert send["type"] in SEND_TYPES and send["status"] in SEND_STATUSES
        assert send["sent_via"] in ("email", "address", "link")
        offsets.add(send["created_at"][-6:])
        # One form per send: whole seconds without a fraction (as the docs show sends), or milliseconds.
        stamps = [send["created_at"]] + [u["occurred_at"] for u in send["status_updates"]]
        forms.add(frozenset(len(stamp) for stamp in stamps))
        created = literal_instant_ms(send["created_at"])
        times = [literal_instant_ms(u["occurred_at"]) for u in send["status_updates"]]
        assert len(times) <= 5
        assert all(t > created for t in times) and times == sorted(times)
        if send["status_updates"]:
            with_updates += 1
            assert send["status"] == send["status_updates"][-1]["status"]
        else:
            without_updates += 1
    assert with_updates and without_updates
    assert {"-07:00", "-04:00", "+00:00"} <= offsets
    assert forms == {frozenset({25}), frozenset({29})}


def test_marketplace_ids_and_prices_are_text_and_images_carry_their_cdn_copies(docs):
    for product in docs["products"]:
        assert product["id"].isdigit()
        for variant in product["variants"]:
            assert variant["id"].isdigit() and DECIMAL_TEXT.fullmatch(variant["estimated_total_price"]["price_per_unit"])
            for image in variant["images"]:
                assert set(image) == {"url", "cdn_main", "cdn_thumbnail"} and image["cdn_thumbnail"]["url"].startswith("https://")


def test_listing_position_is_newest_first_with_ties(tmp_path):
    store = Store(seed=5, scale=3000, db_path=str(tmp_path / "db.sqlite3"))
    try:
        rows = store.query_docs("SELECT id, created_ms FROM sends ORDER BY pos", ())
        expected = sorted(rows, key=lambda r: (-r[1], -r[0]))
        assert rows == expected
        created = [r[1] for r in rows]
        assert len(set(created)) < len(created)  # ties exist, so the id tie-break matters
    finally:
        store.close()


def test_db_file_is_reused_when_seed_and_scale_match(tmp_path):
    path = str(tmp_path / "db.sqlite3")
    first = Store(seed=2, scale=500, db_path=path)
    first.mutate("sends", 3)
    first.close()
    again = Store(seed=2, scale=500, db_path=path)
    try:
        assert again.reused
        fresh = Store(seed=2, scale=500)
        try:
            # the reused file was reset to the seeded state
            assert again.page("sends", 0, 500) == fresh.page("sends", 0, 500)
        finally:
            fresh.close()
    finally:
        again.close()
    other = Store(seed=3, scale=500, db_path=path)
    try:
        assert not other.reused
    finally:
        other.close()

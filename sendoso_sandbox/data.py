"""Deterministic data generator.

Everything derives from ``(seed, scale)`` through ``random.Random`` instances
seeded with strings (hashed with SHA-512 by the stdlib, so stable across runs
and machines) and from FIXED anchor dates, never the clock, so the same seed and
scale give byte-identical documents.

Sendoso's docs write some fields in two forms: amounts as decimal text (``"50000"``,
``"578.0"``) and as bare numbers (``50``, ``0``, prices typed ``number``), ids as numbers
in the examples and as text in the field lists, timestamps with milliseconds (groups,
touches) and without (sends). The generator sends both forms of those fields, mixed across
records, so a client must cope with either (see ``_Forms``).

Rows are produced as tuples in the store's column order::

    (id, pos, parent_id, created_ms, updated_ms, updated_at, doc)

``pos`` is the record's rank in the direct API's listing order (NULL = never
listed, e.g. inactive touches); ``doc`` is the pre-serialised JSON the API
answers with, so serving a page joins stored strings instead of re-encoding.
"""

from __future__ import annotations

import base64
import json
import random
from dataclasses import dataclass
from typing import Iterator

from .resources import SEND_TYPES
from .timefmt import OFFSETS_MINUTES, format_date, format_offset, format_sendoso

GENERATOR_VERSION = 2  # bump when the output changes, so cached --db files regenerate

_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)
dumps = _ENCODER.encode

DAY_MS = 86_400_000
ACCOUNT_START_MS = 1_609_750_800_000  # 2021-01-04T09:00:00Z: the account is opened
SENDS_START_MS = 1_640_995_200_000  # 2022-01-01T00:00:00Z
SENDS_END_MS = 1_733_011_200_000  # 2024-12-01T00:00:00Z
TEAM_ID = 7001
TEAM_NAME = "Northwind Labs"

FIRST_NAMES = (
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Mateo",
    "Sophia",
    "Lucas",
    "Mia",
    "Ethan",
    "Amelia",
    "James",
    "Harper",
    "Benjamin",
    "Evelyn",
    "Elijah",
    "Chloé",
    "Henry",
    "Zoë",
    "Jack",
    "Priya",
    "Arjun",
    "Mei",
    "Hiroshi",
    "Fatima",
    "Omar",
    "Ingrid",
    "Sven",
    "José",
    "Lucía",
    "Chidi",
    "Amara",
    "Dmitri",
    "Anya",
    "Siobhán",
    "Connor",
    "Grace",
    "Leo",
    "Nora",
    "Isaac",
)
LAST_NAMES = (
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "García",
    "Miller",
    "Davis",
    "Rodríguez",
    "Martinez",
    "Hernández",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Pérez",
    "Thompson",
    "White",
    "Harris",
    "Sánchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Nakamura",
    "Okafor",
    "Patel",
    "Müller",
    "O'Brien",
    "Kowalski",
    "Nguyen",
    "Schmidt",
    "Rossi",
    "Dubois",
)
COMPANIES = (
    "Acme Robotics",
    "Globex Corporation",
    "Initech",
    "Umbrella Analytics",
    "Stark Logistics",
    "Wayne Biotech",
    "Hooli",
    "Vandelay Industries",
    "Soylent Foods",
    "Tyrell Systems",
    "Cyberdyne Cloud",
    "Wonka Confections",
    "Pied Piper",
    "Aperture Labs",
    "Massive Dynamic",
    "Oscorp Health",
    "Prestige Worldwide",
    "Dunder Mifflin",
    "Bluth Company",
    "Gekko & Co",
    "Sterling Cooper",
    "Nakatomi Trading",
    "Monarch Solutions",
    "Black Mesa Research",
    "Virtucon",
    "Zorg Industries",
    "Rekall Inc",
    "Duff Beverages",
    "Krusty Brands",
    "Los Pollos Hermanos",
)
GROUP_NAMES = (
    "Sales",
    "Marketing",
    "Customer Success",
    "SDR East",
    "SDR West",
    "Enterprise AE",
    "Partnerships",
    "Recruiting",
    "Executive",
    "Field Marketing",
    "Account Management",
    "Demand Gen",
)
TOUCH_THEMES = (
    ("Coffee eGift", "email", "eGift"),
    ("Welcome Kit", "mail", "Swag"),
    ("Executive Wine Box", "mail", "Wine"),
    ("Lunch on Us", "email", "eGift"),
    ("Handwritten Thank You", "mail", "Handwritten Notes"),
    ("Book Club", "mail", "Books"),
    ("Charity Donation", "email", "Donation"),
    ("Snack Box", "mail", "Snacks"),
    ("Amazon Gift Card", "email", "eGift"),
    ("Conference Follow-up", "mail", "Swag"),
    ("Renewal Thank You", "email", "eGift"),
    ("Holiday Hamper", "mail", "Food"),
)
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
COUNTRY_SETS = (("US",), ("US", "CA"), ("US", "CA", "GB"), ("GB", "IE"), ("DE", "FR", "NL"), ("AU",))
CURRENCY_BY_COUNTRY = {"US": "USD", "GB": "GBP", "DE": "EUR", "AU": "AUD"}
EGIFT_SUBTYPES = ("Amazon.com", "Starbucks", "DoorDash", "Uber Eats", "Visa Prepaid", None)
PHYSICAL_SUBTYPES = ("Swag", "Snacks", "Books", "Wine", None)
EGIFT_TYPES = ("eGifts USA", "eGifts International", "Sendoso Choice", "Amazon")
PHYSICAL_TYPES = ("Sendoso Direct", "Inventoried Sends", "Handwritten Notes", "Sendoso Choice")
assert set(EGIFT_TYPES + PHYSICAL_TYPES) <= set(SEND_TYPES)

# Status journeys; a send has taken the first k steps (k = 0..5) of one of them.
EGIFT_FLOWS = (
    ("Processing", "Opened", "Clicked", "Delivered"),
    ("Processing", "Opened", "Clicked"),
    ("Processing", "Bounced and Credited"),
    ("Processing", "Opened", "Expired and Credited"),
    ("Processing", "Paused", "Processing", "Opened", "Clicked"),
    ("Processing", "Failed"),
)
PHYSICAL_FLOWS = (
    ("Processing", "Confirming Address", "Packed", "Delivered"),
    ("Collecting recipient info", "Confirming Address", "Packed", "Delivered"),
    ("Collecting recipient info", "Address Confirmation - Cancelled"),
    ("Processing", "Paused", "Cancelled"),
    ("Processing", "Packed", "Delivered"),
    ("Processing", "Failed"),
)
# Where a mutated send goes next (any status not listed moves to "Delivered").
NEXT_STATUS = {
    "Processing": "Opened",
    "Opened": "Clicked",
    "Clicked": "Delivered",
    "Collecting recipient info": "Confirming Address",
    "Confirming Address": "Packed",
    "Packed": "Delivered",
    "Paused": "Processing",
}

PRODUCT_CATEGORIES = (
    {"id": 1, "name": "Food & Beverage"},
    {"id": 2, "name": "Wellness"},
    {"id": 3, "name": "Tech & Gadgets"},
    {"id": 4, "name": "Home & Office"},
    {"id": 5, "name": "Experiences"},
    {"id": 6, "name": "Charity"},
)


@dataclass(frozen=True)
class Sizes:
    sends: int
    users: int
    groups: int
    touches: int  # active (listed) touches
    inactive_touches: int
    products: int
    return_addresses: int
    gifts: int
    touch_styles: int
    user_custom_templates: int
    journals: int
    payments: int
    purchase_orders: int
    tax_rates: int
    bulk_jobs: int

    @classmethod
    def for_scale(cls, scale: int) -> "Sizes":
        if scale < 0:
            raise ValueError("scale must be >= 0")
        users = max(5, scale // 50)
        touches = max(3, scale // 100)
        return cls(
            sends=scale,
            users=users,
            groups=max(2, users // 10),
            touches=touches,
            inactive_touches=max(1, touches // 4),
            products=max(5, scale // 200),
            return_addresses=max(3, users // 4),
            gifts=max(5, touches // 2),
            touch_styles=6,
            user_custom_templates=max(3, users // 2),
            journals=max(5, scale // 100),
            payments=max(3, scale // 500),
            purchase_orders=max(2, scale // 1000),
            tax_rates=8,
            bulk_jobs=3,
        )


class _TimestampFormatter:
    """``format_sendoso`` with the date part cached per local day (hot loop)."""

    def __init__(self) -> None:
        self._days: dict[int, str] = {}
        self._offsets = {m: format_offset(m) for m in OFFSETS_MINUTES}

    def __call__(self, ms: int, offset_minutes: int) -> str:
        seconds, millis = divmod(ms, 1000)
        day, sod = divmod(seconds + offset_minutes * 60, 86_400)
        date = self._days.get(day)
        if date is None:
            date = self._days[day] = format_date(day * DAY_MS)
        return "%sT%02d:%02d:%02d.%03d%s" % (date, sod // 3600, sod // 60 % 60, sod % 60, millis, self._offsets[offset_minutes])


def _rng(seed: int, name: str) -> random.Random:
    return random.Random(f"sendoso-sandbox/{seed}/{name}")


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


class _Forms:
    """Which of the two documented forms a field takes. They alternate from one record to the
    next, so that even the smallest account (two groups) shows both; the first record takes
    the form of the docs' example."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def _alternate(self, field: str) -> bool:
        count = self._seen[field] = self._seen.get(field, -1) + 1
        return count % 2 == 1

    def text_first(self, field: str, text: str):
        """Decimal text as written (``"50000"``), then the bare number."""
        return _bare_number(text) if self._alternate(field) else text

    def number_first(self, field: str, text: str):
        """The bare number (``0``), then decimal text as written (``"0.0"``)."""
        return text if self._alternate(field) else _bare_number(text)

    def id(self, field: str, value: int):
        """The integer id, then its decimal text."""
        return str(value) if self._alternate(field) else value


def _bare_number(text: str):
    return float(text) if "." in text else int(text)


def _product_image(path: str) -> dict:
    return {
        "url": f"https://assets.sendoso.example/{path}",
        "cdn_main": {"url": f"https://cdn.sendoso.example/main/{path}"},
        "cdn_thumbnail": {"url": f"https://cdn.sendoso.example/thumbnail/{path}"},
    }


def _midnight(ms: int, offset_minutes: int) -> str:
    """The start of the local day of ``ms``, as Sendoso writes a touch's start and end dates."""
    return f"{format_date(ms, offset_minutes)}T00:00:00.000{format_offset(offset_minutes)}"


money = _money  # the one text form of an amount: the store writes changed costs with it too


def _slug(text: str) -> str:
    table = str.maketrans("áéíóúüöçñëèàšćåøæ", "aeiouuocneeascaoa")
    return "".join(ch for ch in text.lower().translate(table) if ch.isalnum())


def _pick_time(rng: random.Random, start_ms: int, end_ms: int) -> int:
    # Whole seconds with a millisecond part, like Rails renders Postgres times.
    return start_ms + rng.randrange(0, max(1, (end_ms - start_ms) // 1000)) * 1000 + rng.randrange(1000)


class Generator:
    """Builds all tables for one (seed, scale).  Small tables are kept in memory
    (sends need users/touches/groups for their nested objects)."""

    def __init__(self, seed: int, scale: int):
        self.seed = seed
        self.sizes = Sizes.for_scale(scale)
        self.users: list[dict] = []
        self.groups: list[dict] = []
        self.user_offsets: dict[int, int] = {}
        self.touches: list[dict] = []  # active and inactive
        self._build_people()
        self._build_touches()

    # ---- people and groups ------------------------------------------------
    def _build_people(self) -> None:
        rng = _rng(self.seed, "people")
        forms = _Forms()
        s = self.sizes
        for g in range(s.groups):
            base = GROUP_NAMES[g % len(GROUP_NAMES)]
            name = base if g < len(GROUP_NAMES) else f"{base} {g // len(GROUP_NAMES) + 1}"
            created = _pick_time(rng, ACCOUNT_START_MS, ACCOUNT_START_MS + 120 * DAY_MS)
            updated = _pick_time(rng, created, SENDS_END_MS)
            monthly = rng.choice((5000, 10000, 25000, 50000))
            offset = rng.choice(OFFSETS_MINUTES)
            group = {
                "id": 201 + g,
                # A number in the docs' example (and what the store adds to on a mutation).
                "budget": float(rng.choice((1000, 2500, 5000, 7500, 10000))),
                "created_at": format_sendoso(created, offset),
                "monthly_budget": str(monthly),
                "name": name,
                "one_time_budget": rng.choice(("0.0", "0.0", "500.0", "1500.0")),
                "rollover": rng.random() < 0.5,
                "team_id": TEAM_ID,
                "updated_at": format_sendoso(updated, offset),
                "_created_ms": created,
                "_updated_ms": updated,
                "_offset": offset,
            }
            # The docs' example: `"id": 1234`, `"monthly_budget": "50000"`, `"one_time_budget": 0`;
            # their field list: id a string, one_time_budget an integer.
            group["_forms"] = {
                "id": forms.id("id", group["id"]),
                "monthly_budget": forms.text_first("monthly_budget", group["monthly_budget"]),
                "one_time_budget": forms.number_first("one_time_budget", group["one_time_budget"]),
            }
            self.groups.append(group)
        seen_emails: set[str] = set()
        for u in range(s.users):
            first = rng.choice(FIRST_NAMES)
            last = rng.choice(LAST_NAMES)
            email = f"{_slug(first)}.{_slug(last)}@northwindlabs.example"
            if email in seen_emails:
                email = f"{_slug(first)}.{_slug(last)}{u}@northwindlabs.example"
            seen_emails.add(email)
            # The first user is the admin the API token belongs to; every group has
            # at least one member (round-robin for the first len(groups) users).
            group = self.groups[u % s.groups] if u < s.groups else rng.choice(self.groups)
            user = {
                "id": 1001 + u,
                "first_name": first,
                "last_name": last,
                "email": email,
                "team_group_id": group["id"],
            }
            self.users.append(user)
            self.user_offsets[user["id"]] = OFFSETS_MINUTES[u % len(OFFSETS_MINUTES)]  # every offset in use
        self._group_by_id = {g["id"]: g for g in self.groups}

    def _public_group(self, group: dict) -> dict:
        doc = {k: v for k, v in group.items() if not k.startswith("_")}
        doc.update(group["_forms"])
        return doc

    def me_rows(self) -> list[tuple]:
        admin = self.users[0]
        doc = {
            "id": admin["id"],
            "first_name": admin["first_name"],
            "last_name": admin["last_name"],
            "email": admin["email"],
            "role": "admin",
            "balance": "1250.0",
            "team_balance": f"{sum(int(g['monthly_budget']) for g in self.groups)}.0",
        }
        return [(admin["id"], 0, None, None, None, None, dumps(doc))]

    def user_rows(self) -> list[tuple]:
        return [(u["id"], i, u["team_group_id"], None, None, None, dumps(u)) for i, u in enumerate(self.users)]

    def group_rows(self) -> list[tuple]:
        return [
            (g["id"], i, None, g["_created_ms"], g["_updated_ms"], g["updated_at"], dumps(self._public_group(g)))
            for i, g in enumerate(self.groups)
        ]

    def member_rows(self) -> list[tuple]:
        rng = _rng(self.seed, "members")
        rows = []
        for i, u in enumerate(self.users):
            doc = {
                "id": u["id"],
                "balance": f"{rng.randrange(0, 2000)}.0",
                "first_name": u["first_name"],
                "last_name": u["last_name"],
                "email": u["email"],
                "team_group_id": u["team_group_id"],
                "team_id": TEAM_ID,
                "sandbox": rng.random() < 0.1,
                "key": f"{rng.getrandbits(128):032x}",
            }
            rows.append((u["id"], i, u["team_group_id"], None, None, None, dumps(doc)))
        return rows

    # ---- touches ------------------------------------------------------------
    def _build_touches(self) -> None:
        rng = _rng(self.seed, "touches")
        forms = _Forms()
        s = self.sizes
        total = s.touches + s.inactive_touches
        inactive = set(rng.sample(range(total), s.inactive_touches))
        for t in range(total):
            theme, delivery, _category = TOUCH_THEMES[rng.randrange(len(TOUCH_THEMES))]
            countries = list(rng.choice(COUNTRY_SETS))
            currency = CURRENCY_BY_COUNTRY.get(countries[0], "USD")
            creator = rng.choice(self.users)
            offset = self.user_offsets[creator["id"]]
            created = _pick_time(rng, ACCOUNT_START_MS, SENDS_END_MS - 30 * DAY_MS)
            start = created + rng.randrange(0, 10) * DAY_MS
            end = start + rng.randrange(30, 400) * DAY_MS if rng.random() < 0.6 else None
            low = rng.choice((10, 15, 20, 25, 50))
            high = low + rng.choice((0, 0, 5, 25, 50))
            year = format_date(start)[:4]
            doc = {
                "id": 3001 + t,
                "name": f"{rng.choice(QUARTERS)} {year} {theme}",
                # Start and end days as the docs show them: the account's midnight, in its offset.
                "start_date": _midnight(start, offset),
                "end_date": _midnight(end, offset) if end is not None else None,
                "description": f"{theme} for {rng.choice(('prospects', 'customers', 'new hires', 'event attendees', 'champions'))}",
                "created_at": format_sendoso(created, offset),
                "user_id": creator["id"],
                "gift_id": 5001 + rng.randrange(s.gifts),
                "starting_egift_price": None,
                "ending_egift_price": None,
                "status": "Inactive" if t in inactive else "Active",
                "is_default_price": rng.random() < 0.3,
                "delivery_type": delivery,
                "hubspot_key": f"hs_{rng.getrandbits(40):010x}" if rng.random() < 0.4 else None,
                "ship_to_countries": countries,
                "currency": currency,
            }
            if delivery == "email" and not doc["is_default_price"]:
                # Only an eGift touch with a range of amounts has prices; the docs type them
                # as numbers, other Sendoso amounts are decimal text.
                doc["starting_egift_price"] = forms.number_first("starting_egift_price", f"{low}.0")
                doc["ending_egift_price"] = forms.number_first("ending_egift_price", f"{high}.0")
            self.touches.append({"doc": doc, "created_ms": created, "group_id": creator["team_group_id"], "low": low, "high": high})

    def touch_rows(self) -> list[tuple]:
        rows = []
        rank = 0
        for t in self.touches:  # ids ascend with list order, listing is by id asc
            doc = t["doc"]
            pos = None
            if doc["status"] == "Active":
                pos, rank = rank, rank + 1
            rows.append((doc["id"], pos, t["group_id"], t["created_ms"], None, None, dumps(doc)))
        return rows

    # ---- sends --------------------------------------------------------------
    def send_batches(self, batch_size: int = 20_000) -> Iterator[list[tuple]]:
        """Sends in id order.  created_at never decreases with the id (ids are
        handed out at creation), and about 2% of sends share the previous one's
        instant, so the (created_at desc, id desc) order has real ties.  Hence the
        listing position is simply ``n - 1 - i``.

        This loop is the hot path at scale 1,000,000, so documents are assembled
        from fragments that were each encoded ONCE with ``json.dumps`` (correct
        escaping), and random picks index with ``random()`` directly."""
        rng = _rng(self.seed, "sends")
        n = self.sizes.sends
        if n == 0:
            return
        senders = []
        for u in self.users:
            group = self._group_by_id[u["team_group_id"]]
            sender = {
                "id": u["id"],
                "name": f"{u['first_name']} {u['last_name']}",
                "email": u["email"],
                "team_id": group["id"],
                "team_name": group["name"],
            }
            senders.append((dumps(sender), self.user_offsets[u["id"]]))
        touch_refs = []
        for t in self.touches:
            doc = t["doc"]
            low, high = t["low"] * 100, t["high"] * 100
            touch_json = dumps({"id": doc["id"], "name": doc["name"]})
            touch_refs.append((touch_json, doc["delivery_type"] == "email", dumps(doc["currency"]), low, high))
        people = [(dumps(f"{first} {last}"), f"{_slug(first)}.{_slug(last)}@") for first in FIRST_NAMES for last in LAST_NAMES]
        companies = [(dumps(c), _slug(c) + '.example"') for c in COMPANIES]
        egift_types = [dumps(t) for t in EGIFT_TYPES]
        physical_types = [dumps(t) for t in PHYSICAL_TYPES]
        egift_subtypes = [dumps(t) for t in EGIFT_SUBTYPES]
        physical_subtypes = [dumps(t) for t in PHYSICAL_SUBTYPES]
        egift_flows = [tuple(dumps(s) for s in flow) for flow in EGIFT_FLOWS]
        physical_flows = [tuple(dumps(s) for s in flow) for flow in PHYSICAL_FLOWS]
        fmt = _TimestampFormatter()
        mean_step_s = max(1, (SENDS_END_MS - SENDS_START_MS) // 1000 // n)
        t_s = SENDS_START_MS // 1000
        t_ms = 0
        send_id = 100_000
        batch: list[tuple] = []
        r = rng.random
        n_senders, n_touches, n_people, n_companies = len(senders), len(touch_refs), len(people), len(companies)
        b64 = base64.b64encode
        for i in range(n):
            send_id += 1 if r() >= 0.05 else 2 + int(r() * 3)  # gaps: deleted drafts
            if i == 0 or r() >= 0.02:
                t_s += 1 + int(r() * 2 * mean_step_s)
                t_ms = int(r() * 1000) if r() < 0.6 else 0
            created_ms = t_s * 1000 + t_ms
            sender_json, offset = senders[int(r() * n_senders)]
            touch_json, is_egift, currency_json, low, high = touch_refs[int(r() * n_touches)]
            if is_egift:
                type_json = egift_types[int(r() * 4)]
                subtype_json = egift_subtypes[int(r() * 6)]
                flow = egift_flows[int(r() * 6)]
                sent_via = '"link"' if r() < 0.15 else '"email"'
                cost = low + int(r() * (high - low + 1)) + int(r() * 300)  # price + fees
            else:
                type_json = physical_types[int(r() * 4)]
                subtype_json = physical_subtypes[int(r() * 5)]
                flow = physical_flows[int(r() * 6)]
                sent_via = '"email"' if r() < 0.25 else '"address"'
                cost = 1500 + int(r() * 13500)
            k = int(r() * (min(5, len(flow)) + 1))
            # The docs show sends' times in whole seconds without a fraction (12:08:27-07:00),
            # other resources' with milliseconds: a send created on a whole second is written
            # that way throughout, the others with milliseconds.
            whole = t_ms == 0
            at = created_ms
            updates = []
            occurred = ""
            for step in range(k):
                seconds = 600 + int(r() * 431_400)
                millis = int(r() * 1000)
                at += seconds * 1000 + (0 if whole else millis)
                occurred = fmt(at, offset)
                if whole:
                    occurred = occurred[:19] + occurred[23:]
                updates.append('{"status":%s,"occurred_at":"%s"}' % (flow[step], occurred))
            person_name, person_email = people[int(r() * n_people)]
            company_json, company_domain = companies[int(r() * n_companies)]
            created_at = fmt(created_ms, offset)
            if whole:
                created_at = created_at[:19] + created_at[23:]
            doc = (
                '{"id":%d,"send_gid":"%s","type":%s,"subtype":%s,"currency":%s,"current_total_cost":"%d.%02d",'
                '"status":%s,"created_at":"%s","touch":%s,"recipient":{"name":%s,"email":"%s%s,"company_name":%s},'
                '"sender":%s,"sent_via":%s,"status_updates":[%s]}'
                % (
                    send_id,
                    b64(b"gid://sendoso/Send/%d" % send_id).decode(),
                    type_json,
                    subtype_json,
                    currency_json,
                    cost // 100,
                    cost % 100,
                    flow[k - 1] if k else flow[0],
                    created_at,
                    touch_json,
                    person_name,
                    person_email,
                    company_domain,
                    company_json,
                    sender_json,
                    sent_via,
                    ",".join(updates),
                )
            )
            batch.append((send_id, n - 1 - i, None, created_ms, at, occurred or created_at, doc))
            if len(batch) >= batch_size:
                yield batch
                batch = []
        if batch:
            yield batch

    # ---- marketplace ----------------------------------------------------------
    def product_rows(self) -> list[tuple]:
        rng = _rng(self.seed, "products")
        adjectives = ("Artisan", "Organic", "Premium", "Classic", "Deluxe", "Eco", "Gourmet", "Smart")
        nouns = (
            "Coffee Sampler",
            "Tea Set",
            "Desk Plant",
            "Wireless Charger",
            "Yoga Mat",
            "Chocolate Box",
            "Candle Trio",
            "Water Bottle",
            "Notebook Set",
            "Cookie Tin",
        )
        rows = []
        variant_id = 90_000
        for p in range(self.sizes.products):
            pid = 9001 + p
            variants = []
            for _ in range(rng.randrange(1, 4)):
                variant_id += 1
                # The marketplace documents its ids and prices as text, and each image with
                # its CDN copies.
                variants.append(
                    {
                        "id": str(variant_id),
                        "estimated_total_price": {
                            "currency": "USD",
                            "price_per_unit": _money(rng.randrange(900, 15000)),
                        },
                        "images": [_product_image(f"marketplace/{pid}/{variant_id}-{n}.jpg") for n in range(rng.randrange(1, 4))],
                    }
                )
            name = f"{rng.choice(adjectives)} {rng.choice(nouns)}"
            doc = {"id": str(pid), "name": name, "description": f"{name}, shipped in branded packaging.", "variants": variants}
            rows.append((pid, p, None, None, None, None, dumps(doc)))
        return rows

    # ---- hub-only objects --------------------------------------------------------
    def _timed_rows(self, name: str, count: int, first_id: int, build) -> list[tuple]:
        """Rows for small hub-only objects with created_at/updated_at."""
        rng = _rng(self.seed, name)
        rows = []
        for i in range(count):
            offset = rng.choice(OFFSETS_MINUTES)
            created = _pick_time(rng, ACCOUNT_START_MS, SENDS_END_MS - DAY_MS)
            updated = _pick_time(rng, created, SENDS_END_MS)
            doc = {"id": first_id + i}
            doc.update(build(rng, i))
            doc["created_at"] = format_sendoso(created, offset)
            doc["updated_at"] = format_sendoso(updated, offset)
            rows.append((doc["id"], i, None, created, updated, doc["updated_at"], dumps(doc)))
        return rows

    def return_address_rows(self) -> list[tuple]:
        cities = (
            ("Austin", "TX", "78701", "US"),
            ("San Francisco", "CA", "94105", "US"),
            ("New York", "NY", "10001", "US"),
            ("Toronto", "ON", "M5H 2N2", "CA"),
            ("London", "", "EC1A 1BB", "GB"),
            ("Chicago", "IL", "60601", "US"),
        )

        def build(rng, i):
            city, state, zip_code, country = rng.choice(cities)
            user = rng.choice(self.users)
            return {
                "name": f"{user['first_name']} {user['last_name']}",
                "company_name": TEAM_NAME,
                "address_line_1": f"{rng.randrange(1, 9999)} {rng.choice(('Main', 'Market', 'Oak', 'King', 'Pine'))} St",
                "address_line_2": rng.choice((None, f"Suite {rng.randrange(100, 999)}")),
                "city": city,
                "state": state,
                "zip": zip_code,
                "country": country,
                "phone": f"+1-555-{rng.randrange(100, 999)}-{rng.randrange(1000, 9999)}",
                "is_default": i == 0,
            }

        return self._timed_rows("return_addresses", self.sizes.return_addresses, 401, build)

    def gift_rows(self) -> list[tuple]:
        def build(rng, i):
            theme, delivery, category = rng.choice(TOUCH_THEMES)
            return {
                "name": theme,
                "description": f"{category} gift",
                "category": category,
                "price": _money(rng.randrange(1000, 20000)),
                "currency": "USD",
                "delivery_type": delivery,
                "vendor": rng.choice(("Sendoso Direct", "Amazon", "Tango", "Local Vendor")),
                "status": rng.choice(("active", "active", "archived")),
            }

        return self._timed_rows("gifts", self.sizes.gifts, 5001, build)

    def touch_style_rows(self) -> list[tuple]:
        styles = ("Classic", "Minimal", "Festive", "Corporate", "Playful", "Elegant")

        def build(rng, i):
            return {"name": styles[i % len(styles)], "description": f"{styles[i % len(styles)]} landing page style"}

        return self._timed_rows("touch_styles", self.sizes.touch_styles, 11, build)

    def user_custom_template_rows(self) -> list[tuple]:
        def build(rng, i):
            user = rng.choice(self.users)
            return {
                "user_id": user["id"],
                "name": f"Template {i + 1}",
                "subject": rng.choice(("A little something for you", "Thanks for your time", "Welcome aboard!")),
                "body": "Hi {{first_name}}, " + rng.choice(("enjoy!", "thank you!", "cheers!")),
            }

        return self._timed_rows("user_custom_templates", self.sizes.user_custom_templates, 601, build)

    def journal_rows(self) -> list[tuple]:
        def build(rng, i):
            kind = rng.choice(("funding", "spend", "refund", "transfer"))
            return {
                "entry_type": kind,
                "amount": _money(rng.randrange(1000, 500000)),
                "currency": "USD",
                "description": f"{kind.title()} entry",
                "team_group_id": rng.choice(self.groups)["id"],
            }

        return self._timed_rows("journals", self.sizes.journals, 70_001, build)

    def payment_rows(self) -> list[tuple]:
        def build(rng, i):
            return {
                "amount": _money(rng.randrange(100_000, 5_000_000)),
                "currency": "USD",
                "method": rng.choice(("credit_card", "ach", "wire")),
                "status": rng.choice(("succeeded", "succeeded", "pending", "failed")),
                "reference": f"PAY-{rng.getrandbits(32):08X}",
            }

        return self._timed_rows("payments", self.sizes.payments, 8001, build)

    def purchase_order_rows(self) -> list[tuple]:
        def build(rng, i):
            return {
                "po_number": f"PO-{2021 + i % 4}-{i + 1:05d}",
                "amount": _money(rng.randrange(500_000, 10_000_000)),
                "currency": "USD",
                "status": rng.choice(("open", "paid", "void")),
                "issued_on": format_date(_pick_time(rng, ACCOUNT_START_MS, SENDS_END_MS)),
            }

        return self._timed_rows("purchase_orders", self.sizes.purchase_orders, 8501, build)

    def tax_rate_rows(self) -> list[tuple]:
        regions = (
            ("US", "CA", "0.0725"),
            ("US", "TX", "0.0625"),
            ("US", "NY", "0.04"),
            ("US", "WA", "0.065"),
            ("CA", "ON", "0.13"),
            ("GB", "", "0.2"),
            ("DE", "", "0.19"),
            ("AU", "", "0.1"),
        )

        def build(rng, i):
            country, region, rate = regions[i % len(regions)]
            return {"country": country, "region": region, "rate": rate}

        return self._timed_rows("tax_rates", self.sizes.tax_rates, 21, build)

    def bulk_job_rows(self) -> list[tuple]:
        def build(rng, i):
            return {
                "object_name": rng.choice(("sent-gifts", "touches", "users")),
                "status": rng.choice(("COMPLETED", "COMPLETED", "FAILED")),
                "record_count": rng.randrange(0, 5000),
            }

        return self._timed_rows("bulk_jobs", self.sizes.bulk_jobs, 1, build)

    def small_tables(self) -> dict[str, list[tuple]]:
        return {
            "me": self.me_rows(),
            "users": self.user_rows(),
            "groups": self.group_rows(),
            "members": self.member_rows(),
            "touches": self.touch_rows(),
            "products": self.product_rows(),
            "return_addresses": self.return_address_rows(),
            "gifts": self.gift_rows(),
            "touch_styles": self.touch_style_rows(),
            "user_custom_templates": self.user_custom_template_rows(),
            "journals": self.journal_rows(),
            "payments": self.payment_rows(),
            "purchase_orders": self.purchase_order_rows(),
            "tax_rates": self.tax_rate_rows(),
            "bulk_jobs": self.bulk_job_rows(),
        }

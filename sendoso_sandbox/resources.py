"""The resources the sandbox stores, their record shapes and where they are served.

One table per resource, all with the same columns (see ``store.py``).  The field
specs below are the single description of each record shape: the generator in
``data.py`` writes exactly these keys, the hub's ``/objects/{name}/metadata``
is derived from them, and a CEQL ``where`` naming a field not listed here is
rejected with 400 (as the hub rejects unknown fields).

Spec values are the hub metadata types: ``string``, ``number``, ``boolean``,
``date`` (text in a date form), ``array``, or a nested dict for an object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Union

Spec = Mapping[str, Union[str, "Spec"]]

SEND_TYPES = (
    "Amazon",
    "Handwritten Notes",
    "Inventoried Sends",
    "Sendoso Choice",
    "Sendoso Direct",
    "eGifts International",
    "eGifts USA",
)

SEND_STATUSES = (
    "Address Confirmation - Cancelled",
    "Bounced and Credited",
    "Cancelled",
    "Clicked",
    "Collecting recipient info",
    "Confirming Address",
    "Delivered",
    "Expired and Credited",
    "Failed",
    "Opened",
    "Packed",
    "Paused",
    "Processing",
)


@dataclass(frozen=True)
class Resource:
    table: str  # SQLite table and the key in /_sandbox/stats "records"
    fields: Spec
    hub_path: str | None = None  # list path under /hubs/rewards, None = not on the hub
    object_name: str | None = None  # name in GET /hubs/rewards/objects
    # Paths whose value is ALWAYS a date-form text mirrored into an indexed
    # epoch-ms column, so a where/orderBy on them can use the index.
    ms_columns: Mapping[tuple, str] = field(default_factory=dict)
    # Hub-only derived fields (not in the document), path -> column holding the text.
    virtual: Mapping[tuple, str] = field(default_factory=dict)
    read_only: frozenset = frozenset({"id", "created_at", "updated_at"})
    required: frozenset = frozenset()
    # Key in /_sandbox/stats "records": the connector's stream name where one exists.
    stats_name: str | None = None

    @property
    def public_name(self) -> str:
        return self.stats_name or self.table


ME = Resource(
    table="me",
    hub_path="me",
    object_name="me",
    fields={
        "id": "number",
        "first_name": "string",
        "last_name": "string",
        "email": "string",
        "role": "string",
        "balance": "string",
        "team_balance": "string",
    },
)

USERS = Resource(
    table="users",
    hub_path="users",
    object_name="users",
    fields={
        "id": "number",
        "first_name": "string",
        "last_name": "string",
        "email": "string",
        "team_group_id": "number",
    },
    required=frozenset({"email", "first_name", "last_name"}),
)

GROUPS = Resource(
    table="groups",
    hub_path="groups",
    object_name="groups",
    fields={
        "id": "number",
        "budget": "number",
        "created_at": "date",
        "monthly_budget": "string",
        "name": "string",
        "one_time_budget": "string",
        "rollover": "boolean",
        "team_id": "number",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
    required=frozenset({"name"}),
)

MEMBERS = Resource(
    table="members",
    stats_name="group_members",
    object_name="members",  # served only as groups/{id}/members
    fields={
        "id": "number",
        "balance": "string",
        "first_name": "string",
        "last_name": "string",
        "email": "string",
        "team_group_id": "number",
        "team_id": "number",
        "sandbox": "boolean",
        "key": "string",
    },
)

TOUCHES = Resource(
    table="touches",
    hub_path="touches",
    object_name="touches",
    fields={
        "id": "number",
        "name": "string",
        "start_date": "date",
        "end_date": "date",
        "description": "string",
        "created_at": "date",
        "user_id": "number",
        "gift_id": "number",
        "starting_egift_price": "string",
        "ending_egift_price": "string",
        "status": "string",
        "is_default_price": "boolean",
        "delivery_type": "string",
        "hubspot_key": "string",
        "ship_to_countries": "array",
        "currency": "string",
    },
    ms_columns={("created_at",): "created_ms"},
    required=frozenset({"name"}),
)

SENDS = Resource(
    table="sends",
    hub_path="sent-gifts",
    object_name="sent-gifts",
    fields={
        "id": "number",
        "send_gid": "string",
        "type": "string",
        "subtype": "string",
        "currency": "string",
        "current_total_cost": "string",
        "status": "string",
        "created_at": "date",
        "touch": {"id": "number", "name": "string"},
        "recipient": {"name": "string", "email": "string", "company_name": "string"},
        "sender": {
            "id": "number",
            "name": "string",
            "email": "string",
            "team_id": "number",
            "team_name": "string",
        },
        "sent_via": "string",
        "status_updates": "array",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
    # The hub derives updated_at = latest status_updates[].occurred_at, else created_at.
    virtual={("updated_at",): "updated_at"},
    read_only=frozenset({"id", "send_gid", "created_at", "updated_at", "status_updates"}),
)

PRODUCTS = Resource(
    table="products",
    stats_name="marketplace_products",
    fields={"id": "number", "name": "string", "description": "string", "variants": "array"},
)

RETURN_ADDRESSES = Resource(
    table="return_addresses",
    hub_path="return-addresses",
    object_name="return-addresses",
    fields={
        "id": "number",
        "name": "string",
        "company_name": "string",
        "address_line_1": "string",
        "address_line_2": "string",
        "city": "string",
        "state": "string",
        "zip": "string",
        "country": "string",
        "phone": "string",
        "is_default": "boolean",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
    required=frozenset({"address_line_1", "city", "country"}),
)

GIFTS = Resource(
    table="gifts",
    hub_path="gifts",
    object_name="gifts",
    fields={
        "id": "number",
        "name": "string",
        "description": "string",
        "category": "string",
        "price": "string",
        "currency": "string",
        "delivery_type": "string",
        "vendor": "string",
        "status": "string",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
)

TOUCH_STYLES = Resource(
    table="touch_styles",
    hub_path="touch-styles",
    object_name="touch-styles",
    fields={
        "id": "number",
        "name": "string",
        "description": "string",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
)

USER_CUSTOM_TEMPLATES = Resource(
    table="user_custom_templates",
    hub_path="user-custom-templates",
    object_name="user-custom-templates",
    fields={
        "id": "number",
        "user_id": "number",
        "name": "string",
        "subject": "string",
        "body": "string",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
)

JOURNALS = Resource(
    table="journals",
    hub_path="journals",
    object_name="journals",
    fields={
        "id": "number",
        "entry_type": "string",
        "amount": "string",
        "currency": "string",
        "description": "string",
        "team_group_id": "number",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
)

PAYMENTS = Resource(
    table="payments",
    hub_path="payments",
    object_name="payments",
    fields={
        "id": "number",
        "amount": "string",
        "currency": "string",
        "method": "string",
        "status": "string",
        "reference": "string",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
)

PURCHASE_ORDERS = Resource(
    table="purchase_orders",
    hub_path="purchase-orders",
    object_name="purchase-orders",
    fields={
        "id": "number",
        "po_number": "string",
        "amount": "string",
        "currency": "string",
        "status": "string",
        "issued_on": "date",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
)

TAX_RATES = Resource(
    table="tax_rates",
    hub_path="tax-rates",
    object_name="tax-rates",
    fields={
        "id": "number",
        "country": "string",
        "region": "string",
        "rate": "string",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
)

BULK_JOBS = Resource(
    table="bulk_jobs",
    hub_path="bulk/jobs",
    object_name="bulk/jobs",
    fields={
        "id": "number",
        "object_name": "string",
        "status": "string",
        "record_count": "number",
        "created_at": "date",
        "updated_at": "date",
    },
    ms_columns={("created_at",): "created_ms", ("updated_at",): "updated_ms"},
)

ALL = (
    ME,
    USERS,
    GROUPS,
    MEMBERS,
    TOUCHES,
    SENDS,
    PRODUCTS,
    RETURN_ADDRESSES,
    GIFTS,
    TOUCH_STYLES,
    USER_CUSTOM_TEMPLATES,
    JOURNALS,
    PAYMENTS,
    PURCHASE_ORDERS,
    TAX_RATES,
    BULK_JOBS,
)
BY_TABLE = {r.table: r for r in ALL}
BY_HUB_PATH = {r.hub_path: r for r in ALL if r.hub_path}
BY_OBJECT_NAME = {r.object_name: r for r in ALL if r.object_name}


def field_paths(resource: Resource) -> dict[tuple, str]:
    """Every addressable path -> type: top-level keys, and keys inside nested
    objects (``sender.email``).  Objects themselves are addressable (IS NULL)."""
    out: dict[tuple, str] = {}

    def walk(prefix: tuple, spec: Spec) -> None:
        for key, kind in spec.items():
            path = prefix + (key,)
            if isinstance(kind, Mapping):
                out[path] = "object"
                walk(path, kind)
            else:
                out[path] = kind

    walk((), resource.fields)
    for path in resource.virtual:
        out[path] = "date"
    return out

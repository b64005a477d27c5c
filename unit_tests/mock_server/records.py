"""Records shaped as the reference documents them, one factory per resource."""

from __future__ import annotations

import base64
from typing import Any, Dict, List, Optional


def user(user_id: int) -> Dict[str, Any]:
    return {
        "id": user_id,
        "first_name": f"First{user_id}",
        "last_name": f"Last{user_id}",
        "email": f"user{user_id}@example.com",
        "team_group_id": 1,
    }


def group(group_id: int, updated_at: str = "2024-05-01T10:00:00.000-07:00") -> Dict[str, Any]:
    return {
        "id": group_id,
        "budget": 5000.0,
        "created_at": "2023-01-01T09:00:00.000-07:00",
        "monthly_budget": "50000",
        "name": f"Team {group_id}",
        "one_time_budget": "0.0",
        "rollover": True,
        "team_id": 7,
        "updated_at": updated_at,
    }


def member(member_id: int, group_id: int) -> Dict[str, Any]:
    return {
        "id": member_id,
        "balance": "578.0",
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": f"m{member_id}@example.com",
        "team_group_id": group_id,
        "team_id": 7,
        "sandbox": False,
        "key": f"key-{member_id}",
    }


def touch(touch_id: int) -> Dict[str, Any]:
    return {
        "id": touch_id,
        "name": f"Touch {touch_id}",
        "start_date": "2024-03-01T00:00:00.000-05:00",
        "end_date": None,
        "description": "A campaign",
        "created_at": "2024-02-01T08:00:00.000-05:00",
        "user_id": 1,
        "gift_id": 3,
        "starting_egift_price": "25.0",
        "ending_egift_price": "50.0",
        "status": "Active",
        "is_default_price": True,
        "delivery_type": "email",
        "hubspot_key": None,
        "ship_to_countries": ["US", "CA"],
        "currency": "USD",
    }


def send(send_id: int, created_at: str = "2024-05-01T13:53:05.000-07:00", updates: Optional[List[Dict[str, str]]] = None) -> Dict[str, Any]:
    return {
        "id": send_id,
        "send_gid": base64.b64encode(f"gid://sendoso/Send/{send_id}".encode()).decode(),
        "type": "eGifts USA",
        "subtype": None,
        "currency": "USD",
        "current_total_cost": "45.50",
        "status": "Delivered",
        "created_at": created_at,
        "touch": {"id": 1, "name": "Touch 1"},
        "recipient": {"name": "Grace Hopper", "email": "grace@example.com", "company_name": "Navy"},
        "sender": {"id": 1, "name": "Ada Lovelace", "email": "ada@example.com", "team_id": 7, "team_name": "Sales"},
        "sent_via": "email",
        "status_updates": updates if updates is not None else [],
    }


def me() -> Dict[str, Any]:
    return {
        "id": 1,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "email": "ada@example.com",
        "role": "admin",
        "balance": "1250.0",
        "team_balance": "9000.0",
    }


def product(product_id: int) -> Dict[str, Any]:
    return {
        "id": str(product_id),
        "name": f"Product {product_id}",
        "description": "A gift",
        "variants": [
            {
                "id": str(product_id * 10),
                "estimated_total_price": {"currency": "USD", "price_per_unit": "19.99"},
                "images": [
                    {
                        "url": "https://img.example.com/p.png",
                        "cdn_main": {"url": "https://cdn.example.com/p.png"},
                        "cdn_thumbnail": {"url": "https://cdn.example.com/t.png"},
                    }
                ],
            }
        ],
    }

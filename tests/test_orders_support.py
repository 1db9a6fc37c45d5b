"""Shared helpers of the orders tests (no tests here): a customer, a service item, an order in a
given state, written straight into the database so each test starts where it needs to."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import msgspec

from platform_core import clock
from platform_core.accounts.phones import encrypt_phone, phone_index
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope


def random_phone() -> str:
    return "+86138" + "".join(secrets.choice("0123456789") for _ in range(8))


async def make_customer(runtime, tenant, phone: str | None = None) -> int:
    e164 = phone or random_phone()
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval(
            "insert into core_customer (tenant_id, display_name, phone_cipher, phone_index) values ($1, 'Chen', $2, $3) returning id",
            tenant.id, encrypt_phone(runtime.keyring, e164), phone_index(runtime.keyring, e164),
        )


async def make_item(tenant, *, price: int = 12000, pricing_model: str = "fixed", duration: int = 120, booking_fields=()) -> int:
    async with tenant_scope(tenant.id):
        conn = current_connection()
        category_id = await conn.fetchval(
            "insert into core_service_category (tenant_id, code, title) values ($1, $2, 'Home cleaning') returning id",
            tenant.id, f"cleaning-{secrets.token_hex(3)}",
        )
        return await conn.fetchval(
            "insert into core_service_item (tenant_id, category_id, slug, title, duration_minutes, pricing_model, price, currency, booking_fields) "
            "values ($1, $2, $3, 'Daily cleaning', $4, $5, $6, $7, $8::jsonb) returning id",
            tenant.id, category_id, f"daily-{secrets.token_hex(3)}", duration, pricing_model, price, tenant.currency,
            msgspec.json.encode(list(booking_fields)).decode(),
        )


async def make_order(
    runtime, tenant, *, customer_id: int, item_id: int, state: str = "pending_payment", starts_in: timedelta = timedelta(days=3),
    total: int = 12000, asap: bool = False,
) -> int:
    """An order already in `state`, with its base line (as if it had got there)."""
    start = clock.now() + starts_in
    address = {"contact_name": "Chen", "contact_phone_cipher": encrypt_phone(runtime.keyring, random_phone()),
               "city": "Shanghai", "street": "1 Century Avenue", "district": "Pudong"}
    async with tenant_scope(tenant.id):
        conn = current_connection()
        order_id = await conn.fetchval(
            "insert into core_order (tenant_id, number, customer_id, item_id, category_code, state, address, district, asap, "
            "scheduled_start, scheduled_end, currency, subtotal, total, idempotency_key) "
            "values ($1, $2, $3, $4, 'cleaning', $5, $6::jsonb, 'Pudong', $7, $8, $9, $10, $11, $11, $12) returning id",
            tenant.id, f"T-{secrets.token_hex(4)}", customer_id, item_id, state, msgspec.json.encode(address).decode(), asap,
            start, start + timedelta(hours=2), tenant.currency, total, secrets.token_hex(8),
        )
        await conn.execute(
            "insert into core_order_line (tenant_id, order_id, position, kind, label, unit_amount, amount) "
            "values ($1, $2, 1, 'base', 'Daily cleaning', $3, $3)",
            tenant.id, order_id, total,
        )
        return order_id


async def make_worker(runtime, tenant, *, name: str = "Wang", starts: str = "08:00", ends: str = "20:00") -> int:
    """An active worker who works every day between `starts` and `ends` (tenant time)."""
    from datetime import time

    e164 = random_phone()
    async with tenant_scope(tenant.id):
        conn = current_connection()
        staff_id = await conn.fetchval(
            "insert into core_staff (tenant_id, name, phone_cipher, phone_index) values ($1, $2, $3, $4) returning id",
            tenant.id, name, encrypt_phone(runtime.keyring, e164), phone_index(runtime.keyring, e164),
        )
        await conn.executemany(
            "insert into core_staff_hours (tenant_id, staff_id, weekday, starts, ends) values ($1, $2, $3, $4, $5)",
            [(tenant.id, staff_id, day, time.fromisoformat(starts), time.fromisoformat(ends)) for day in range(7)],
        )
        return staff_id


def local_slot(tenant, days_ahead: int = 2, hour: int = 10) -> datetime:
    """A start on the tenant's clock, `days_ahead` days from today. By default the day after
    tomorrow: more than the 24 hours of free cancellation away at any hour of today, where
    tomorrow 10:00 is less once today's 10:00 has passed."""
    from datetime import time
    from zoneinfo import ZoneInfo

    return datetime.combine(clock.today(tenant.timezone) + timedelta(days=days_ahead), time(hour), tzinfo=ZoneInfo(tenant.timezone))


async def customer_token(runtime, tenant, customer_id: int) -> dict[str, str]:
    """A bearer token for the customer, as the sign-in API would give."""
    from platform_core.accounts.sessions import create_session

    token = await create_session(runtime, kind="customer", user_id=customer_id, tenant_id=tenant.id, via="bearer")
    return {"authorization": f"Bearer {token}"}


def new_address(**overrides) -> dict:
    return {"contact_name": "Chen Jing", "contact_phone": "13800138000", "city": "Shanghai", "district": "Pudong",
            "street": "1 Century Avenue", **overrides}


async def make_address(runtime, tenant, customer_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval(
            "insert into core_customer_address (tenant_id, customer_id, label, contact_name, contact_phone_cipher, city, district, street, is_default) "
            "values ($1, $2, 'Home', 'Chen Jing', $3, 'Shanghai', 'Pudong', '1 Century Avenue', true) returning id",
            tenant.id, customer_id, encrypt_phone(runtime.keyring, random_phone()),
        )

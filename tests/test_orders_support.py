"""Shared helpers of the orders tests (no tests here): a customer, a service item, an order in a
given state, written straight into the database so each test starts where it needs to."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone

import msgspec

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
    start = datetime.now(timezone.utc) + starts_in
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

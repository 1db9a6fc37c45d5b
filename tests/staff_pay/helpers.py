"""Shared by the staff_pay tests: completed and settled orders, and moving ledger postings back in
time (the ledger stamps a posting with the database's clock, so a test that needs last month's
orders moves them there, as the owner, with the append-only triggers off for that statement)."""

from __future__ import annotations

import secrets
from datetime import datetime

import asyncpg

from platform_core.ledger import services as ledger
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_booking

_hours = iter(range(4, 100_000, 4))


async def settled_order(tenant, staff_id: int, *, paid: int = 15900) -> int:
    """A completed order of `staff_id`, paid by Alipay and settled (the worker's commission credited)."""
    booking = await make_booking(tenant, staff_id=staff_id, hours_ago=next(_hours))
    async with tenant_scope(tenant.id):
        await ledger.record_payment(booking.order_id, tenant.currency, "alipay", paid, payment_ref=secrets.token_hex(6))
        await ledger.settle_order(booking.order_id, tenant.currency, paid, staff_id)
    return booking.order_id


async def backdate(owner_url: str, tenant_id: int, when: datetime, *, order_id: int | None = None, key: str | None = None) -> None:
    conn = await asyncpg.connect(owner_url)
    try:
        async with conn.transaction():
            await conn.execute("set local session_replication_role = replica")
            done = await conn.execute(
                "update core_ledger_transaction set created_at = $2 where tenant_id = $1 and (order_id = $3 or idempotency_key = $4)",
                tenant_id, when, order_id, key)
            assert done != "UPDATE 0"
    finally:
        await conn.close()

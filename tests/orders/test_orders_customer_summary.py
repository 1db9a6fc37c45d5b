"""Each customer's live orders at a glance (core_order_customer_summary, orders_0010): kept in the
order's own transaction by placements and cancellations, so the dormant and new segments read it
instead of grouping every order of the franchise."""

from __future__ import annotations

import asyncio

from platform_core.db import current_connection
from platform_core.marketing import segments
from platform_core.marketing.schemas import SegmentFilter
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer, make_order


async def summary(tenant, customer_id: int):
    async with tenant_scope(tenant.id):
        return await current_connection().fetchrow(
            "select live_orders, first_order_at, last_order_at from core_order_customer_summary where customer_id = $1", customer_id)


async def members(tenant, name: str, **params) -> set[int]:
    async with tenant_scope(tenant.id):
        page = await segments.segment_page([SegmentFilter(name=name, params=params)], per_page=200)
    return {m.customer_id for m in page.members}


async def back_date(tenant, order_id: int, days: int) -> None:
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_order set created_at = now() - make_interval(days => $2) where id = $1", order_id, days)


async def cancel(tenant, order_id: int) -> None:
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_order set state = 'cancelled' where id = $1", order_id)


async def test_cancelling_the_latest_order_makes_a_customer_dormant_again_and_the_last_one_new_again(tenant_a):
    customer = await make_customer(tenant_a)
    old = await make_order(tenant_a, customer_id=customer, state="completed")
    await back_date(tenant_a, old, 120)
    recent = await make_order(tenant_a, customer_id=customer, state="paid")
    assert (await summary(tenant_a, customer))["live_orders"] == 2
    assert customer not in await members(tenant_a, "dormant", days=90)

    await cancel(tenant_a, recent)
    row = await summary(tenant_a, customer)
    assert row["live_orders"] == 1 and row["last_order_at"] == row["first_order_at"]
    assert customer in await members(tenant_a, "dormant", days=90)

    await cancel(tenant_a, old)
    assert await summary(tenant_a, customer) is None
    assert customer in await members(tenant_a, "new", days=30)


async def test_orders_placed_at_once_are_all_counted(tenant_a, tenant_b):
    customer = await make_customer(tenant_a)
    await asyncio.gather(*[make_order(tenant_a, customer_id=customer, state="paid") for _ in range(4)])
    assert (await summary(tenant_a, customer))["live_orders"] == 4
    assert await summary(tenant_b, customer) is None  # another franchise sees no row of it

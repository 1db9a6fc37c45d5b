"""The tables issue 8 added keep franchises apart: an order's messages and a franchise's terms
are invisible to another franchise, by SQL under its RLS and through its pages and API."""

from __future__ import annotations

from platform_core.accounts import legal
from platform_core.accounts.schemas import LegalDocumentPublish
from platform_core.db import current_connection
from platform_core.orders import thread
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import get_order
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import bearer_for, make_booking, make_customer


async def test_tenant_b_sees_none_of_tenant_as_order_messages_or_terms(app, tenant_a, tenant_b, client_b):
    booking = await make_booking(tenant_a, state="accepted")
    async with tenant_scope(tenant_a.id) as tenant:
        order = await get_order(booking.order_id)
        await thread.post_message(order, ActorRef(kind="customer", id=booking.customer_id), "请带上拖鞋")
        await legal.publish_document(tenant, "terms", LegalDocumentPublish(body_zh="甲方的用户协议"), by="test")
    async with tenant_scope(tenant_b.id):
        conn = current_connection()
        assert await conn.fetchval("select count(*) from core_order_message") == 0
        assert await conn.fetchval("select count(*) from core_legal_document") == 0
    # B's site has no terms of its own and shows none of A's; A's order is not B's to read.
    assert (await client_b.get("/legal/terms")).status_code == 404
    headers = await bearer_for(tenant_b, "customer", await make_customer(tenant_b))
    answer = await client_b.get(f"/api/v1/orders/{order.number}/messages", headers=headers)
    assert answer.status_code == 404 and "请带上拖鞋" not in answer.text


async def test_another_customer_of_the_same_franchise_can_not_read_or_write_the_thread(app, tenant_a, client_a):
    booking = await make_booking(tenant_a, state="accepted")
    async with tenant_scope(tenant_a.id):
        order = await get_order(booking.order_id)
        await thread.post_message(order, ActorRef(kind="customer", id=booking.customer_id), "门禁密码 2580")
    stranger = await bearer_for(tenant_a, "customer", await make_customer(tenant_a))
    read = await client_a.get(f"/api/v1/orders/{order.number}/messages", headers=stranger)
    written = await client_a.post(f"/api/v1/orders/{order.number}/messages", json={"body": "hi"}, headers=stranger)
    assert read.status_code == 404 and "2580" not in read.text
    assert written.status_code == 404
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_order_message") == 1

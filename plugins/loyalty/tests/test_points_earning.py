"""Points for orders as a customer sees them: nothing until the order is completed AND paid, then
once (however often the facts are told), per ¥1 or per service with the category's multiplier;
a partial refund takes back its share; expiry reminders reach the inbox once. Off for the other
franchise."""

from __future__ import annotations

import asyncio
import contextvars
from datetime import timedelta

from platform_core import clock
from platform_core.db import current_connection
from platform_core.ledger import services as ledger
from platform_core.notifications import services as notifications
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import transition
from platform_core.payments import services as payments
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    eventually,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from plugins.loyalty import earning, expiry, points
from plugins.loyalty.config import LoyaltyConfig
from plugins.loyalty.earning import points_for


async def paid_order_in_service(tenant, total: int, customer_id: int | None = None) -> tuple[int, int, int]:
    """An order paid from the wallet, its worker on site: (customer, order, worker)."""
    customer_id = customer_id or await make_customer(tenant)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=await make_item(tenant, price=total), total=total)
    staff_id = await make_worker(tenant)
    async with tenant_scope(tenant.id):
        await ledger.wallet_topup(customer_id, tenant.currency, "alipay", total, payment_ref=f"seed{order_id}")
        await payments.pay_with_wallet(order_id, customer_id)
        conn = current_connection()
        await conn.execute("update core_order set state = 'in_service', staff_id = $2 where id = $1", order_id, staff_id)
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
            "select tenant_id, id, $2, tstzrange(scheduled_start, scheduled_end), 'accepted', 'manual' from core_order where id = $1",
            order_id, staff_id)
    return customer_id, order_id, staff_id


async def balance(tenant, customer_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await points.balance(customer_id)


def test_points_per_yuan_and_per_service_with_multipliers():
    per_yuan = LoyaltyConfig(points_per_yuan=2, category_multipliers={"elder_care": 150})
    assert points_for(per_yuan, "cleaning", 12_345) == 246
    assert points_for(per_yuan, "elder_care", 12_345) == 369
    assert points_for(per_yuan, "cleaning", 12_345, tier_percent=200) == 492
    assert points_for(LoyaltyConfig(earn_mode="per_service", points_per_service=80), "cleaning", 1) == 80


async def test_a_completed_paid_order_earns_once_and_a_partial_refund_takes_its_share(runtime, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="ern")
    await enable_plugin(tenant, "loyalty", points_per_yuan=1)
    customer_id, order_id, staff_id = await paid_order_in_service(tenant, 20_000)
    await eventually(lambda: balance(tenant, customer_id), timeout=1)
    assert await balance(tenant, customer_id) == 0  # paid, not completed: nothing yet
    async with tenant_scope(tenant.id):
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))
    assert await eventually(lambda: balance(tenant, customer_id)) == 200

    async with tenant_scope(tenant.id):
        payment = (await payments.order_payments(order_id))[0]
        await payments.refund_payment(payment.id, 5_000, "one room skipped", "console:1")

    async def refunded():
        return await balance(tenant, customer_id) == 150

    assert await eventually(refunded)
    async with tenant_scope(tenant.id):
        kinds = [(m.kind, m.points, m.link.split(":")[0]) for m in await points.history(customer_id)]
    assert kinds == [("reversed", -50, "order"), ("earned", 200, "order")]


async def test_an_order_paid_after_the_service_earns_when_it_is_paid(runtime, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="ern2")
    await enable_plugin(tenant, "loyalty", earn_mode="per_service", points_per_service=30)
    customer_id = await make_customer(tenant)
    order_id = await make_order(tenant, customer_id=customer_id, total=8000, state="in_service")
    staff_id = await make_worker(tenant)
    async with tenant_scope(tenant.id):
        conn = current_connection()
        await conn.execute("update core_order set staff_id = $2 where id = $1", order_id, staff_id)
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
            "select tenant_id, id, $2, tstzrange(scheduled_start, scheduled_end), 'accepted', 'manual' from core_order where id = $1",
            order_id, staff_id)
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))
    await eventually(lambda: balance(tenant, customer_id), timeout=1)
    assert await balance(tenant, customer_id) == 0  # completed, not paid
    async with tenant_scope(tenant.id):
        office = ActorRef(kind="console", id=1, permissions=frozenset({"finance.manage"}))
        await transition(order_id, "mark_paid", office, note="Paid in cash")
    assert await eventually(lambda: balance(tenant, customer_id)) == 30


async def test_a_franchise_without_loyalty_earns_nothing(runtime, make_tenant):
    tenant = await make_tenant(prefix="nol")
    customer_id, order_id, staff_id = await paid_order_in_service(tenant, 10_000)
    async with tenant_scope(tenant.id):
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))
        jobs = await current_connection().fetchval(
            "select count(*) from core_job where tenant_id = $1 and kind like 'loyalty.%'", tenant.id)
        movements = await current_connection().fetchval("select count(*) from loyalty_movement")
    assert jobs == 0 and movements == 0


async def test_points_expiring_within_30_days_are_announced_in_the_inbox_once(runtime, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="rmd")
    await enable_plugin(tenant, "loyalty")
    customer_id = await make_customer(tenant)
    async with tenant_scope(tenant.id):
        await points.award(customer_id, 120, reason="checkin", link="checkin:1", key="soon")
        await points.award(customer_id, 80, reason="checkin", link="checkin:2", key="later")
        await current_connection().execute(
            "update loyalty_lot set expires_at = $1 where movement_id = (select id from loyalty_movement where key = 'soon')",
            clock.now() + timedelta(days=12))
        await expiry.remind_expiring(None, {})
        await expiry.remind_expiring(None, {})
        inbox = await notifications.list_notifications("customer", customer_id)
    assert [(n.title, n.link) for n in inbox] == [("您的积分即将过期", "/account/member")]
    assert "120" in inbox[0].body



async def test_two_refunds_jobs_at_once_take_back_the_refunded_share_once(runtime, make_tenant, enable_plugin):
    """Each refund's job reads what earlier refunds took back; two running at once (a second
    refund while the first's job waits for the member) take back no more than the refunded share."""
    tenant = await make_tenant(prefix="ern")
    await enable_plugin(tenant, "loyalty", points_per_yuan=1)
    customer_id, order_id, staff_id = await paid_order_in_service(tenant, 20_000)
    async with tenant_scope(tenant.id):
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))
    assert await eventually(lambda: balance(tenant, customer_id)) == 200
    outside = contextvars.copy_context()  # no transaction in it

    async def refund():
        async with tenant_scope(tenant.id):
            payment = (await payments.order_payments(order_id))[0]
            await payments.refund_payment(payment.id, 5_000, "one room skipped", "console:1")

    async def job():
        async with tenant_scope(tenant.id):
            await earning.refund_order(None, {"order_id": order_id})

    jobs = []
    async with tenant_scope(tenant.id):  # something else holds the member while both refunds land
        await current_connection().execute("select 1 from loyalty_member where customer_id = $1 for update", customer_id)
        for _ in range(2):
            await asyncio.create_task(refund(), context=outside.copy())
            jobs.append(asyncio.create_task(job(), context=outside.copy()))
            await asyncio.sleep(0.5)
    await asyncio.wait_for(asyncio.gather(*jobs), 20)

    async def settled():
        return await balance(tenant, customer_id) == 100

    assert await eventually(settled)
    await asyncio.sleep(1)  # the refunds' own jobs change nothing more
    assert await balance(tenant, customer_id) == 100

"""A worker's earnings in the staff app: their share of each completed order, from the ledger,
and nobody else's."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from platform_core.accounts.sessions import create_session
from platform_core.db import current_connection
from platform_core.ledger import services as ledger
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import transition
from platform_core.payments import services as payments
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_customer,
    make_item,
    make_order,
    make_worker,
    with_session,
)
from platform_core.testing.pytest_plugin import client_for


async def completed_paid_order(tenant, staff_id: int, total: int, days_ahead: int) -> str:
    customer_id = await make_customer(tenant)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=await make_item(tenant, price=total), total=total,
                                starts_in=timedelta(days=days_ahead))
    async with tenant_scope(tenant.id):
        await ledger.wallet_topup(customer_id, tenant.currency, "alipay", total, payment_ref=f"t{order_id}")
        await payments.pay_with_wallet(order_id, customer_id)
        conn = current_connection()
        await conn.execute("update core_order set state = 'in_service' where id = $1", order_id)
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
            "select tenant_id, id, $2, tstzrange(scheduled_start, scheduled_end), 'accepted', 'manual' from core_order where id = $1",
            order_id, staff_id)
        await conn.execute("update core_order set staff_id = $2 where id = $1", order_id, staff_id)
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))
        return await conn.fetchval("select number from core_order where id = $1", order_id)


async def test_a_worker_sees_their_share_of_each_completed_order(app, runtime, tenant_a):
    worker = await make_worker(tenant_a, name="Li Na")
    other = await make_worker(tenant_a, name="Zhao Lei")
    first = await completed_paid_order(tenant_a, worker, 20000, days_ahead=3)
    second = await completed_paid_order(tenant_a, worker, 15000, days_ahead=4)
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        await with_session(client, tenant_a, "staff", worker)
        page = await client.get("/staff/earnings")
    assert page.status_code == 200
    text = page.text
    # 60% by default: 120.00 + 90.00.
    assert "CN¥210.00" in text[text.index('id="earnings-balance"'):]
    history = text[text.index('id="earnings-history"'):]
    assert history.index(second) < history.index(first) and "+CN¥120.00" in history and "+CN¥90.00" in history
    assert "60% of what the customer paid" in text

    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        await with_session(client, tenant_a, "staff", other)
        theirs = (await client.get("/staff/earnings")).text
    assert "CN¥0.00" in theirs and first not in theirs and "Nothing earned yet" in theirs


async def test_earnings_are_for_signed_in_workers_only(app, tenant_a):
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        response = await client.get("/staff/earnings", follow_redirects=False)
    assert response.status_code in (302, 303, 401) and "/staff/sign-in" in response.headers.get("location", "/staff/sign-in")


@pytest.mark.browser
@pytest.mark.slow
async def test_a_worker_opens_earnings_from_the_staff_app_tab_bar(live_server, page, runtime, make_tenant):
    tenant = await make_tenant(prefix="earn", name="Earnings Franchise", locale="en")
    worker = await make_worker(tenant, name="Li Na")
    number = await completed_paid_order(tenant, worker, 18000, days_ahead=3)
    token = await create_session(kind="staff", user_id=worker, tenant_id=tenant.id)
    host = f"{tenant.slug}.localhost"
    await page.context.add_cookies([
        {"name": "hearth_sid", "value": token, "url": live_server.url(host)},
        {"name": "hearth_locale", "value": "en", "url": live_server.url(host)},
    ])
    await page.goto(live_server.url(host, "/staff/"))
    await page.click("nav.tabbar >> text=Earnings")
    await page.wait_for_url(re.compile(r"/staff/earnings$"))
    assert "CN¥108.00" in await page.inner_text("#earnings-balance")
    assert number in await page.inner_text("#earnings-history")
    await page.screenshot(path=str(live_server.log_path.parent / "staff-earnings.png"), full_page=True)

"""A dispatcher reassigns an order by hand, in Debian's chromium."""

from __future__ import annotations

import re

import pytest

from platform_core.dispatch import offers, services
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    FAR,
    NEAR,
    PASSWORD,
    local_time,
    make_console_user,
    make_customer,
    make_item,
    make_order,
    make_worker,
    order_state,
    set_dispatch,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_dispatcher_reassigns_an_accepted_order_to_another_worker(live_server, desktop_page, runtime, make_tenant):
    tenant = await make_tenant(prefix="dispatch", name="Dispatch Franchise", locale="en")
    await set_dispatch(tenant, mode="manual")
    item = await make_item(tenant, skills=("cleaning",))
    customer = await make_customer(tenant)
    first = await make_worker(tenant, name="Grace Chan", home=NEAR, rating=5, rating_count=4)
    second = await make_worker(tenant, name="Daniel Wong", home=FAR)
    order = await make_order(tenant, item_id=item, customer_id=customer, starts=local_time(tenant, 2), state="paid", at=NEAR)
    async with tenant_scope(tenant.id):
        offer = await offers.offer_next(order)
        await offers.accept_offer(first, offer.id)
    dispatcher = await make_console_user(tenant, "dispatcher")
    host = f"{tenant.slug}.localhost"
    page = desktop_page

    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", dispatcher.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(re.compile(r"/console/?$"))

    await page.click("nav >> text=Dispatch board")
    await page.wait_for_url(re.compile(r"/console/dispatch$"))
    row = page.locator("tr", has_text="Grace Chan")
    assert "Accepted" in await row.inner_text()
    await row.locator("text=Reassign").click()
    await page.wait_for_url(re.compile(rf"/console/dispatch/orders/{order}$"))
    assert "Why this worker" in await page.inner_text("main")

    card = page.locator(".card", has_text="Daniel Wong")
    await card.locator("button:has-text('Reassign to this worker')").click()
    await page.wait_for_url(re.compile(r"/console/dispatch\?done=reassigned"))
    assert "The order was moved to another worker." in await page.inner_text("main")
    assert "Offered" in await page.locator("tr", has_text="Daniel Wong").inner_text()
    await page.screenshot(path=str(live_server.log_path.parent / "console-dispatch.png"), full_page=True)

    async with tenant_scope(tenant.id):
        live = await services.live_assignment(order)
    assert (live.staff_id, live.status, live.source) == (second, "offered", "manual")
    assert await order_state(tenant, order) == "assigned"

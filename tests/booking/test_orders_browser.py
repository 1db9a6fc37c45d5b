"""A customer books in Debian's chromium: picks a day, a time htmx loads, a worker, sees the
price, places the order, follows it and cancels it with the fee shown first."""

from __future__ import annotations

import re

import pytest

from platform_core.accounts.sessions import create_session
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_customer,
    make_item,
    make_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_customer_books_a_slot_with_a_worker_and_cancels(live_server, page, runtime, make_tenant):
    tenant = await make_tenant(prefix="book", name="Booking Franchise", locale="en")
    item_id = await make_item(tenant, price=15000)
    worker_id = await make_worker(tenant, name="Wang Fang")
    customer_id = await make_customer(tenant)
    await make_address(tenant, customer_id)
    async with tenant_scope(tenant.id):
        slug = await current_connection().fetchval("select slug from core_service_item where id = $1", item_id)
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
    host = f"{tenant.slug}.localhost"
    await page.context.add_cookies([
        {"name": "hearth_sid", "value": token, "url": live_server.url(host)},
        {"name": "hearth_locale", "value": "en", "url": live_server.url(host)},
    ])

    await page.goto(live_server.url(host, f"/book/{slug}"))
    assert "150.00" in await page.inner_text("#price")
    await page.select_option("select[name=staff_id]", str(worker_id))
    # The day after tomorrow: the worker's day, well past the booking lead time.
    day_chip = page.locator(".chips .chip").nth(2)
    day = await day_chip.locator("input").get_attribute("value")
    await day_chip.click()
    # Wait for that day's times: today's may still be on the page, and after midnight in the
    # tenant's zone they include 10:00 too.
    await page.locator("#slots .chip", has=page.locator(f"input[value^='{day}T10:00']")).click()
    await page.click("aside button[type=submit]")
    await page.wait_for_url(re.compile(r"/orders/\d{8}-\d{4}\?done=placed"))
    body = await page.inner_text("main")
    assert "Your order is placed" in body and "10:00" in body
    await page.screenshot(path=str(live_server.log_path.parent / "order-placed.png"), full_page=True)

    await page.click("text=Cancel order")
    await page.wait_for_url(re.compile(r"/cancel$"))
    assert "Cancelling now is free." in await page.inner_text("main")
    await page.click("button:has-text('Cancel the order')")
    await page.wait_for_url(re.compile(r"done=cancelled"))
    assert "Cancelled" in await page.inner_text("main")

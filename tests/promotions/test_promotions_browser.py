"""A customer in Debian's chromium redeems a code on "My coupons", books with the coupon
preselected and the discount line shown, and finds the coupon used once the order is paid."""

from __future__ import annotations

import re

import msgspec
import pytest

from platform_core.accounts.sessions import create_session
from platform_core.db import current_connection
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import transition
from platform_core.promotions import services
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_customer,
    make_item,
    make_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_customer_redeems_a_code_books_with_it_and_sees_it_used(live_server, page, runtime, make_tenant):
    tenant = await make_tenant(prefix="coupon", name="Coupon Franchise", locale="en")
    item_id = await make_item(tenant, price=15000)
    await make_worker(tenant, name="Wang Fang")
    customer_id = await make_customer(tenant)
    await make_address(tenant, customer_id)
    async with tenant_scope(tenant.id):
        slug = await current_connection().fetchval("select slug from core_service_item where id = $1", item_id)
        await services.create_template(msgspec.convert(
            {"name": "Spring ¥20 off", "kind": "amount_off", "amount_off": 2000, "min_spend": 10000, "public_code": "SPRING20",
             "valid_days": 30}, CouponTemplateFields))
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
    host = f"{tenant.slug}.localhost"
    await page.context.add_cookies([
        {"name": "hearth_sid", "value": token, "url": live_server.url(host)},
        {"name": "hearth_locale", "value": "en", "url": live_server.url(host)},
    ])

    await page.goto(live_server.url(host, "/account/coupons"))
    await page.fill("input[name=code]", "nope")
    await page.click("button:has-text('Redeem')")
    assert "This code is not valid." in await page.inner_text("main")
    await page.fill("input[name=code]", "spring20")
    await page.click("button:has-text('Redeem')")
    await page.wait_for_url(re.compile(r"/account/coupons\?redeemed=1"))
    listed = await page.inner_text("[data-testid=coupons]")
    assert "Spring ¥20 off" in listed and "Minimum spend" in listed

    await page.goto(live_server.url(host, f"/book/{slug}"))
    picked = page.locator("[data-testid=coupon-pick] input[type=radio]:checked")
    assert await picked.get_attribute("value") != ""
    price = await page.inner_text("#price")
    assert "Coupon: Spring ¥20 off" in price and "130.00" in price
    await page.screenshot(path=str(live_server.log_path.parent / "coupon-preselected.png"), full_page=True)
    await page.click("aside button[type=submit]")
    await page.wait_for_url(re.compile(r"/orders/\d{8}-\d{4}\?done=placed"))
    number = re.search(r"/orders/(\d{8}-\d{4})", page.url).group(1)

    # Paid after the service: the office marks it paid, and the coupon is spent.
    async with tenant_scope(tenant.id):
        order_id = await current_connection().fetchval("select id from core_order where number = $1", number)
        await transition(order_id, "mark_paid", ActorRef(kind="console", id=1, permissions=frozenset({"finance.manage", "orders.manage"})))
    await page.goto(live_server.url(host, "/account/coupons?tab=used"))
    assert "Spring ¥20 off" in await page.inner_text("[data-testid=coupons]")
    await page.goto(live_server.url(host, "/account/coupons"))
    assert "No coupons here" in await page.inner_text("main")

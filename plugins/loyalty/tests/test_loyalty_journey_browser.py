"""The loyalty journey in Debian's chromium on a phone: a customer checks in, earns points when
their service is completed and paid, sees them in the member centre, redeems them for a coupon in
the rewards shop, and books with that coupon preselected and its discount on the price."""

from __future__ import annotations

import re

import msgspec
import pytest

from platform_core.db import current_connection
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import transition
from platform_core.promotions import services as promotions
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    eventually,
    make_address,
    make_customer,
    make_item,
    make_worker,
)
from plugins.loyalty import points, shop

from .test_points_earning import paid_order_in_service
from .test_shop_browser import signed_in_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def completed_and_paid(tenant, total: int, customer_id: int) -> None:
    """The customer's earlier order, paid from the wallet and completed by its worker."""
    _, order_id, staff_id = await paid_order_in_service(tenant, total, customer_id=customer_id)
    async with tenant_scope(tenant.id):
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))


async def test_check_in_earn_on_a_completed_order_redeem_a_coupon_and_book_with_it(live_server, page, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="journey", name="Journey Homes", locale="en")
    await enable_plugin(tenant, "loyalty", points_per_yuan=2, checkin_points=5)
    item_id = await make_item(tenant, price=20000)
    await make_worker(tenant, name="Wang Fang")
    customer_id = await make_customer(tenant)
    await make_address(tenant, customer_id)
    async with tenant_scope(tenant.id):
        slug = await current_connection().fetchval("select slug from core_service_item where id = $1", item_id)
        template = await promotions.create_template(msgspec.convert(
            {"name": "¥30 off for points", "kind": "amount_off", "amount_off": 3000, "min_spend": 10000, "valid_days": 30},
            CouponTemplateFields))
        reward = await shop.create_reward(msgspec.convert(
            {"kind": "coupon", "name": "¥30 coupon", "points": 300, "coupon_template_id": template.id, "active": True},
            shop.RewardInput))
    host = await signed_in_browser(page, live_server, tenant, "customer", customer_id)

    # 1. The daily check-in.
    await page.goto(live_server.url(host, "/account/member"))
    await page.click("[data-panel='loyalty.checkin'] button[type=submit]")
    await page.goto(live_server.url(host, "/account/member"))
    assert await page.get_attribute("[data-panel='loyalty.checkin'] [data-checked-in]", "data-checked-in") == "1"

    # 2. A ¥200 service, completed and paid, earns 2 points per ¥1.
    await completed_and_paid(tenant, 20000, customer_id)

    async def balance() -> int:
        async with tenant_scope(tenant.id):
            return await points.balance(customer_id)

    assert await eventually(lambda: _at_least(balance, 405)) == 405
    await page.goto(live_server.url(host, "/account/member"))
    assert await page.inner_text("[data-testid=points-balance]") == "405"
    await page.screenshot(path=str(live_server.log_path.parent / "loyalty-member-centre.png"), full_page=True)

    # 3. 300 points buy the coupon.
    await page.goto(live_server.url(host, f"/p/loyalty/shop/{reward.id}"))
    await page.click("[data-testid=redeem] button[type=submit]")
    await page.wait_for_load_state()
    assert await balance() == 105
    await page.goto(live_server.url(host, "/account/coupons"))
    assert "¥30 off for points" in await page.inner_text("[data-testid=coupons]")

    # 4. The booking page preselects it and shows the discount.
    await page.goto(live_server.url(host, f"/book/{slug}"))
    picked = page.locator("[data-testid=coupon-pick] input[type=radio]:checked")
    assert await picked.get_attribute("value") != ""
    price = await page.inner_text("#price")
    assert "Coupon: ¥30 off for points" in price and "170.00" in price
    await page.screenshot(path=str(live_server.log_path.parent / "loyalty-book-with-coupon.png"), full_page=True)
    await page.click("aside button[type=submit]")
    await page.wait_for_url(re.compile(r"/orders/\d{8}-\d{4}\?done=placed"))

    # 5. The points history, in English and in Chinese: the redemption, the service, the check-in.
    await page.goto(live_server.url(host, "/p/loyalty/points"))
    assert await page.inner_text("[data-testid=points-balance]") == "105"
    history = await page.inner_text("[data-testid=points-history]")
    assert "Rewards shop" in history and "A completed service" in history and "Daily check-in" in history
    await page.screenshot(path=str(live_server.log_path.parent / "loyalty-points-en.png"), full_page=True)
    await page.context.add_cookies([{"name": "hearth_locale", "value": "zh_CN", "url": live_server.url(host)}])
    await page.goto(live_server.url(host, "/p/loyalty/points"))
    shown = await page.inner_text("main")
    assert "积分商城" in shown and "月度消费" in shown and "Rewards shop" not in shown
    await page.screenshot(path=str(live_server.log_path.parent / "loyalty-points-zh.png"), full_page=True)
    await page.goto(live_server.url(host, "/account/member"))
    await page.screenshot(path=str(live_server.log_path.parent / "loyalty-member-centre-zh.png"), full_page=True)


async def _at_least(read, wanted: int) -> int | None:
    value = await read()
    return value if value >= wanted else None

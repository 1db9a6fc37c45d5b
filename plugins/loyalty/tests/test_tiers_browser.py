"""The tier pages in Debian's chromium: the customer's tiers page at a phone's width, the console's
tier list and editor (with a field error), and the member-priority line of "why this worker".
Screenshots go to $HEARTH_SCREENSHOTS when set (for looking at them)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from platform_core import clock
from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot
from platform_core.testing.factories import (
    HOME,
    NEAR,
    local_time,
    make_console_user,
    make_customer,
    make_item,
    make_order,
    make_worker,
    set_dispatch,
)
from plugins.loyalty import points

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _sign_in(page, tenant, kind: str, user_id: int) -> None:
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id)
    await page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": f"{tenant.slug}.localhost", "path": "/"}])


async def test_a_member_sees_their_tier_and_progress_on_a_phone(live_server, page, runtime, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="tiers", name="阳光家政")
    await enable_plugin(tenant, "loyalty")
    customer = await make_customer(tenant)
    for _ in range(4):
        await make_order(tenant, customer_id=customer, state="completed", total=45_000, starts=clock.now() - timedelta(days=20))
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_order set paid_at = scheduled_start where customer_id = $1", customer)
        from plugins.loyalty import tiers

        await tiers.evaluate(customer)
    await _sign_in(page, tenant, "customer", customer)
    await page.goto(live_server.url(f"{tenant.slug}.localhost", "/p/loyalty/tiers"))
    panel = page.locator("[data-tier=silver]")
    await panel.wait_for()
    assert "白银会员" in await panel.inner_text()
    assert await page.locator(".tier-meter__fill").first.get_attribute("width") == "50"  # 4 of gold's 8 bookings (spend: 1,800 of 3,000)
    width = await page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone
    await screenshot(page, "tiers-customer-phone")


async def test_the_console_edits_a_tier_and_shows_the_spread_and_the_dispatch_reason(live_server, desktop_page, runtime, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="tierc", name="阳光家政")
    await enable_plugin(tenant, "loyalty")
    await set_dispatch(tenant, mode="manual")
    owner = await make_console_user(tenant, "owner")
    member = await make_customer(tenant)
    async with tenant_scope(tenant.id):
        await points.lock_member(member)
        await current_connection().execute("update loyalty_member set tier_code = 'gold' where customer_id = $1", member)
    item = await make_item(tenant, skills=("cleaning",))
    await make_worker(tenant, name="王阿姨", home=HOME)
    order = await make_order(tenant, item_id=item, customer_id=member, starts=local_time(tenant, 2), at=NEAR, state="paid")
    page = desktop_page
    await _sign_in(page, tenant, "console", owner.id)
    host = f"{tenant.slug}.localhost"

    await page.goto(live_server.url(host, "/p/loyalty/console/tiers"))
    await page.locator("[data-tier-row=gold]").wait_for()
    assert await page.locator("[data-tier-row=gold] [data-members]").inner_text() == "1"
    await screenshot(page, "tiers-console-list")

    await page.click("[data-tier-row=gold] >> a")
    await page.fill("input[name=min_spend]", "abc")
    await page.click("form.card button[type=submit]")
    await page.locator(".error-summary").wait_for()
    assert await page.locator("#field-min_spend-error").count() == 1
    await screenshot(page, "tiers-console-edit-error")
    await page.fill("input[name=min_spend]", "2800")
    await page.click("form.card button[type=submit]")
    await page.locator(".alert--success").wait_for()

    await page.goto(live_server.url(host, f"/console/dispatch/orders/{order}"))
    for summary in await page.locator("details summary").all():  # open each "why this worker"
        await summary.click()
    await page.locator("text=会员优先").first.wait_for()
    assert await page.locator("text=黄金会员").count() >= 1
    await screenshot(page, "tiers-dispatch-why")

"""The issue's journey in Debian's chromium: an owner creates a campaign for dormant customers with
a coupon and sends it after seeing the audience's size; a dormant customer signs in, finds the
coupon message in the inbox, follows it to "My coupons" and books with the coupon preselected,
seeing the discount line; the campaign's results count the read message."""

from __future__ import annotations

import re

import msgspec
import pytest

from platform_core.accounts.sessions import create_session
from platform_core.db import current_connection
from platform_core.marketing import campaigns, segments
from platform_core.marketing.schemas import SegmentCreate, SegmentFilter
from platform_core.promotions import services as promotions
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_console_user,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from tests.marketing.test_marketing_campaigns import run_jobs
from tests.web.test_console_dashboard_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_an_owner_wins_back_a_dormant_customer_who_books_with_the_campaigns_coupon(
    live_server, page, browser, runtime, make_tenant,
):
    tenant = await make_tenant(prefix="camp", name="Bloom Home", locale="en")
    owner = await make_console_user(tenant, "owner")
    item_id = await make_item(tenant, price=15000)
    await make_worker(tenant, name="Wang Fang")
    sleeper = await make_customer(tenant, name="Sleepy Li")
    await make_address(tenant, sleeper)
    old_order = await make_order(tenant, customer_id=sleeper, state="completed")
    await make_customer(tenant, name="Never Ordered")
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_order set created_at = now() - interval '45 days' where id = $1", old_order)
        slug = await current_connection().fetchval("select slug from core_service_item where id = $1", item_id)
        await segments.create_segment(SegmentCreate(name="Dormant 30 days", filters=[SegmentFilter(name="dormant", params={"days": 30})]))
        await promotions.create_template(msgspec.convert(
            {"name": "Welcome back ¥30 off", "kind": "amount_off", "amount_off": 3000, "min_spend": 10000, "valid_days": 30},
            CouponTemplateFields))
    host = f"{tenant.slug}.localhost"
    shots = live_server.log_path.parent

    # The owner: Marketing → Campaigns → New, a draft, the audience's size, send now, confirmed.
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        console = await context.new_page()
        await sign_in(console, live_server, host, owner.email)
        await console.click("nav.sidebar__nav a[href='/console/marketing/campaigns']")
        await console.click("a[href='/console/marketing/campaigns/new']")
        await console.fill("input[name=name]", "Win back")
        await console.select_option("select[name=audience]", "segment")
        await console.select_option("select[name=segment_id]", label="Dormant 30 days")
        await console.select_option("select[name=template_id]", label="Welcome back ¥30 off")
        await console.fill("input[name=title]", "We miss you")
        await console.fill("textarea[name=body]", "Thirty off your next clean.")
        await console.click("button:has-text('Save draft')")
        await console.wait_for_url(re.compile(r"/console/marketing/campaigns/\d+\?done=saved$"))
        campaign_id = int(re.search(r"/campaigns/(\d+)", console.url).group(1))
        assert "1" in await console.inner_text("[data-audience-size]")
        await console.click("a:has-text('Send now')")
        assert "1" in await console.inner_text("[data-audience-size]")
        await console.screenshot(path=str(shots / "campaign-confirm.png"), full_page=True)
        await console.click("button:has-text('Yes, send it')")
        await console.wait_for_url(re.compile(rf"/console/marketing/campaigns/{campaign_id}\?done=send$"))
    finally:
        await context.close()
    await run_jobs()

    # The dormant customer: the message in the inbox leads to the coupon, and the booking has it.
    token = await create_session(kind="customer", user_id=sleeper, tenant_id=tenant.id)
    await page.context.add_cookies([
        {"name": "hearth_sid", "value": token, "url": live_server.url(host)},
        {"name": "hearth_locale", "value": "en", "url": live_server.url(host)},
    ])
    await page.goto(live_server.url(host, "/account/inbox"))
    entry = page.locator(".inbox-entry", has_text="We miss you")
    assert "Welcome back ¥30 off" in await entry.inner_text()
    await entry.locator("button[type=submit]").click()
    await page.wait_for_url(re.compile(r"/account/coupons"))
    assert "Welcome back ¥30 off" in await page.inner_text("[data-testid=coupons]")
    await page.goto(live_server.url(host, f"/book/{slug}"))
    picked = page.locator("[data-testid=coupon-pick] input[type=radio]:checked")
    assert await picked.get_attribute("value") != ""
    price = await page.inner_text("#price")
    assert "Coupon: Welcome back ¥30 off" in price and "120.00" in price
    await page.screenshot(path=str(shots / "campaign-coupon-at-checkout.png"), full_page=True)
    await page.click("aside button[type=submit]")
    await page.wait_for_url(re.compile(r"/orders/\d{8}-\d{4}\?done=placed"))

    async with tenant_scope(tenant.id):
        results = await campaigns.campaign_results(campaign_id)
    assert (results.recipients, results.read, results.coupons_issued) == (1, 1, 1)

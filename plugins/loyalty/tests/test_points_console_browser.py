"""The owner finds a customer on the Points page, adjusts their points, and opens the reports, in
chromium on a desktop in Chinese; the pages break no Content-Security-Policy rule (the reports'
bars are SVG attributes)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from platform_core.pluginsys.services import enable_plugin
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import PASSWORD, make_console_user, make_customer
from plugins.loyalty import points

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path(os.environ.get("LOYALTY_SHOTS", "/tmp/loyalty-e-shots"))


async def test_points_and_reports_in_the_browser(live_server, desktop_page, runtime, make_tenant):
    tenant = await make_tenant(prefix="pts", name="阳光家政", locale="zh_CN")
    await enable_plugin(tenant.id, "loyalty", actor="test")
    customer = await make_customer(tenant, "+8613700137000", name="李华")
    async with tenant_scope(tenant.id):
        await points.award(customer, 800, reason="order", link="order:HX7001", key="order:7001")
        await points.award(customer, 20, reason="checkin", link="checkin:2026-12-02", key="checkin:x")
        await points.spend(customer, 300, reason="redemption", link="redemption:3", key="redemption:3")
    owner = await make_console_user(tenant, "owner")
    page = desktop_page
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    host = f"{tenant.slug}.localhost"
    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", owner.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(re.compile(r"/console/?$"))

    await page.click("a[href='/p/loyalty/console/points']")
    await page.fill("input[name=phone]", "13700137000")
    await page.click("form[role=search] button[type=submit]")
    await page.wait_for_selector("[data-testid=points-history]")
    assert (await page.inner_text("[data-count=balance]")).strip() == "520"
    await page.fill("input[name=points]", "-600")
    await page.fill("input[name=reason]", "误操作")
    await page.click("#adjust button[type=submit]")
    assert "该客户只有 520 积分。" in await page.inner_text("#adjust")
    SHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SHOTS / "console-points-error.png"), full_page=True)
    await page.fill("input[name=points]", "80")
    await page.fill("input[name=reason]", "上门迟到补偿")
    await page.click("#adjust button[type=submit]")
    await page.wait_for_url(re.compile(r"done=adjusted"))
    assert (await page.inner_text("[data-count=balance]")).strip() == "600"
    await page.screenshot(path=str(SHOTS / "console-points.png"), full_page=True)

    await page.click("a[href='/p/loyalty/console/reports']")
    await page.wait_for_selector("[data-testid=loyalty-months]")
    assert await page.locator("svg rect").count() >= 48
    await page.screenshot(path=str(SHOTS / "console-reports.png"), full_page=True)
    await page.set_viewport_size({"width": 390, "height": 844})
    await page.screenshot(path=str(SHOTS / "console-reports-phone.png"), full_page=True)
    assert not refused, refused

"""The owner opens the dashboard and follows "waiting for a worker" to its list, in chromium, on a
phone in Chinese and on a desktop in English."""

from __future__ import annotations

import re

import pytest

from platform_core.testing.factories import (
    PASSWORD,
    local_time,
    make_console_user,
    make_customer,
    make_order,
)
from tests.web.test_console_dashboard import paid

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def sign_in(page, live_server, host: str, email: str) -> None:
    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(re.compile(r"/console/?$"))


async def test_the_owner_follows_waiting_for_a_worker_from_the_dashboard_on_a_phone(live_server, page, runtime, make_tenant):
    await follow_waiting(live_server, page, make_tenant, "phone", "zh_CN")


async def test_the_owner_follows_waiting_for_a_worker_from_the_dashboard_on_a_desktop(live_server, desktop_page, runtime, make_tenant):
    await follow_waiting(live_server, desktop_page, make_tenant, "desktop", "en")


async def follow_waiting(live_server, page, make_tenant, viewport: str, locale: str) -> None:
    tenant = await make_tenant(prefix="dashb", name="Sunny Home", locale=locale)
    customer = await make_customer(tenant, name="李华")
    for i in range(2):
        await make_order(tenant, customer_id=customer, state="paid", number=f"W-{i}-{tenant.slug}")
    await make_order(tenant, customer_id=customer, state="accepted", starts=local_time(tenant, days_ahead=0, hour=23))
    done = await make_order(tenant, customer_id=customer, state="completed", starts=local_time(tenant, days_ahead=-2))
    await paid(tenant, done, 25900)
    await paid(tenant, done, 8800, days_ago=3)
    owner = await make_console_user(tenant, "owner")
    host = f"{tenant.slug}.localhost"
    await sign_in(page, live_server, host, owner.email)

    tile = page.locator("a.dash-tile[data-tile='Waiting for a worker']")
    assert (await tile.locator(".stat__value").inner_text()).strip() == "2"
    assert ("等待派单" if locale == "zh_CN" else "Waiting for a worker") in await tile.inner_text()
    assert await page.locator(".dash-chart__bar").count() == 30
    shots = live_server.log_path.parent
    await page.screenshot(path=str(shots / f"console-dashboard-{viewport}-{locale}.png"), full_page=True)

    await tile.click()
    await page.wait_for_url(re.compile(r"/console/orders\?state=paid$"))
    listed = await page.inner_text("main")
    assert f"W-0-{tenant.slug}" in listed and f"W-1-{tenant.slug}" in listed

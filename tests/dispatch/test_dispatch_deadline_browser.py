"""The dead-end order, in Debian's chromium: a paid visit whose offer nobody answers stays
"arranging" for the customer, the office sees it in the exceptions queue, and after the
franchise's deadline the customer moves it to another time on the phone."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from platform_core import clock
from platform_core.accounts.sessions import create_session
from platform_core.db import current_connection
from platform_core.dispatch import deadlines, offers
from platform_core.orders.schemas import SYSTEM
from platform_core.orders.services import get_order, transition
from platform_core.tenancy.context import tenant_scope
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

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _sign_in(page, live_server, host: str, kind: str, user_id: int, tenant_id: int, locale: str) -> None:
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant_id)
    await page.context.add_cookies([
        {"name": "hearth_sid", "value": token, "url": live_server.url(host)},
        {"name": "hearth_locale", "value": locale, "url": live_server.url(host)},
    ])


def _shots(live_server) -> Path:
    """Where the screenshots go (HEARTH_SCREENSHOTS to keep them)."""
    folder = Path(os.environ.get("HEARTH_SCREENSHOTS") or live_server.log_path.parent)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_an_unanswered_paid_order_stays_arranging_the_office_is_alerted_and_the_customer_picks_another_time(
        live_server, page, desktop_page, runtime, make_tenant):
    tenant = await make_tenant(prefix="deadend", name="Dead End Home Care", locale="en")
    await set_dispatch(tenant, mode="manual")  # nothing but this test moves the order
    item = await make_item(tenant, skills=("cleaning",), title="Deep cleaning", price=30000)
    customer = await make_customer(tenant)
    worker = await make_worker(tenant, name="Wang Fang", home=HOME, hours="mon-sun 08:00-20:00")
    order_id = await make_order(tenant, item_id=item, customer_id=customer, starts=local_time(tenant, days_ahead=5, hour=10),
                                state="pending_payment", at=NEAR, total=30000)
    async with tenant_scope(tenant.id):
        await transition(order_id, "pay", SYSTEM)
        offer = await offers.offer_next(order_id)
        assert offer.staff_id == worker
        # The worker lets the offer lapse, and nobody else can do it.
        await current_connection().execute("update core_assignment set expires_at = $2 where id = $1", offer.id,
                                           clock.now() - timedelta(seconds=1))
    async with tenant_scope(tenant.id):
        assert await offers.expire_offer(offer.id)
        assert await offers.offer_next(order_id) is None
        number = (await get_order(order_id)).number
    host = f"{tenant.slug}.localhost"
    shots = _shots(live_server)

    # The customer, on the phone: plain words and when they will know.
    await _sign_in(page, live_server, host, "customer", customer, tenant.id, "en")
    await page.goto(live_server.url(host, f"/orders/{number}"))
    status = await page.inner_text("#order-status-card")
    assert "Arranging your worker" in status and "at the latest" in status
    main = await page.inner_text("main")
    assert "did not answer" not in main and "Offered to a worker" not in main and "No worker" not in main
    await page.screenshot(path=str(shots / "dead-end-arranging-phone-en.png"), full_page=True)

    # The office is alerted before the deadline: the order is in the exceptions queue.
    async with tenant_scope(tenant.id):
        assert await deadlines.alert_office(order_id)
    owner = await make_console_user(tenant, "owner")
    await _sign_in(desktop_page, live_server, host, "console", owner.id, tenant.id, "en")
    await desktop_page.goto(live_server.url(host, "/console/orders/exceptions"))
    assert number in await desktop_page.inner_text("main")
    await desktop_page.screenshot(path=str(shots / "dead-end-exceptions-desktop-en.png"), full_page=True)
    # Where the franchise sets the deadline and the alert.
    await desktop_page.goto(live_server.url(host, "/console/dispatch/settings"))
    assert await desktop_page.input_value("input[name=arrange_deadline_hours]") == "12"
    assert await desktop_page.input_value("input[name=office_alert_hours]") == "6"
    await desktop_page.screenshot(path=str(shots / "dead-end-settings-desktop-en.png"), full_page=True)

    # The deadline passes with nobody found: the customer is asked, and moves the visit.
    await set_dispatch(tenant, arrange_deadline_hours=168)
    async with tenant_scope(tenant.id):
        assert await deadlines.reach_deadline(order_id)
    await set_dispatch(tenant, arrange_deadline_hours=12)
    await page.goto(live_server.url(host, f"/orders/{number}"))
    assert "No worker is free at this time" in await page.inner_text("#order-status-card")
    assert await page.locator("text=Cancel order").count() == 0
    await page.screenshot(path=str(shots / "dead-end-choice-phone-en.png"), full_page=True)
    await page.click("#order-status-card a:has-text('Pick another time')")
    await page.wait_for_url(re.compile(r"/rearrange$"))
    await page.locator("nav.chips a.chip").nth(3).click()
    await page.wait_for_url(re.compile(r"/rearrange\?day="))
    await page.screenshot(path=str(shots / "dead-end-rearrange-phone-en.png"), full_page=True)
    await page.locator(".slot-grid .chip", has=page.locator("input[value*='T10:00']")).click()
    await page.click("button:has-text('Book this time')")
    await page.wait_for_url(re.compile(r"done=rescheduled"))
    assert "Your new time is booked" in await page.inner_text("main")
    assert "Arranging your worker" in await page.inner_text("#order-status-card")
    async with tenant_scope(tenant.id):
        moved = await get_order(order_id)
    picked = moved.scheduled_start.astimezone(ZoneInfo(tenant.timezone))
    assert moved.state == "paid" and picked.hour == 10 and picked.date() != local_time(tenant, days_ahead=5).date()


async def test_the_customer_cancels_an_unstaffed_order_at_no_charge_in_the_browser(live_server, page, desktop_page, runtime, make_tenant):
    tenant = await make_tenant(prefix="refund", name="退款家政", locale="zh_CN")
    await set_dispatch(tenant, mode="manual")
    customer = await make_customer(tenant)
    order_id = await make_order(tenant, customer_id=customer, starts=local_time(tenant, days_ahead=2, hour=10), state="dispatch_failed",
                                total=30000)
    async with tenant_scope(tenant.id):
        number = (await get_order(order_id)).number
    host = f"{tenant.slug}.localhost"
    shots = _shots(live_server)
    await _sign_in(page, live_server, host, "customer", customer, tenant.id, "zh_CN")
    await page.goto(live_server.url(host, f"/orders/{number}"))
    assert "该时间暂无可上门的服务人员" in await page.inner_text("#order-status-card")
    await page.screenshot(path=str(shots / "dead-end-choice-phone-zh.png"), full_page=True)
    await _sign_in(desktop_page, live_server, host, "customer", customer, tenant.id, "zh_CN")
    await desktop_page.goto(live_server.url(host, f"/orders/{number}"))
    assert "改约其他时间" in await desktop_page.inner_text("#order-status-card")
    await desktop_page.screenshot(path=str(shots / "dead-end-choice-desktop-zh.png"), full_page=True)
    await page.click("#order-status-card a:has-text('免费取消订单')")
    await page.wait_for_url(re.compile(r"/rearrange#refund$"))
    await page.screenshot(path=str(shots / "dead-end-rearrange-phone-zh.png"), full_page=True)
    await page.click("button:has-text('免费取消订单')")
    await page.wait_for_url(re.compile(r"done=cancelled"))  # paid after the service: nothing to refund
    assert "未能安排到服务人员，已免费取消" in await page.inner_text("#order-status-card")
    await page.screenshot(path=str(shots / "dead-end-refunded-phone-zh.png"), full_page=True)
    async with tenant_scope(tenant.id):
        assert (await get_order(order_id)).state == "cancelled"

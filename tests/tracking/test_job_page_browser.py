"""Browser journey of the worker's job page on a phone: an offer shows the pay, a live countdown
and the distance from home; the worker accepts, opens the job, has the map apps' links, ticks
the checklist, uploads a photo before the service, exchanges messages with the customer, and
can not start (so not complete) a job before its day. Screenshots in Chinese and English, on a
phone and a desktop, go beside the server log."""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta

import pytest

from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.catalog import services as catalog
from platform_core.catalog.schemas import ServiceItemUpdate, Step, StepsBlock
from platform_core.clock import now
from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    local_time,
    make_console_user,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from platform_core.web.locale import LOCALE_COOKIE

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOME = (31.2404, 121.4737)  # about 1.1 km north of the visit
VISIT = (31.2304, 121.4737)
STEPS = ["整理客厅", "擦拭厨房台面", "拖地"]


def _png(width: int = 24, height: int = 24) -> bytes:
    """A small real PNG (a teal square), so the uploaded photo shows."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    rows = b"".join(b"\x00" + b"\x0f\x76\x6e" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


async def _context(browser, live_server, tenant, kind: str, user_id: int, *, locale="zh-CN", desktop=False):
    viewport = {"width": 1366, "height": 900} if desktop else {"width": 390, "height": 844}
    context = await browser.new_context(viewport=viewport, locale=locale)
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id)  # type: ignore[arg-type]
    url = live_server.url(f"{tenant.slug}.localhost")
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": url},
                               {"name": LOCALE_COOKIE, "value": "en" if locale == "en" else "zh_CN", "url": url}])
    return context


async def test_worker_on_a_phone_takes_an_offer_and_works_the_job_page(live_server, browser, runtime, make_tenant, tmp_path):
    tenant = await make_tenant(prefix="job", name="阳光家政 Job")
    host = f"{tenant.slug}.localhost"
    worker_id = await make_worker(tenant, "王阿姨", home=HOME)
    customer_id = await make_customer(tenant, name="李华")
    item_id = await make_item(tenant, title="日常保洁", price=20000)
    async with tenant_scope(tenant.id):
        await catalog.update_item(tenant, item_id, ServiceItemUpdate(
            content=[StepsBlock(title="服务步骤", steps=[Step(title=t) for t in STEPS])]))
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, state="assigned", starts=local_time(tenant, 2),
                                total=20000, at=VISIT, staff_id=worker_id, assignment="offered")
    async with tenant_scope(tenant.id):
        conn = current_connection()
        await conn.execute("update core_assignment set expires_at = $2 where order_id = $1", order_id, now() + timedelta(minutes=10))
        number = await conn.fetchval("select number from core_order where id = $1", order_id)
    shots = live_server.log_path.parent

    worker = await _context(browser, live_server, tenant, "staff", worker_id)
    phone = await worker.new_page()
    await phone.goto(live_server.url(host, "/staff/jobs"))
    offer = phone.locator("[data-offer]")
    await offer.locator(".offer-pay").filter(has_text="120.00").wait_for()  # 60% of ¥200
    countdown = offer.locator("[data-countdown]")
    await countdown.filter(has_text="可回复").wait_for()
    first = await countdown.inner_text()
    await phone.wait_for_timeout(1500)
    assert await countdown.inner_text() != first  # it counts down
    assert "距您的常驻地 1.1 公里" in await offer.inner_text()
    await phone.screenshot(path=str(shots / "offers-phone-zh.png"), full_page=True)

    await offer.get_by_role("button", name="接单").click()
    await phone.get_by_role("link", name="去上门").click()
    await phone.wait_for_url(f"**/staff/visits/{order_id}")

    amap = phone.get_by_role("link", name="高德地图")
    assert "uri.amap.com/navigation?to=121.473700%2C31.230400" in await amap.get_attribute("href")
    assert await phone.get_by_role("link", name="百度地图").count() == 1
    assert await phone.get_by_role("link", name="苹果地图").count() == 1

    await phone.get_by_role("button", name=STEPS[1]).click()
    await phone.get_by_text("已完成 1 / 3").wait_for()
    assert await phone.get_by_role("button", name=STEPS[1]).get_attribute("aria-pressed") == "true"

    picture = tmp_path / "before.png"
    picture.write_bytes(_png())
    await phone.locator("#photo-before").set_input_files(str(picture))  # the form sends itself
    await phone.locator("#photos img").first.wait_for()

    await phone.get_by_label("您的留言").fill("我大概九点四十到，车停哪里方便？")
    await phone.get_by_role("button", name="发送").click()
    await phone.locator(".thread__msg--mine").filter(has_text="车停哪里方便").wait_for()

    customer = await _context(browser, live_server, tenant, "customer", customer_id)
    order_page = await customer.new_page()
    await order_page.goto(live_server.url(host, f"/orders/{number}"))
    await order_page.get_by_text("车停哪里方便").wait_for()
    await order_page.get_by_label("您的留言").fill("停在北门访客车位就好。")
    await order_page.get_by_role("button", name="发送").click()
    await order_page.locator(".thread__msg--mine").filter(has_text="北门访客车位").wait_for()
    await order_page.screenshot(path=str(shots / "order-phone-zh.png"), full_page=True)

    await phone.reload()
    await phone.locator(".thread__msg").filter(has_text="北门访客车位").wait_for()
    # The visit is the day after tomorrow: the first step is there but can not be taken yet.
    depart = phone.get_by_role("button", name="出发")
    assert await depart.is_disabled()
    await phone.get_by_text("当天起才能开始和完成").wait_for()
    await phone.screenshot(path=str(shots / "job-phone-zh.png"), full_page=True)

    for locale, desktop, name in (("en", False, "job-phone-en"), ("zh-CN", True, "job-desktop-zh"), ("en", True, "job-desktop-en")):
        other = await _context(browser, live_server, tenant, "staff", worker_id, locale=locale, desktop=desktop)
        tab = await other.new_page()
        await tab.goto(live_server.url(host, f"/staff/visits/{order_id}"))
        await tab.screenshot(path=str(shots / f"{name}.png"), full_page=True)
        if name == "job-phone-en":
            await tab.goto(live_server.url(host, "/staff/"))
            await tab.screenshot(path=str(shots / "today-phone-en.png"), full_page=True)
        await other.close()
    # Working hours are picked with time inputs.
    await phone.goto(live_server.url(host, "/staff/availability"))
    await phone.locator("input[name=hours_2_0_from]").fill("08:30")
    await phone.locator("input[name=hours_2_0_to]").fill("12:00")
    await phone.locator("input[name=hours_2_1_from]").fill("13:30")
    await phone.locator("input[name=hours_2_1_to]").fill("18:00")
    await phone.get_by_role("button", name="保存工作时间").click()
    await phone.wait_for_url("**/staff/availability?done=hours")
    assert await phone.locator("input[name=hours_2_1_from]").input_value() == "13:30"
    await phone.screenshot(path=str(shots / "hours-phone-zh.png"), full_page=True)
    await phone.goto(live_server.url(host, "/staff/"))
    await phone.screenshot(path=str(shots / "today-phone-zh.png"), full_page=True)

    owner = await make_console_user(tenant, "owner")
    console = await _context(browser, live_server, tenant, "console", owner.id, desktop=True)
    office = await console.new_page()
    await office.goto(live_server.url(host, "/console/orders/settings"))
    await office.get_by_label("服务电话").fill("400-820-8820")
    await office.get_by_label("服务时间 开始").fill("08:00")
    await office.get_by_label("服务时间 结束").fill("20:00")
    await office.get_by_role("button", name="保存", exact=True).click()
    await office.wait_for_url("**/console/orders/settings?done=settings")
    await office.screenshot(path=str(shots / "console-settings-zh.png"), full_page=True)
    await office.goto(live_server.url(host, f"/console/orders/{number}"))
    await office.get_by_role("button", name="查看完整手机号").click()
    await office.locator("#full-phone").wait_for()
    await office.screenshot(path=str(shots / "console-order-zh.png"), full_page=True)
    await console.close()
    print("screenshots:", shots)
    await worker.close()
    await customer.close()

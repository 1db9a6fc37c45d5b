"""Browser journey of a visit: the worker accepts the offer, taps "On my way" in the staff app and their phone's
position reaches the customer's order page live, with the ETA; on "Arrived" the map says so; the
worker completes and the customer reviews. Real server, real chromium, geolocation emulated."""

from __future__ import annotations

import pytest

from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.testing.factories import make_booking

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def _context(browser, live_server, tenant, kind: str, user_id: int, **options):
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", **options)
    token = await create_session(kind=kind, user_id=user_id, tenant_id=tenant.id)  # type: ignore[arg-type]
    await context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server.url(f"{tenant.slug}.localhost")}])
    return context


async def test_customer_follows_the_worker_on_a_map_then_reviews(live_server, browser, runtime, make_tenant):
    tenant = await make_tenant(prefix="visit", name="阳光家政 Visit")
    booking = await make_booking(tenant, state="assigned")
    host = f"{tenant.slug}.localhost"

    customer = await _context(browser, live_server, tenant, "customer", booking.customer_id)
    order_page = await customer.new_page()
    await order_page.goto(live_server.url(host, f"/orders/{booking.number}"))
    status = order_page.locator("[data-track-map] [data-track-status]")
    await status.filter(has_text="尚未出发").wait_for()

    # The worker is about 1.1 km north of the address.
    worker = await _context(browser, live_server, tenant, "staff", booking.staff_id,
                            geolocation={"latitude": 31.2404, "longitude": 121.4737}, permissions=["geolocation"])
    visit = await worker.new_page()
    await visit.goto(live_server.url(host, "/staff/jobs"))
    await visit.get_by_role("button", name="接单").click()
    await visit.get_by_role("link", name="去上门").click()
    await visit.wait_for_url(f"**/staff/visits/{booking.order_id}")
    await visit.get_by_role("button", name="出发").click()
    await visit.locator("[data-track-status]").filter(has_text="已发送位置").wait_for()

    await status.filter(has_text="正在赶来").wait_for()
    assert "1.1 km" in await status.inner_text()
    assert await order_page.locator("[data-track-svg] circle.track__worker").count() == 1
    assert (await order_page.locator("[data-track-eta]").inner_text()).endswith("分钟")
    await order_page.screenshot(path=str(live_server.log_path.parent / "tracking-map.png"), full_page=True)

    await visit.get_by_role("button", name="已到达").click()
    await status.filter(has_text="已到达").wait_for()
    await visit.get_by_role("button", name="服务完成").click()
    await visit.get_by_text("辛苦了").wait_for()

    review = await customer.new_page()
    await review.goto(live_server.url(host, f"/orders/{booking.number}/review"))
    for name in ("quality", "attitude", "skill"):
        await review.locator(f"label[for='{name}-5']").click()
    await review.get_by_label("评价内容").fill("准时、细心，家里打扫得很干净。")
    await review.get_by_role("button", name="发布评价").click()
    await review.get_by_text("感谢您的评价。").wait_for()
    await worker.close()
    await customer.close()

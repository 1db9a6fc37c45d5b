"""The booking form on a phone and a desktop, in English and Chinese: the quantity stepper and the
sticky total, every limit error shown at once and fixed, a file input in the page's language,
"as soon as possible" never shown with a day; a long stay offers a start date and no slots."""

from __future__ import annotations

import base64
import re
from datetime import timedelta

import pytest

from platform_core import clock
from platform_core.accounts.sessions import create_session
from platform_core.testing.factories import (
    make_address,
    make_customer,
    make_item,
    make_worker,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A real 1×1 picture: the form shows it back after the errors.
PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z/C/HgAGgwJ/lK3Q6wAAAABJRU5ErkJggg==")

TEXT = {
    "en": {"too_many": "Book at most 8 hours.", "rooms": "Enter a number from 1 to 6.", "none": "No photo chosen",
           "placed": "Your order is placed", "asap": "As soon as possible", "start": "Start date"},
    "zh_CN": {"too_many": "最多预约 8 小时。", "rooms": "请输入 1 到 6 之间的数字。", "none": "未选择照片",
              "placed": "订单已提交", "asap": "尽快上门", "start": "上户日期"},
}


async def signed_in(page, live_server, tenant, locale: str) -> str:
    customer_id = await make_customer(tenant)
    await make_address(tenant, customer_id)
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
    host = f"{tenant.slug}.localhost"
    await page.context.add_cookies([
        {"name": "hearth_sid", "value": token, "url": live_server.url(host)},
        {"name": "hearth_locale", "value": locale, "url": live_server.url(host)},
    ])
    return host


@pytest.fixture(
    params=[("phone", "zh_CN"), ("phone", "en"), ("desktop", "zh_CN"), ("desktop", "en")],
    ids=["phone-zh", "phone-en", "desktop-zh", "desktop-en"],
)
async def screen(request, browser):
    """A phone or a desktop, in Chinese or English: (page, device, locale)."""
    device, locale = request.param
    size = {"width": 390, "height": 844} if device == "phone" else {"width": 1366, "height": 900}
    context = await browser.new_context(viewport=size, locale="en" if locale == "en" else "zh-CN")
    yield await context.new_page(), device, locale
    await context.close()


async def test_customer_hits_the_hour_limits_sees_every_error_fixes_them_and_books(live_server, runtime, make_tenant, screen):
    page, device, locale = screen
    text = TEXT[locale]
    tenant = await make_tenant(prefix="limits", name="Limits Franchise", locale=locale)
    await make_worker(tenant, name="Wang Fang")
    await make_item(tenant, slug="hourly-clean", pricing_model="hourly", price=5000, min_quantity=3, max_quantity=8, booking_fields=[
        {"name": "rooms", "label": "Rooms", "type": "number", "required": True, "min": 1, "max": 6},
    ])
    host = await signed_in(page, live_server, tenant, locale)
    shots = live_server.log_path.parent
    phone = device == "phone"

    await page.goto(live_server.url(host, "/book/hourly-clean"))
    total = page.locator("#book-bar-total") if phone else page.locator("#price .price-lines__total")
    assert "150.00" in await total.inner_text()
    if phone:
        assert await page.locator(".book__bar").is_visible()
    # The stepper adds an hour and the total follows.
    await page.click("[data-step='1']")
    assert await page.input_value("#field-quantity") == "4"
    # (locator waits, not wait_for_function: the page's CSP forbids eval)
    await page.locator("#price", has_text="200.00").wait_for()
    if phone:
        await page.locator("#book-bar-total", has_text="200.00").wait_for()

    # The file input speaks the page's language and names the chosen file.
    status = page.locator("#photo-files-status")
    assert await status.inner_text() == text["none"]
    await page.set_input_files("#photo-files", files=[{"name": "kitchen.png", "mimeType": "image/png", "buffer": PNG}])
    assert await status.inner_text() == "kitchen.png"

    # Picking a day lets "as soon as possible" go; picking it again leaves the day unmarked.
    day_chip = page.locator(".book__days .chip").nth(1)
    await day_chip.click()
    assert not await page.is_checked("[data-asap]")
    await page.check("[data-asap]")
    chip_bg = await day_chip.evaluate("el => getComputedStyle(el).backgroundColor")
    other_bg = await page.locator(".book__days .chip").nth(2).evaluate("el => getComputedStyle(el).backgroundColor")
    assert chip_bg == other_bg

    # 20 hours and 9 rooms: both errors at once, next to their fields and in the summary.
    await page.fill("#field-quantity", "20")
    await page.fill("#field-fields\\.rooms", "9")
    await page.locator("button[type=submit]:visible").last.click()
    summary = page.locator(".error-summary")
    await summary.wait_for()
    listed = await summary.inner_text()
    assert text["too_many"] in listed and text["rooms"] in listed
    assert text["too_many"] in await page.locator("#field-quantity-error").inner_text()
    await page.screenshot(path=str(shots / f"book-limits-{device}-{locale}.png"), full_page=True)
    # What was typed is kept, so the customer fixes it rather than starting again; no price is
    # shown for a quantity that can not be booked.
    assert await page.input_value("#field-quantity") == "20"
    assert text["too_many"] in await page.inner_text("#price")

    await page.fill("#field-quantity", "5")
    await page.fill("#field-fields\\.rooms", "3")
    await page.locator("button[type=submit]:visible").last.click()
    await page.wait_for_url(re.compile(r"/orders/\d{8}-\d{4}\?done=placed"))
    body = await page.inner_text("main")
    assert text["placed"] in body and "250.00" in body


async def test_a_long_stay_offers_a_start_date_and_no_slots(live_server, page, runtime, make_tenant):
    tenant = await make_tenant(prefix="stay", name="Stay Franchise", locale="zh_CN")
    await make_worker(tenant, name="张阿姨", skills=("maternity",), hours="mon-sun 08:00-20:00")
    await make_item(tenant, slug="yuesao", title="月嫂", price=1680000, duration=26 * 1440, skills=("maternity",), booking_fields=[
        {"name": "due_date", "label": "预产期", "type": "date", "required": True},
    ])
    host = await signed_in(page, live_server, tenant, "zh_CN")
    await page.goto(live_server.url(host, "/book/yuesao"))
    main = await page.inner_text("main")
    assert TEXT["zh_CN"]["start"] in main and TEXT["zh_CN"]["asap"] not in main
    assert await page.locator("#slots").count() == 0 and await page.locator("[name=slot_start]").count() == 0
    # Nothing chosen: the start date and the due date are both asked for at once.
    await page.locator("button[type=submit]:visible").last.click()
    await page.locator(".error-summary").wait_for()
    assert await page.locator("#field-start_date-error").is_visible()
    assert await page.locator("#field-fields\\.due_date-error").is_visible()
    start = clock.today(tenant.timezone) + timedelta(days=3)
    await page.fill("#field-start_date", start.isoformat())
    await page.fill("#field-fields\\.due_date", (start + timedelta(days=2)).isoformat())
    await page.screenshot(path=str(live_server.log_path.parent / "book-long-stay-phone-zh.png"), full_page=True)
    await page.locator("button[type=submit]:visible").last.click()
    await page.wait_for_url(re.compile(r"/orders/\d{8}-\d{4}\?done=placed"))
    assert start.strftime("%m-%d") in await page.inner_text("main") or start.isoformat() in await page.inner_text("main")

"""The elder care journey in Debian's chromium on phones: a family member takes the care
assessment, sees the care level, books a care plan (Mon/Wed/Fri mornings) and invites her
brother; a carer who took the first visit writes its care log in the staff app; the brother reads
it on the plan's page. Screenshots in $HEARTH_SCREENSHOTS (elder-care-*.png)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_address, make_customer, random_phone
from plugins.elder_care import plans

from .helpers import carers, take, visits

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_family_books_a_care_plan_and_reads_the_carers_log(live_server, page, browser, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="care", name="阳光家政")
    await enable_plugin(tenant, "elder_care", trial_days=7, horizon_days=14)
    daughter = await make_customer(tenant, name="李娜")
    await make_address(tenant, daughter)
    carer = (await carers(tenant, 1))[0]
    brother_phone = random_phone()
    brother = await make_customer(tenant, brother_phone, name="李强")
    host = f"{tenant.slug}.localhost"
    await sign_in_page(page, tenant, "customer", daughter)

    # 1. The assessment: mother, 82, walks with a frame, mildly forgetful.
    await page.goto(live_server.url(host, "/p/elder_care/"))
    await screenshot(page, "elder-care-home-empty")
    await page.click("a[href='/p/elder_care/assess'] >> nth=0")
    await page.fill("#field-name", "王桂英")
    await page.fill("#field-age", "82")
    await page.fill("#field-relation", "母亲")
    await page.check("input[name=mobility][value=aid]")
    await page.check("input[name=cognition][value=mild]")
    answers = {"feeding": 10, "bathing": 0, "grooming": 5, "dressing": 5, "bowels": 10, "bladder": 5, "toilet": 5,
               "transfers": 10, "mobility": 10, "stairs": 0}
    for code, score in answers.items():
        await page.click(f"label.care-pill:has(input[name=adl_{code}][value='{score}'])")
    await page.fill("#field-conditions", "高血压")
    await page.fill("#field-medication", "氨氯地平 5mg 每天8点")
    await screenshot(page, "elder-care-assessment")
    await page.click("[data-testid=assess-submit]")
    await page.wait_for_url(re.compile(r"/p/elder_care/elders/\d+$"))
    assert await page.inner_text("[data-testid=barthel]") == "60"
    assert await page.inner_text("[data-testid=care-level]") == "二级 · 中度照护"
    await screenshot(page, "elder-care-level")

    # 2. The plan: companion care, Mon/Wed/Fri 09:00-12:00 from tomorrow.
    await page.click("a[href^='/p/elder_care/plans/new']")
    async with tenant_scope(tenant.id):
        tomorrow = plans.today() + timedelta(days=1)
    await page.fill("#field-starts_on", tomorrow.isoformat())
    await page.fill("#field-tasks", "午餐和服药\n陪同散步")
    await screenshot(page, "elder-care-plan-form")
    await page.click("[data-testid=plan-submit]")
    await page.wait_for_url(re.compile(r"/p/elder_care/plans/\d+\?done=created"))
    plan_id = int(re.search(r"/plans/(\d+)", page.url).group(1))
    assert await page.locator("[data-testid=visits] li").count() >= 5
    assert await page.locator("[data-testid=trial]").count() == 1
    # her brother, invited by phone, reads only
    await page.fill("#field-phone", brother_phone)
    await page.click("[data-testid=invite-submit]")
    await page.wait_for_url(re.compile(r"done=invited"))
    assert await page.locator("[data-testid=family] li").count() == 1
    await screenshot(page, "elder-care-plan")

    # 3. The carer took the first visit and writes its log in the staff app.
    first = (await visits(tenant, plan_id))[0]
    await take(tenant, first.order_id, carer)
    staff_context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    staff = await staff_context.new_page()
    await sign_in_page(staff, tenant, "staff", carer)
    await staff.goto(live_server.url(host, "/p/elder_care/staff/visits"))
    await screenshot(staff, "elder-care-staff-visits")
    await staff.click(f"a[href='/p/elder_care/staff/visits/{first.id}']")
    await staff.check("input[name=tasks_done][value='午餐和服药']")
    await staff.check("input[name=tasks_done][value='陪同散步']")
    await staff.fill("#field-systolic", "132")
    await staff.fill("#field-diastolic", "84")
    await staff.fill("#field-pulse", "72")
    await staff.fill("#field-temperature", "36.6")
    await staff.click("label.care-pill:has(input[name=mood][value=happy])")
    await staff.fill("#field-notes", "午饭吃了一碗米饭，散步20分钟，精神很好。")
    await screenshot(staff, "elder-care-staff-log")
    await staff.click("[data-testid=log-submit]")
    await staff.wait_for_url(re.compile(r"done=logged"))
    await screenshot(staff, "elder-care-staff-logged")
    await staff_context.close()

    # 4. The brother reads the log on his phone.
    brother_context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
    reader = await brother_context.new_page()
    await sign_in_page(reader, tenant, "customer", brother)
    await reader.goto(live_server.url(host, "/p/elder_care/"))
    await reader.click(f"a[href='/p/elder_care/plans/{plan_id}']")
    log = await reader.inner_text("[data-testid=care-logs]")
    assert "132/84" in log and "散步20分钟" in log and "36.6" in log and "陪同散步" in log
    assert await reader.locator("#family").count() == 0  # reads, does not manage
    await screenshot(reader, "elder-care-family-reads-log")
    await brother_context.close()

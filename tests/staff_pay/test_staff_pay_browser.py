"""The office draws up, confirms and marks paid a worker's statement; the worker sees it on a
phone, in Debian's chromium."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from platform_core import clock
from platform_core.staff_pay import periods, services
from platform_core.staff_pay.schemas import PaySettings
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_console_user, make_worker

from .helpers import backdate, settled_order

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_the_office_draws_up_confirms_and_pays_a_statement_and_the_worker_sees_it(
    live_server, desktop_page, page, runtime, make_tenant, hearth_owner_url,
):
    tenant = await make_tenant(prefix="pay", name="Pay Franchise", locale="zh_CN")
    worker = await make_worker(tenant, "王阿姨")
    async with tenant_scope(tenant.id):
        await services.save_pay_settings(PaySettings(period="monthly"))
        tz = services.zone()
        month = periods.last_ended(clock.today(tz), PaySettings(period="monthly"), tz)
    for days, paid in ((2, 15900), (9, 25800)):
        order_id = await settled_order(tenant, worker, paid=paid)
        await backdate(hearth_owner_url, tenant.id, month.starts_at + timedelta(days=days, hours=10), order_id=order_id)
    owner = await make_console_user(tenant, "owner")
    host = f"{tenant.slug}.localhost"

    office = desktop_page
    await sign_in_page(office, tenant, "console", owner.id)
    await office.goto(live_server.url(host, "/console/finance/statements"))
    assert "暂无" in await office.inner_text("main") or "没有" in await office.inner_text("main")
    await office.click("button.btn--secondary")  # 立即生成 (draw up now)
    await office.wait_for_url(re.compile(r"done=drawn"))
    row = office.locator("[data-testid=statements] tbody tr", has_text="王阿姨")
    assert "250.20" in await row.inner_text()  # 60% of ¥159 + ¥258
    await screenshot(office, "console-statements")
    await row.locator("a.mono").click()
    await office.wait_for_url(re.compile(r"/console/finance/statements/\d+$"))
    await office.click("form[action$='/confirm'] button")
    await office.wait_for_url(re.compile(r"done=confirmed"))
    await office.fill("input[name=reference]", "ICBC-20261201")
    await office.click("form[action$='/pay'] button")
    await office.wait_for_url(re.compile(r"done=paid"))
    assert "ICBC-20261201" in await office.inner_text("main")
    await screenshot(office, "console-statement-paid")

    # A bonus waits for a colleague: the one who added it is not offered the approval.
    await office.goto(live_server.url(host, "/console/finance/adjustments"))
    await office.select_option("select[name=staff_id]", str(worker))
    await office.fill("input[name=amount]", "50")
    await office.fill("input[name=reason]", "客户五星好评")
    await office.click("form[action$='/adjustments'] button[type=submit]")
    await office.wait_for_url(re.compile(r"done=proposed"))
    row = office.locator("[data-testid=adjustments] tbody tr", has_text="客户五星好评")
    assert "需同事审批" in await row.inner_text()
    await screenshot(office, "console-adjustments")

    phone = page
    await sign_in_page(phone, tenant, "staff", worker)
    await phone.goto(live_server.url(host, "/staff/earnings"))
    await phone.click("#statements-link")
    await phone.wait_for_url(re.compile(r"/staff/statements$"))
    await screenshot(phone, "staff-statements")
    await phone.click("#statements a")
    await phone.wait_for_url(re.compile(r"/staff/statements/\d+$"))
    assert "250.20" in await phone.inner_text("#statement-net")
    assert len(await phone.locator("#statement-lines li").all()) == 2
    await screenshot(phone, "staff-statement")

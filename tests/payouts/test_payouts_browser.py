"""Money out in Debian's chromium: a customer with a red packet binds an Alipay account and
withdraws on a phone; a finance user at a desk approves in the console; the transfer goes
through the stand-in provider (registered in this test process, where the
send or the query that follows it runs); the customer sees the withdrawal paid. Screenshots go to $HEARTH_SCREENSHOTS."""

from __future__ import annotations

import pytest

from platform_core.payouts import sending, services
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_console_user

from .conftest import (
    earnings_balance,
    give_earnings,
    pays_out_through,
    verified_customer,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_customer_withdraws_a_red_packet_after_the_office_approves(live_server, page, desktop_page, runtime, make_tenant, standin):
    tenant = await make_tenant(prefix="pay", name="阳光家政")
    await pays_out_through(tenant, standin)
    customer = await verified_customer(tenant, "王小明")
    await give_earnings(tenant, "customer", customer, 8800)
    finance = await make_console_user(tenant, "finance")
    host = f"{tenant.slug}.localhost"

    await sign_in_page(page, tenant, "customer", customer)
    await page.goto(live_server.url(host, "/account/earnings"))
    assert "88.00" in await page.inner_text("#earnings-balance")
    await screenshot(page, "payouts-earnings-empty-phone")
    await page.click("#bind-account")
    await page.fill("#field-account", "13800138000")
    await page.fill("#field-real_name", "李四")  # not the verified name first
    await page.click("form[action='/account/earnings/account'] button[type=submit]")
    await page.locator("#field-real_name-error").wait_for()
    await screenshot(page, "payouts-account-error-phone")
    await page.fill("#field-real_name", "王小明")
    await page.click("form[action='/account/earnings/account'] button[type=submit]")
    await page.locator("#payout-account").wait_for()
    assert "138****8000" in await page.inner_text("#payout-account")

    await page.fill("#field-amount", "60")
    await page.locator("#quote-line").wait_for()  # what arrives, shown while typing
    await page.click("form[action='/account/earnings/withdraw'] button[type=submit]")
    await page.locator("[data-state=requested]").wait_for()
    assert "28.00" in await page.inner_text("#earnings-balance")
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await screenshot(page, "payouts-earnings-requested-phone")

    await sign_in_page(desktop_page, tenant, "console", finance.id)
    await desktop_page.goto(live_server.url(host, "/console/finance/withdrawals"))
    row = desktop_page.locator("#payouts-table tbody tr").first
    await row.wait_for()
    assert "new_account" in await row.inner_html()  # the first withdrawal after binding is flagged
    await screenshot(desktop_page, "payouts-console-queue")
    await row.locator("a").click()
    await desktop_page.locator("#approve").wait_for()
    await screenshot(desktop_page, "payouts-console-review")
    await desktop_page.click("#approve")
    await desktop_page.locator(".alert--success").wait_for()

    async with tenant_scope(tenant.id):
        payout = (await services.holder_payouts("customer", customer))[0]
    # The send job is claimed by this process's worker (where the stand-in is registered) or by
    # the live server's (where it is not: the payout then waits, approved, for its query). Either
    # way the query job's work, run here, ends it paid.
    async with tenant_scope(tenant.id):
        assert await sending.query(payout.id) == "paid"
    assert standin.paid == {payout.payout_no: 6000}

    await page.goto(live_server.url(host, "/account/earnings"))
    await page.locator("[data-state=paid]").wait_for()
    await screenshot(page, "payouts-earnings-paid-phone")
    assert await earnings_balance(tenant, "customer", customer) == 2800
    await desktop_page.goto(live_server.url(host, "/console/finance/payouts"))
    await desktop_page.locator("#payout-totals").wait_for()
    await screenshot(desktop_page, "payouts-console-payouts")

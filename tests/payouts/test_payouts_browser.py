"""Money out in Debian's chromium: a customer with a red packet binds an Alipay account and
withdraws on a phone; a finance user at a desk approves in the console; the transfer goes
through the stand-in provider (registered in this test process, where the
send or the query that follows it runs); the customer sees the withdrawal paid. Screenshots go to $HEARTH_SCREENSHOTS."""

from __future__ import annotations

import json

import pytest

from platform_core.db import current_connection
from platform_core.payouts import sending, services
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import bearer_for, make_console_user
from platform_core.testing.pytest_plugin import client_for

from .conftest import (
    earnings_balance,
    give_earnings,
    pays_out_through,
    verified_customer,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

WECHAT = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36 "
          "MicroMessenger/8.0.47")


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


async def test_inside_wechat_the_person_confirms_receipt_of_a_transfer_waiting_for_them(app, live_server, browser, make_tenant):
    tenant = await make_tenant(prefix="pay", name="阳光家政")
    customer = await verified_customer(tenant, "王小明")
    await give_earnings(tenant, "customer", customer, 8800)
    finance = await make_console_user(tenant, "finance")
    async with client_for(app, f"{tenant.slug}.localhost", **await bearer_for(tenant, "customer", customer)) as api:
        bound = await api.put("/api/v1/me/payout-account", json={"kind": "alipay_login", "account": "13800138000", "real_name": "王小明"})
        assert bound.status_code == 200, bound.text
    async with tenant_scope(tenant.id):
        payout = await services.request_withdrawal("customer", customer, 5000, actor_kind="customer", actor_id=customer)
        await services.approve(payout.id, finance.id)
        # As WeChat answers a 商家转账 that waits for the person (WAIT_USER_CONFIRM; the sending
        # itself is covered in test_payouts_requests).
        await current_connection().execute(
            "update core_payout set state = 'sending', provider = 'wechat', confirm = $2::jsonb where id = $1", payout.id,
            '{"mchId": "1900000109", "appId": "wx8888888888888888", "package": "ABBQO+oYAAABAAAAAAAk+yPZGLAAAAAA"}')
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", user_agent=WECHAT)
    # WeChat's in-app browser provides WeixinJSBridge; this one records the call and says "ok".
    await context.add_init_script(
        "window.WeixinJSBridge = {invoke(name, params, done) {"
        " sessionStorage.setItem('bridge', JSON.stringify([name, params])); done({err_msg: 'requestMerchantTransfer:ok'}); }};")
    page = await context.new_page()
    await sign_in_page(page, tenant, "customer", customer)
    await page.goto(live_server.url(f"{tenant.slug}.localhost", "/account/earnings"))
    button = page.locator("[data-confirm-receipt]")
    assert await button.inner_text() == "确认收款"
    await screenshot(page, "payouts-confirm-receipt-wechat")
    async with page.expect_navigation():
        await button.click()
    name, params = json.loads(await page.evaluate("sessionStorage.getItem('bridge')"))
    assert name == "requestMerchantTransfer"
    assert params == {"mchId": "1900000109", "appId": "wx8888888888888888", "package": "ABBQO+oYAAABAAAAAAAk+yPZGLAAAAAA"}
    await context.close()


async def test_the_payout_settings_inputs_keep_their_height_beside_a_help_text(live_server, desktop_page, make_tenant):
    # In the two-column grid, a field beside one with a help text was stretched to the row's height.
    tenant = await make_tenant(prefix="pay", name="阳光家政")
    owner = await make_console_user(tenant, "owner")
    await sign_in_page(desktop_page, tenant, "console", owner.id)
    await desktop_page.goto(live_server.url(f"{tenant.slug}.localhost", "/console/finance/payout-settings"))
    heights = {name: (await desktop_page.locator(f"#field-{name}").bounding_box())["height"]
               for name in ("min_amount", "fee_percent", "fee_min", "review_threshold")}
    assert len(set(heights.values())) == 1, heights
    await screenshot(desktop_page, "payouts-console-settings")

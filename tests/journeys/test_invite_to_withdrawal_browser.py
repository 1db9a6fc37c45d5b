"""The issue's whole money-out journey in Debian's chromium, through the real Alipay plugin and
the payment sandbox: a customer invites a friend; the friend opens the link on their phone and
signs up; the friend's service is paid and completed; the inviter's red packet appears in their
earnings; they bind their Alipay account and withdraw it; finance approves in the console; the
transfer goes through Alipay (the sandbox) and the inviter sees it paid."""

from __future__ import annotations

import re

import msgspec
import pytest

from platform_core.db import current_connection
from platform_core.ledger import services as ledger
from platform_core.payouts import sending
from platform_core.payouts import services as payouts
from platform_core.pluginsys.services import set_plugin_config
from platform_core.sandbox.config import tenant_config
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.browser import screenshot, sign_in_page
from platform_core.testing.factories import make_console_user
from plugins.payments_alipay.plugin import sandbox_values
from plugins.referral.tests.helpers import RULES, completed_paid_order, earnings, until
from plugins.referral.tests.test_referral_browser import FRIEND_PHONE, last_code

from ..payouts.conftest import verified_customer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_an_invited_friends_order_becomes_a_red_packet_the_inviter_withdraws_to_alipay(
        live_server, page, desktop_page, browser, make_tenant, enable_plugin, sandbox, runtime, monkeypatch):
    _, data_dir, port = sandbox
    # This process may run the send job too: Alipay's notifications then go where the live
    # server's would, to the live server.
    monkeypatch.setattr(runtime, "settings", msgspec.structs.replace(runtime.settings, notify_base_url=f"http://127.0.0.1:{live_server.port}"))
    tenant = await make_tenant(prefix="journey", name="阳光家政")
    await set_plugin_config(tenant.id, "payments_alipay", sandbox_values(tenant_config(tenant.slug, data_dir=data_dir, port=port)))
    await enable_plugin(tenant, "payments_alipay")
    await enable_plugin(tenant, "referral", **RULES)
    inviter = await verified_customer(tenant, "王芳")
    host = f"{tenant.slug}.localhost"

    # The inviter copies their link.
    await sign_in_page(page, tenant, "customer", inviter)
    await page.goto(live_server.url(host, "/p/referral/invite"))
    link = await page.input_value("#invite-url")

    # The friend opens it on their phone and signs up with a code.
    friend_context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", user_agent=FRIEND_PHONE)
    friend = await friend_context.new_page()
    await friend.goto(link)
    await friend.click("[data-testid=sign-up]")
    await friend.fill("input[name=phone]", "13912345678")
    await friend.click("#sign-in-card button[type=submit]:not([name])")
    await friend.wait_for_selector("input[name=code]")
    await friend.fill("input[name=code]", await last_code(browser, live_server, host))
    await friend.click("#sign-in-card form[action$='/verify'] button[type=submit]")
    await friend.wait_for_url(lambda url: "sign-in" not in url)
    await friend_context.close()
    async with tenant_scope(tenant.id):
        friend_id = await current_connection().fetchval("select invitee_id from referral_invite where inviter_id = $1", inviter)
    assert friend_id is not None

    # The friend's ¥120 service is paid and completed: the inviter's ¥20 red packet.
    await completed_paid_order(tenant, friend_id, 12_000)

    async def rewarded():
        return await earnings(tenant, inviter) == 2000

    assert await until(rewarded)
    await page.goto(live_server.url(host, "/account/earnings"))
    assert "20.00" in await page.inner_text("#earnings-balance")

    # The inviter binds Alipay in their verified name and withdraws the red packet.
    await page.click("#bind-account")
    await page.fill("#field-account", "13800138000")
    await page.fill("#field-real_name", "王芳")
    await page.click("form[action='/account/earnings/account'] button[type=submit]")
    await page.locator("#payout-account").wait_for()
    await page.fill("#field-amount", "20")
    await page.click("form[action='/account/earnings/withdraw'] button[type=submit]")
    await page.locator("[data-state=requested]").wait_for()
    await screenshot(page, "journey-withdrawal-requested")

    # Finance approves it in the console.
    finance = await make_console_user(tenant, "finance")
    await sign_in_page(desktop_page, tenant, "console", finance.id)
    await desktop_page.goto(live_server.url(host, "/console/finance/withdrawals"))
    await desktop_page.locator("#payouts-table tbody tr a").first.click()
    await desktop_page.click("#approve")
    await desktop_page.locator(".alert--success").wait_for()

    # The send job (whichever process's worker claims it, or this one) pays it through Alipay.
    async with tenant_scope(tenant.id):
        [payout] = await payouts.holder_payouts("customer", inviter)
        state = await sending.send(payout.id)
        assert state in ("paid", "sending"), (await payouts.get_payout(payout.id)).provider_message

    async def paid():
        async with tenant_scope(tenant.id):
            return (await payouts.get_payout(payout.id)).state == "paid"

    assert await until(paid)
    [transfer] = [t for t in sandbox[0].transfers.values() if t.out_no == payout.payout_no]
    assert (transfer.amount, transfer.account, transfer.name) == (2000 - payout.fee, "13800138000", "王芳")
    await page.goto(live_server.url(host, "/account/earnings"))
    await page.locator("[data-state=paid]").wait_for()
    assert re.search(r"0\.00", await page.inner_text("#earnings-balance"))
    await screenshot(page, "journey-withdrawal-paid")
    async with tenant_scope(tenant.id):
        assert await ledger.balance("payouts:pending", tenant.currency) == 0

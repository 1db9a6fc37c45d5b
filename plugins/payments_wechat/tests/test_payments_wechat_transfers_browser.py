"""A person confirms a WeChat transfer on their phone (the sandbox's stand-in for WeChat's
"confirm receipt" sheet), in Debian's chromium: the merchant is then told by a verified
notification, and the sandbox's index lists the transfer as paid out."""

from __future__ import annotations

import secrets

import msgspec
import pytest
from anyio import to_thread

from platform_core.payments.provider import TransferRequest
from platform_core.sandbox.config import tenant_config
from platform_core.testing.browser import screenshot
from plugins.payments_wechat.config import WeChatPayConfig
from plugins.payments_wechat.plugin import PROVIDER, sandbox_values

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_a_person_confirms_a_transfer_on_the_phone_and_the_merchant_is_told(sandbox, receiver, page, desktop_page):
    sb, data_dir, port = sandbox
    cfg = tenant_config("wxtr-phone", data_dir=data_dir, port=port)
    config = msgspec.convert(sandbox_values(cfg, "v3"), WeChatPayConfig)
    request = TransferRequest(transfer_no="WD" + secrets.token_hex(8).upper(), amount=26800, currency="CNY", account_kind="wechat_openid",
                              account="oPayee-confirm-" + secrets.token_hex(3), real_name="王小花", remark="阳光家政 提现",
                              notify_url=receiver.url)
    assert (await PROVIDER.transfer(config, request)).status == "pending"
    [waiting] = [t for t in sb.transfers.values() if t.out_no == request.transfer_no]

    await page.goto(sb.transfer_url(waiting))
    assert "¥268.00" in await page.inner_text("body")
    await screenshot(page, "wechat-transfer-confirm")
    await page.click("button[value=confirm]")
    await page.wait_for_selector("text=已到账")
    await screenshot(page, "wechat-transfer-done")

    [(headers, body)] = await to_thread.run_sync(receiver.wait)
    notice = await PROVIDER.parse_transfer_notification(config, headers, body)
    assert (notice.transfer_no, notice.status, notice.amount) == (request.transfer_no, "succeeded", 26800)

    await desktop_page.goto(sb.base_url + "/")
    row = desktop_page.locator("tr", has_text=request.transfer_no)
    assert "已到账" in await row.inner_text()
    await screenshot(desktop_page, "sandbox-index-transfers")

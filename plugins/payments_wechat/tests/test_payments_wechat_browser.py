"""A franchise owner sets WeChat Pay up in the console, in Debian's chromium, as they would with
the files WeChat Pay's merchant platform gives them; then customers can pay with it."""

from __future__ import annotations

import re

import pytest

from platform_core.accounts.console_schemas import ConsoleUserCreate
from platform_core.accounts.console_services import create_console_user
from platform_core.payments import services
from platform_core.pluginsys.services import get_plugin_config
from platform_core.sandbox.config import tenant_config
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer, make_item, make_order
from plugins.payments_wechat.plugin import NAME, PROVIDER, sandbox_values

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_owner_enters_the_v3_merchant_keys_and_checkout_offers_wechat_pay(live_server, desktop_page, runtime, make_tenant, sandbox):
    tenant = await make_tenant(prefix="wxb", name="阳光家政")
    async with tenant_scope(tenant.id):
        await create_console_user(ConsoleUserCreate(email="owner@sun.example", display_name="王店长", role="owner", password="correct-horse-battery"))
    _, data_dir, port = sandbox
    values = sandbox_values(tenant_config(tenant.slug, data_dir=data_dir, port=port))
    host, page = f"{tenant.slug}.localhost", desktop_page

    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", "owner@sun.example")
    await page.fill("input[name=password]", "correct-horse-battery")
    await page.click("form button[type=submit]")
    await page.wait_for_url(re.compile(r"/console/?$"))
    await page.goto(live_server.url(host, "/console/plugins"))

    card = page.locator("#plugin-payments_wechat")
    assert "微信支付" in await card.inner_text()
    async with page.expect_response(lambda r: r.url.endswith("/console/plugins/payments_wechat/toggle")):
        await card.locator("label[for=toggle-payments_wechat]").click()
    await page.wait_for_selector("#toggle-payments_wechat:checked")

    # Keys pasted as they come, PEM line breaks and all, into the settings form's fields.
    await card.locator("summary").click()
    await card.locator("select[name=api_version]").select_option("v3")
    for name in ("appid", "mch_id", "private_key", "cert_serial_no", "apiv3_key", "platform_public_key", "platform_public_key_id", "api_base_url"):
        await card.locator(f"[name={name}]").fill(values[name])
    await card.locator(".plugin-settings button.btn--primary").click()
    await page.wait_for_url(re.compile(r"/console/plugins\?done=saved"))

    card = page.locator("#plugin-payments_wechat")
    await card.locator("summary").click()
    shown = await card.locator("input[name=private_key]").get_attribute("placeholder")
    assert shown and "PRIVATE KEY" not in shown and values["private_key"][40:60] not in shown
    await page.screenshot(path=str(live_server.log_path.parent / "console-wechat-pay.png"), full_page=True)

    # What was typed works with WeChat Pay (here the sandbox): checkout offers it and a QR code comes back.
    config = await get_plugin_config(tenant.id, NAME)
    assert PROVIDER.configured(config) and config.api_version == "v3"
    customer_id = await make_customer(tenant)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=await make_item(tenant), total=12000)
    async with tenant_scope(tenant.id):
        assert [o.provider for o in await services.checkout_options("desktop", "CNY")] == ["wechat"]
        payment = await services.start_payment(
            provider_name="wechat", customer_id=customer_id, amount=12000, currency="CNY", subject="日常保洁", device="desktop",
            client_ip="127.0.0.1", base_url="http://127.0.0.1:9", return_url=live_server.url(host, "/"), order_id=order_id)
    assert payment.action.kind == "qr" and payment.action.url.startswith(f"http://127.0.0.1:{port}/pay/wechat_v3/")

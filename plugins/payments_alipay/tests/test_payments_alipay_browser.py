"""A franchise owner sets up Alipay in the console, in Debian's chromium: keys pasted into the
password fields (which drop a PEM's line breaks) still work, a wrong key is pointed out on its
field in Chinese, and saved keys are shown masked."""

from __future__ import annotations

import re

import pytest

from platform_core.pluginsys.services import get_plugin_config
from platform_core.sandbox.config import tenant_config
from platform_core.testing.factories import PASSWORD, make_console_user
from plugins.payments_alipay.sdk import client

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_owner_pastes_alipay_keys_in_the_console_and_a_wrong_one_is_pointed_out(live_server, desktop_page, runtime, make_tenant, tmp_path):
    tenant = await make_tenant(prefix="alic", name="阳光家政")
    owner = await make_console_user(tenant, "owner")
    cfg = tenant_config(tenant.slug, data_dir=tmp_path)
    host = f"{tenant.slug}.localhost"
    page = desktop_page

    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", owner.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("form button[type=submit]")
    await page.wait_for_url(re.compile(r"/console/?$"))

    await page.goto(live_server.url(host, "/console/plugins"))
    card = page.locator("#plugin-payments_alipay")
    assert "支付宝" in await card.inner_text()
    await card.locator("summary").click()
    assert "支付宝公钥" in await card.inner_text()
    await card.locator("input[name=appid]").fill(cfg.alipay.appid)
    await card.locator("input[name=app_private_key]").fill(cfg.alipay.app_private_key)
    await card.locator("input[name=alipay_public_key]").fill(cfg.alipay.app_private_key)  # the wrong half
    await card.locator("button[type=submit]:not([name])").click()
    error = card.locator("#cfg-payments_alipay-alipay_public_key-error")
    await error.wait_for()
    assert await error.inner_text() == "此处请粘贴支付宝公钥，而不是私钥。"
    assert (await get_plugin_config(tenant.id, "payments_alipay")).appid == ""  # nothing was saved

    card = page.locator("#plugin-payments_alipay")
    await card.locator("input[name=appid]").fill(cfg.alipay.appid)
    await card.locator("input[name=app_private_key]").fill(cfg.alipay.app_private_key)
    await card.locator("input[name=alipay_public_key]").fill(cfg.alipay.alipay_public_key)
    await card.locator("input[name=gateway]").fill(cfg.alipay.gateway)
    await card.locator("button[type=submit]:not([name])").click()
    await page.wait_for_load_state("networkidle")
    card = page.locator("#plugin-payments_alipay")
    if not await card.locator("input[name=app_private_key]").is_visible():
        await card.locator("summary").click()
    placeholder = await card.locator("input[name=app_private_key]").get_attribute("placeholder")
    assert placeholder and cfg.alipay.app_private_key[40:80] not in placeholder  # masked, never shown back
    await page.screenshot(path=str(live_server.log_path.parent / "console-alipay-settings.png"), full_page=True)

    saved = await get_plugin_config(tenant.id, "payments_alipay")
    assert saved.appid == cfg.alipay.appid and "\n" not in saved.app_private_key.strip()  # the browser dropped the line breaks
    signed = client(saved).api_alipay_trade_page_pay(subject="x", out_trade_no="H1", total_amount="1.00")
    assert "sign=" in signed  # and the keys still sign

"""Signing in with WeChat in Debian's chromium, as a phone inside WeChat: the sign-in page, the
sandbox's WeChat authorisation page (Approve), the phone step, and WeChat on the account's
sign-in methods. Screenshots go to $HEARTH_SCREENSHOTS when set (for looking at them)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .conftest import IN_WECHAT

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = re.compile(r"\b(\d{6})\b")


async def _shot(page, name: str) -> None:
    folder = os.environ.get("HEARTH_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


async def test_a_new_customer_signs_in_with_wechat_on_a_phone_and_links_their_number(live_server, browser, make_tenant, wechat_on):
    tenant = await make_tenant(prefix="wxb", name="阳光家政")
    await wechat_on(tenant)
    host = f"{tenant.slug}.localhost"
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", user_agent=IN_WECHAT)
    page = await context.new_page()
    try:
        await page.goto(live_server.url(host, "/account/sign-in"))
        await page.check("#field-share")
        await _shot(page, "wechat-sign-in-phone")
        await page.click("button[formaction$='/wechat']")
        # WeChat asks to share the nickname and avatar (the sandbox's page); the person approves.
        await page.wait_for_selector("button.approve")
        await _shot(page, "wechat-authorise-phone")
        await page.click("button.approve")

        await page.wait_for_url(re.compile(r"/account/sign-in\?link=wechat$"))
        assert await page.locator("input[name=link]").first.get_attribute("value") == "wechat"
        await page.fill("input[name=phone]", "13800138000")
        await _shot(page, "wechat-link-phone")
        await page.click("#sign-in-card form[action$='/code'] button.btn--primary")
        await page.wait_for_selector("input[name=code]")
        outbox = await context.new_page()
        await outbox.goto(live_server.url(host, "/dev/outbox"))
        code = CODE.search(await outbox.inner_text(".outbox"))
        await outbox.close()
        assert code
        await page.fill("input[name=code]", code.group(1))
        await page.click("#sign-in-card form[action$='/verify'] button.btn--primary")
        await page.wait_for_url(re.compile(r"/account/?$"))

        await page.goto(live_server.url(host, "/account/sign-in-methods"))
        wechat = page.locator("[data-method=wechat]")
        await wechat.wait_for()
        assert "李女士" in await wechat.inner_text()  # the nickname WeChat shared
        assert "8000" in await page.locator("[data-method=phone]").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
        await _shot(page, "wechat-sign-in-methods-phone")
    finally:
        await context.close()

"""QQ sign-in in Debian's chromium on a phone: the sign-in page's QQ button, QQ Connect's consent
page (the sandbox's, asked for its phone layout), Approve, the phone number linked by a texted code,
and the account page, signed in.
Screenshots go to $HEARTH_SCREENSHOTS when set (for looking at them)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from platform_core.accounts.sessions import SESSION_COOKIE, create_session
from platform_core.testing.browser import screenshot
from platform_core.testing.factories import make_console_user
from plugins.login_qq.tests.helpers import IPHONE, customers

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = re.compile(r"\b(\d{6})\b")


async def test_a_customer_signs_in_with_qq_on_a_phone(live_server, browser, qq_franchise, sandbox):
    tenant, config = await qq_franchise(prefix="qqb", name="阳光家政")
    sb, _data_dir, _port = sandbox
    context = await browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN", user_agent=IPHONE)
    page = await context.new_page()
    try:
        await page.goto(live_server.url(f"{tenant.slug}.localhost", "/account/sign-in"))
        await screenshot(page, "qq-sign-in-phone")
        await page.get_by_role("button", name="QQ", exact=True).click()
        await page.wait_for_url(f"{sb.base_url}/oauth2.0/authorize?**")
        asked = parse_qs(urlsplit(page.url).query)
        assert asked["display"] == ["mobile"] and asked["client_id"] == [config.app_id]
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await screenshot(page, "qq-consent-phone")
        await page.get_by_label("阿杰").check()
        await page.get_by_role("button", name="授权并登录 · Approve").click()
        # New to the franchise: the phone number, so QQ and the phone are one account.
        await page.wait_for_url(re.compile(r"/account/sign-in\?link=login_qq$"))
        await page.fill("input[name=phone]", "13800138000")
        await screenshot(page, "qq-link-phone")
        await page.click("#sign-in-card form[action$='/code'] button.btn--primary")
        await page.wait_for_selector("input[name=code]")
        outbox = await context.new_page()
        await outbox.goto(live_server.url(f"{tenant.slug}.localhost", "/dev/outbox"))
        code = CODE.search(await outbox.inner_text(".outbox"))
        await outbox.close()
        assert code
        await page.fill("input[name=code]", code.group(1))
        await page.click("#sign-in-card form[action$='/verify'] button.btn--primary")
        await page.wait_for_url(live_server.url(f"{tenant.slug}.localhost", "/account"))
        assert "阿杰" in await page.locator("main").inner_text()
        assert await page.evaluate("document.documentElement.scrollWidth") <= 390
        await screenshot(page, "qq-signed-in-account-phone")
    finally:
        await context.close()
    (customer,) = await customers(tenant)
    assert customer["display_name"] == "阿杰"


async def test_the_console_card_shows_the_callback_to_register(live_server, desktop_page, qq_franchise):
    tenant, config = await qq_franchise(prefix="qqc", name="阳光家政")
    owner = await make_console_user(tenant, "owner")
    token = await create_session(kind="console", user_id=owner.id, tenant_id=tenant.id)
    await desktop_page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "domain": f"{tenant.slug}.localhost", "path": "/"}])
    await desktop_page.goto(live_server.url(f"{tenant.slug}.localhost", "/console/plugins#plugin-login_qq"))
    card = desktop_page.locator("#plugin-login_qq")
    await card.get_by_text("Settings").or_(card.get_by_text("设置")).first.click()
    text = await card.inner_text()
    assert live_server.url(f"{tenant.slug}.localhost", "/account/sign-in/login_qq/callback") in text
    assert config.app_id in await card.locator("input[name=app_id]").input_value()
    assert config.app_key not in await desktop_page.content()
    await card.scroll_into_view_if_needed()
    await screenshot(desktop_page, "qq-console-card")

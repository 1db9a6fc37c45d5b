"""The main paths of issue 2, as a person does them in Debian's chromium."""

from __future__ import annotations

import re

import pytest

from platform_core.accounts.console_schemas import ConsoleUserCreate
from platform_core.accounts.console_services import create_console_user
from platform_core.db import tenant_transaction
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import enabled_plugins

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = re.compile(r"\b(\d{6})\b")


async def test_customer_signs_in_with_a_code_on_franchise_a_and_sees_its_branding(live_server, page, browser, make_tenant):
    tenant_a = await make_tenant(prefix="bloom", name="Bloom Home Services", locale="en",
                                 branding={"display_name": "Bloom Home", "primary_color": "#7b2cbf", "tagline": "Spotless homes"})
    await make_tenant(prefix="other", name="Other Franchise", branding={"display_name": "Other", "primary_color": "#123456"})
    host = f"{tenant_a.slug}.localhost"

    await page.goto(live_server.url(host, "/account/sign-in"))
    await page.fill("input[name=phone]", "13800138000")
    await page.click("button:has-text('Send code')")
    await page.wait_for_selector("input[name=code]")

    # The code arrives by SMS; in dev mode the franchise's outbox page is that phone.
    outbox = await browser.new_page()
    await outbox.goto(live_server.url(host, "/dev/outbox"))
    body = await outbox.inner_text(".outbox")
    await outbox.close()
    code = CODE.search(body)
    assert code, body

    await page.fill("input[name=code]", code.group(1))
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(re.compile(r"/account/?$"))

    assert "Bloom Home" in await page.inner_text("header")
    brand = await page.evaluate("getComputedStyle(document.documentElement).getPropertyValue('--brand').trim()")
    assert brand.lower() == "#7b2cbf"
    assert "Other" not in await page.inner_text("body")
    await page.screenshot(path=str(live_server.log_path.parent / "customer-account.png"), full_page=True)


async def test_franchise_b_owner_signs_in_to_the_console_and_turns_a_plugin_on(live_server, desktop_page, make_tenant):
    await make_tenant(prefix="a", name="Franchise A")
    tenant_b = await make_tenant(prefix="b", name="Franchise B", locale="en")
    async with tenant_scope(tenant_b.id):
        await create_console_user(ConsoleUserCreate(
            email="owner@b.example", display_name="Bea Owner", role="owner", password="correct-horse-battery"))
    host = f"{tenant_b.slug}.localhost"
    page = desktop_page

    await page.goto(live_server.url(host, "/console/"))
    await page.wait_for_url(re.compile(r"/console/sign-in"))
    await page.fill("input[name=email]", "owner@b.example")
    await page.fill("input[name=password]", "correct-horse-battery")
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(re.compile(r"/console/?$"))

    await page.click("nav >> text=Plugins")
    await page.wait_for_url(re.compile(r"/console/plugins"))
    toggle = page.locator("#toggle-announcements")
    assert not await toggle.is_checked()
    async with page.expect_response(lambda r: r.url.endswith("/console/plugins/announcements/toggle")) as answer:
        await page.click("label[for=toggle-announcements]")
    assert (await answer.value).status == 200
    await page.wait_for_selector("#toggle-announcements:checked")

    await page.reload()
    assert await page.locator("#toggle-announcements").is_checked()
    async with tenant_transaction(tenant_b.id):
        assert "announcements" in await enabled_plugins()
    await page.screenshot(path=str(live_server.log_path.parent / "console-plugins.png"), full_page=True)

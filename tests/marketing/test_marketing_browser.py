"""The owner's marketing pages in chromium: a channel whose link a newcomer opens in a fresh
browser and registers through shows the sign-up in its report; a "dormant 30 days" segment shows
its members before anything is sent."""

from __future__ import annotations

import re

import pytest

from platform_core.db import current_connection
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_console_user, make_customer, make_order
from tests.accounts.test_sign_in_browser import last_code
from tests.web.test_console_dashboard_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# A phone's browser: the link counts people, and headless automation is counted as a bot.
PHONE_BROWSER = ("Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                 "Chrome/124.0 Mobile Safari/537.36")


async def test_a_newcomer_through_a_channel_link_shows_in_its_report_and_a_dormant_segment_shows_its_members(
    live_server, desktop_page, browser, make_tenant,
):
    tenant = await make_tenant(prefix="mkt", name="Bloom Home", locale="en")
    owner = await make_console_user(tenant, "owner")
    sleeper = await make_customer(tenant, name="Sleepy Li")
    old_order = await make_order(tenant, customer_id=sleeper, state="completed")
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_order set created_at = now() - interval '45 days' where id = $1", old_order)
    host = f"{tenant.slug}.localhost"
    page = desktop_page
    shots = live_server.log_path.parent
    await sign_in(page, live_server, host, owner.email)

    # The Marketing menu leads to Channels; a new channel gets its link and QR code.
    await page.click("nav.sidebar__nav a[href='/console/marketing/channels']")
    await page.click("a[href='/console/marketing/channels/new']")
    await page.fill("input[name=name]", "Sunshine Property Agency")
    await page.select_option("select[name=kind]", "agency")
    await page.click("form button[type=submit]:has-text('Save channel')")
    await page.wait_for_url(re.compile(r"/console/marketing/channels/\d+\?done=channel$"))
    channel_url = page.url.split("?")[0]
    link = (await page.inner_text("[data-channel-link]")).strip()
    assert re.fullmatch(rf"http://{re.escape(host)}:\d+/c/[A-Za-z0-9]{{8}}", link), link
    assert await page.locator("img.qr-thumb").evaluate("img => img.naturalWidth") > 0
    await page.screenshot(path=str(shots / "marketing-channel-new.png"), full_page=True)

    # A newcomer opens the link in a browser of their own, lands home, and registers.
    context = await browser.new_context(user_agent=PHONE_BROWSER, viewport={"width": 390, "height": 844})
    try:
        phone = await context.new_page()
        await phone.goto(link)
        assert phone.url.rstrip("/") == live_server.url(host, "").rstrip("/")
        await phone.goto(live_server.url(host, "/account/sign-in"))
        await phone.fill("input[name=phone]", "13700137000")
        await phone.click("#sign-in-card button[type=submit]:not([name])")
        await phone.wait_for_selector("input[name=code]")
        await phone.fill("input[name=code]", await last_code(browser, live_server, host))
        await phone.click("#sign-in-card form[action$='/verify'] button[type=submit]")
        await phone.wait_for_url(re.compile(r"/account/?$"))
    finally:
        await context.close()

    await page.goto(channel_url + "?days=7")
    assert (await page.inner_text("[data-report=visits]")).strip() == "1"
    assert (await page.inner_text("[data-report=sign_ups]")).strip() == "1"
    await page.screenshot(path=str(shots / "marketing-channel-report.png"), full_page=True)

    # A "dormant 30 days" segment, previewed and saved, lists the customer who stopped ordering.
    await page.click("nav.sidebar__nav a[href='/console/marketing/segments']")
    await page.click("a[href='/console/marketing/segments/new']")
    await page.fill("input[name=name]", "Dormant 30 days")
    await page.check("#use-dormant")
    await page.fill("input[name='f.dormant.days']", "30")
    await page.click("button[value=preview]")
    await page.wait_for_selector("[data-segment-size]")
    assert (await page.inner_text("[data-segment-size]")).strip() == "1"
    await page.click("button[value=save]")
    await page.wait_for_url(re.compile(r"/console/marketing/segments/\d+\?done=segment$"))
    preview = await page.inner_text("#preview")
    assert "Sleepy Li" in preview and "13700137000" not in preview
    await page.screenshot(path=str(shots / "marketing-segment.png"), full_page=True)
    await page.click("nav.sidebar__nav a[href='/console/marketing/segments']")
    assert "Dormant 30 days" in await page.inner_text("main")

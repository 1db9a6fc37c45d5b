"""The main path in chromium: an owner on a computer finds a customer by phone, opens the
customer's page and freezes the account with a reason; the customer, on a phone, then can not
sign in and is told why. Screenshots of each step are kept beside the server's log."""

from __future__ import annotations

import re

import pytest

from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    PASSWORD,
    make_console_user,
    make_customer,
)
from tests.customer_desk.test_customer_console import paid_order

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CODE = re.compile(r"\b(\d{6})\b")


def shot(live_server, name: str) -> str:
    return str(live_server.log_path.parent / name)


async def spending(tenant, customer_id: int) -> None:
    """Completed, paid visits over the last months, for the chart."""
    for days_ago, total in ((30, 26800), (60, 15800), (120, 39800), (210, 12800)):
        await paid_order(tenant, customer_id, days_ago=days_ago, total=total)


async def test_an_owner_freezes_a_customer_who_then_can_not_sign_in(live_server, desktop_page, page, browser, make_tenant):
    tenant = await make_tenant(prefix="crm", name="Bloom Home")
    host = f"{tenant.slug}.localhost"
    customer_id = await make_customer(tenant, "+8613800138000", name="Wang Fang")
    for name in ("Li Lei", "Zhao Min", "Chen Jing"):
        await make_customer(tenant, name=name)
    await spending(tenant, customer_id)
    owner = await make_console_user(tenant, "owner", email=f"owner@{tenant.slug}.example")

    office = desktop_page
    await office.context.add_cookies([{"name": "hearth_locale", "value": "en", "url": live_server.url(host)}])
    await office.goto(live_server.url(host, "/console/sign-in"))
    await office.fill("input[name=email]", owner.email)
    await office.fill("input[name=password]", PASSWORD)
    await office.click("form button[type=submit]")
    await office.wait_for_url(re.compile(r"/console/?$"))

    await office.click("nav a[href='/console/customers']")
    await office.wait_for_selector("table.customer-table")
    await office.screenshot(path=shot(live_server, "customers-list.png"), full_page=True)
    await office.fill("input[name=q]", "138 0013 8000")
    await office.press("input[name=q]", "Enter")
    await office.wait_for_url(re.compile(r"q=138"))
    rows = office.locator("table.customer-table tbody tr")
    assert await rows.count() == 1
    await office.click("table.customer-table a:has-text('Wang Fang')")
    await office.wait_for_selector("#state-heading")
    assert "13800138000" not in await office.content()  # masked until someone asks to see it
    await office.screenshot(path=shot(live_server, "customer-page.png"), full_page=True)

    await office.fill("form.customer-state-form textarea[name=reason]", "Repeatedly abusive to workers on the phone")
    await office.select_option("form.customer-state-form select[name=order_rule]", "unpaid")
    await office.click("button[formaction$='/freeze']")
    await office.wait_for_selector(".alert--success")
    assert "The account is frozen" in await office.inner_text(".flash-stack")
    assert "Repeatedly abusive to workers on the phone" in await office.inner_text(".customer-history")
    await office.screenshot(path=shot(live_server, "customer-frozen.png"), full_page=True)

    # The customer, on a phone, in the franchise's language.
    await page.goto(live_server.url(host, "/account/sign-in"))
    await page.fill("input[name=phone]", "13800138000")
    await page.click("#sign-in-card button[type=submit]:not([name])")
    await page.wait_for_selector("input[name=code]")
    outbox = await browser.new_page()
    await outbox.goto(live_server.url(host, "/dev/outbox"))
    code = CODE.search(await outbox.inner_text(".outbox")).group(1)
    await outbox.close()
    await page.fill("input[name=code]", code)
    await page.click("#sign-in-card form[action$='/verify'] button[type=submit]")
    refusal = page.locator("#sign-in-card .alert--error, #sign-in-card .field__error").first
    await refusal.wait_for()
    told = await refusal.inner_text()
    await page.screenshot(path=shot(live_server, "customer-frozen-sign-in.png"), full_page=True)
    assert "冻结" in told or "frozen" in told, told
    assert "/account/sign-in" in page.url


async def test_a_customer_closes_their_own_account_on_a_phone(live_server, page, make_tenant):
    from platform_core.accounts.sessions import SESSION_COOKIE, create_session

    tenant = await make_tenant(prefix="close", name="Bloom Home")
    host = f"{tenant.slug}.localhost"
    customer_id = await make_customer(tenant, name="Li Lei")
    async with tenant_scope(tenant.id):
        token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
    await page.context.add_cookies([{"name": SESSION_COOKIE, "value": token, "url": live_server.url(host)}])

    await page.goto(live_server.url(host, "/account"))
    await page.click("a[href='/account/close']")
    await page.wait_for_selector("input[name=confirmation]")
    await page.screenshot(path=shot(live_server, "account-close.png"), full_page=True)
    await page.fill("input[name=confirmation]", "注销我的账户")
    await page.click("form[action='/account/close'] button[type=submit]")
    await page.wait_for_selector("text=您的账户已注销")
    await page.screenshot(path=shot(live_server, "account-closed.png"), full_page=True)
    await page.goto(live_server.url(host, "/account"))
    assert "/account/sign-in" in page.url  # signed out

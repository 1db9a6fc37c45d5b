"""An owner refunds part of a wallet payment in the console, in Debian's chromium."""

from __future__ import annotations

import re

import pytest

from platform_core.ledger import services as ledger
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import PASSWORD, make_console_user
from tests.payments.test_payments_console import order_number, wallet_paid_order

pytestmark = [pytest.mark.browser, pytest.mark.slow]


async def test_owner_refunds_part_of_a_wallet_payment_and_sees_it_in_the_list(live_server, desktop_page, runtime, make_tenant):
    tenant = await make_tenant(prefix="refund", name="Refund Franchise", locale="en")
    payment_id, payment_no, order_id, customer_id = await wallet_paid_order(tenant, total=12800)
    owner = await make_console_user(tenant, "owner")
    host = f"{tenant.slug}.localhost"
    page = desktop_page
    shots = live_server.log_path.parent

    await page.goto(live_server.url(host, "/console/sign-in"))
    await page.fill("input[name=email]", owner.email)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("button:has-text('Sign in')")
    await page.wait_for_url(re.compile(r"/console/?$"))

    await page.click("nav >> text=Payments")
    await page.wait_for_url(re.compile(r"/console/payments$"))
    row = page.locator("#payments tr", has_text=payment_no)
    assert "Paid" in await row.inner_text() and "CN¥128.00" in await row.inner_text()
    await row.locator(f"text={payment_no}").click()
    await page.wait_for_url(re.compile(rf"/console/payments/{payment_id}$"))
    assert "Paid from the wallet" in await page.inner_text("main")  # the order's ledger entries

    await page.fill("input[name=amount]", "30.50")
    await page.fill("textarea[name=reason]", "One room was not cleaned")
    asked = []

    async def answer(dialog) -> None:
        asked.append(dialog.message)
        await (dialog.dismiss() if len(asked) == 1 else dialog.accept())

    page.on("dialog", answer)
    await page.click("#refund button:has-text('Refund')")  # the first time, the owner thinks better of it
    assert asked == ["Send this refund? Money that has left can not be taken back."]
    assert page.url.endswith(f"/console/payments/{payment_id}")
    await page.click("#refund button:has-text('Refund')")
    await page.wait_for_url(re.compile(rf"/console/payments/{payment_id}\?refund=succeeded$"))
    main = await page.inner_text("main")
    assert "The refund is done." in main and "One room was not cleaned" in main
    assert await page.input_value("input[name=amount]") == "97.50"  # what is left, ready for the rest
    await page.screenshot(path=str(shots / "console-payment-refunded.png"), full_page=True)

    await page.click("text=All payments")
    await page.wait_for_url(re.compile(r"/console/payments$"))
    row = page.locator("#payments tr", has_text=payment_no)
    assert "CN¥30.50" in await row.inner_text()
    await page.screenshot(path=str(shots / "console-payments.png"), full_page=True)

    # The order page shows the payment, the refund and the ledger entries in its Payments card.
    await page.goto(live_server.url(host, f"/console/orders/{await order_number(tenant, order_id)}"))
    card = page.locator("#order-payments")
    await card.locator("text=One room was not cleaned").wait_for()
    assert payment_no in await card.inner_text()

    await page.click("nav >> text=Ledger")
    await page.wait_for_url(re.compile(r"/console/finance/ledger$"))
    assert "CN¥30.50" in await page.inner_text("#group-customers")  # the refund went back to the wallet
    await page.screenshot(path=str(shots / "console-ledger.png"), full_page=True)

    async with tenant_scope(tenant.id):
        assert await ledger.balance(f"customer:{customer_id}:wallet", tenant.currency) == 3050

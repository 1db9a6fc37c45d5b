"""Book and pay in Debian's chromium with each provider of the sandbox, as a customer would:
Alipay (the cashier page, Approve, back to the order), WeChat Pay on a desktop (scan the QR code:
its pay page opened in the same browser; the checkout page notices by itself) and Stripe (the
hosted page). The sandbox sends its notifications to the live server, as the providers would."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from platform_core.accounts.sessions import create_session
from platform_core.db import current_connection
from platform_core.pluginsys.services import enable_plugin, set_plugin_config
from platform_core.sandbox.config import (
    register_stripe_webhook,
    sandbox_base_url,
    stripe_port,
    tenant_config,
)
from platform_core.sandbox.keys import load_or_create
from platform_core.sandbox.server import NotifyPolicy
from platform_core.sandbox.stripe_server import start_localstripe, stop_localstripe
from platform_core.sandbox.testing import free_port, running_sandbox
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    make_address,
    make_customer,
    make_item,
    make_worker,
)
from plugins.payments_alipay.plugin import sandbox_values as alipay_values
from plugins.payments_stripe.plugin import sandbox_values as stripe_values
from plugins.payments_wechat.plugin import sandbox_values as wechat_values

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("browser-sandbox")
    port = free_port()
    localstripe = start_localstripe(stripe_port(port))
    # As the providers do: a notification is sometimes delivered twice, and retried when refused.
    policy = NotifyPolicy(delays=(0, 1, 2), duplicate_probability=0.3)
    try:
        with running_sandbox(load_or_create(data_dir), port=port, policy=policy, stripe_api=sandbox_base_url(stripe_port(port))):
            yield SimpleNamespace(data_dir=data_dir, port=port)
    finally:
        stop_localstripe(localstripe)


@pytest.fixture
def server(live_server):
    return live_server


async def franchise(make_tenant, sandbox, plugins: dict, **fields):
    tenant = await make_tenant(prefix="pay", locale="en", **fields)
    cfg = tenant_config(tenant.slug, data_dir=sandbox.data_dir, port=sandbox.port)
    for name, values in plugins.items():
        await set_plugin_config(tenant.id, name, values(cfg))
        await enable_plugin(tenant.id, name, actor="test")
    return tenant, cfg


async def signed_in(page, server, tenant) -> str:
    """A customer with an address, signed in in this browser; returns the tenant's host."""
    customer_id = await make_customer(tenant)
    await make_address(tenant, customer_id)
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
    host = f"{tenant.slug}.localhost"
    await page.context.add_cookies([
        {"name": "hearth_sid", "value": token, "url": server.url(host)},
        {"name": "hearth_locale", "value": "en", "url": server.url(host)},
    ])
    return host


async def book_and_reach_checkout(page, server, tenant, price: int) -> tuple[str, str]:
    """Book a service as soon as possible, paying now: the booking ends on the checkout page."""
    item_id = await make_item(tenant, price=price)
    await make_worker(tenant)
    async with tenant_scope(tenant.id):
        slug = await current_connection().fetchval("select slug from core_service_item where id = $1", item_id)
    host = await signed_in(page, server, tenant)
    await page.goto(server.url(host, f"/book/{slug}"))
    assert await page.is_checked("input[name=payment_method][value=online]")
    await shot(page, server, f"book-{tenant.currency}")
    await page.click("aside button[type=submit]")
    await page.wait_for_url(re.compile(r"/orders/\d{8}-\d{4}/pay$"))
    number = page.url.split("/")[-2]
    return host, number


def shot(page, server, name: str):
    return page.screenshot(path=str(server.log_path.parent / f"{name}.png"), full_page=True)


async def test_book_and_pay_with_alipay(server, sandbox, desktop_page, runtime, make_tenant):
    page = desktop_page
    tenant, _ = await franchise(make_tenant, sandbox, {"payments_wechat": wechat_values, "payments_alipay": alipay_values})
    host, number = await book_and_reach_checkout(page, server, tenant, price=19900)
    main = await page.inner_text("main")
    assert "WeChat Pay" in main and "Alipay" in main and "Wallet balance" in main and "199.00" in main
    await shot(page, server, "checkout")

    await page.click("label.choice:has-text('Alipay')")
    await page.click("aside button[type=submit]")
    await page.wait_for_url(re.compile(rf"127\.0\.0\.1:{sandbox.port}/pay/alipay/"))
    await page.click("button.approve")
    # Back on the order: it shows paid once the notification is in (the page polls for it).
    await page.wait_for_url(re.compile(rf"/orders/{number}\?done=paid"), timeout=45000)
    body = await page.inner_text("main")
    assert "Paid with Alipay" in body and "Payment received" in body
    await shot(page, server, "paid-alipay")
    await page.goto(server.url(host, "/account/wallet"))
    assert "Top up" in await page.inner_text("main")
    await shot(page, server, "wallet")


async def test_book_and_pay_with_wechat_by_scanning_the_qr_code(server, sandbox, desktop_page, runtime, make_tenant):
    page = desktop_page
    tenant, _ = await franchise(make_tenant, sandbox, {"payments_wechat": wechat_values})
    host, number = await book_and_reach_checkout(page, server, tenant, price=8800)
    await page.click("label.choice:has-text('WeChat Pay')")
    await page.click("aside button[type=submit]")
    await page.wait_for_url(re.compile(r"/payments/H\w+$"))
    assert "Scan with WeChat" in await page.inner_text("main")
    assert await page.locator("figure.pay-qr svg").is_visible()
    await shot(page, server, "wechat-qr")

    # No phone at hand: the code's link opens its pay page in another tab, as the README says.
    async with page.context.expect_page() as opened:
        await page.click("#wechat-qr-link")
    phone = await opened.value
    assert phone.url == await page.get_attribute("figure.pay-qr", "data-qr-url")
    await phone.click("button.approve")
    await page.wait_for_url(re.compile(rf"/orders/{number}\?done=paid"), timeout=45000)
    assert "Paid with WeChat Pay" in await page.inner_text("main")


async def test_book_and_pay_by_card_with_stripe(server, sandbox, desktop_page, runtime, make_tenant):
    page = desktop_page
    tenant, cfg = await franchise(make_tenant, sandbox, {"payments_stripe": stripe_values},
                                  currency="HKD", timezone="Asia/Hong_Kong")
    register_stripe_webhook(cfg, f"http://127.0.0.1:{server.port}/payments/notify/stripe/{tenant.slug}", account=tenant.slug)
    host, number = await book_and_reach_checkout(page, server, tenant, price=48000)
    assert "HK$480.00" in await page.inner_text("main")
    await page.click("label.choice:has-text('Card (Stripe)')")
    await page.click("aside button[type=submit]")
    await page.wait_for_url(re.compile(rf"127\.0\.0\.1:{sandbox.port}/pay/stripe/"))
    assert "HK$480.00" in await page.inner_text("body")  # the sandbox's card page in the order's currency
    await page.click("button.approve")
    # Back on the order, which waits for the webhook or asks Stripe itself.
    await page.wait_for_url(re.compile(rf"/orders/{number}\?done=paid"), timeout=45000)
    assert "Paid with Card (Stripe)" in await page.inner_text("main")
    await shot(page, server, "paid-stripe")

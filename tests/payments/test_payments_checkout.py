"""Checkout over HTTP against the payment sandbox, with the real provider plugins: what each
franchise offers, the way each device pays (a QR code on a desktop, H5 / wap on a phone, JSAPI in
WeChat), the payment page polling until the provider's notification arrives, a closed payment
offered again, wallet top-ups, Stripe for a Hong Kong franchise, and booking with "Pay now".

The sandbox delivers notifications to a receiver on loopback (the franchise's notify base URL);
each test hands them on to the app's notify endpoint, as the network would."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, urlsplit

import httpx
import msgspec
import pytest

from platform_core import clock
from platform_core.accounts.sessions import create_session
from platform_core.booking import services as booking
from platform_core.db import current_connection
from platform_core.jobs.schemas import JobContext
from platform_core.orders.services import get_order, get_order_by_number
from platform_core.payments import services
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
from platform_core.sandbox.testing import Receiver, free_port, running_sandbox
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    make_customer,
    make_item,
    make_order,
    make_worker,
    new_address,
    post_form,
    with_csrf,
)
from platform_core.testing.pytest_plugin import client_for
from plugins.payments_alipay.plugin import sandbox_values as alipay_values
from plugins.payments_stripe.plugin import sandbox_values as stripe_values
from plugins.payments_wechat.plugin import sandbox_values as wechat_values

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 Safari/604.1"
WECHAT = PHONE + " MicroMessenger/8.0.47(0x18002f2c) NetType/WIFI Language/zh_CN"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("checkout-sandbox")
    port = free_port()
    localstripe = start_localstripe(stripe_port(port))
    receiver = Receiver(b"success")
    policy = NotifyPolicy(delays=(0,), duplicate_probability=0)
    try:
        with running_sandbox(load_or_create(data_dir), port=port, policy=policy, stripe_api=sandbox_base_url(stripe_port(port))):
            yield SimpleNamespace(data_dir=data_dir, port=port, receiver=receiver, base=sandbox_base_url(port))
    finally:
        receiver.close()
        stop_localstripe(localstripe)


@pytest.fixture
def notify_base(runtime, sandbox, monkeypatch):
    """HEARTH_NOTIFY_BASE_URL: providers call the receiver, whatever host the customer used."""
    base = sandbox.receiver.url.removesuffix("/notify")
    monkeypatch.setattr(runtime, "settings", msgspec.structs.replace(runtime.settings, notify_base_url=base))
    return base


async def shop_with(make_tenant, sandbox, plugins: dict, **tenant_fields):
    tenant = await make_tenant(prefix="pay", locale="en", **tenant_fields)
    cfg = tenant_config(tenant.slug, data_dir=sandbox.data_dir, port=sandbox.port)
    for name, values in plugins.items():
        await set_plugin_config(tenant.id, name, values(cfg))
        await enable_plugin(tenant.id, name, actor="test")
    return tenant, cfg


@pytest.fixture
async def cny_shop(runtime, make_tenant, sandbox, notify_base):
    tenant, _ = await shop_with(make_tenant, sandbox, {"payments_wechat": wechat_values, "payments_alipay": alipay_values})
    return tenant


@pytest.fixture
async def hkd_shop(runtime, make_tenant, sandbox, notify_base):
    tenant, cfg = await shop_with(make_tenant, sandbox, {"payments_stripe": stripe_values}, currency="HKD",
                                  timezone="Asia/Hong_Kong")
    register_stripe_webhook(cfg, sandbox.receiver.url, account=tenant.slug)
    return tenant


class Customer:
    def __init__(self, client, customer_id: int, tenant):
        self.client, self.id, self.tenant = client, customer_id, tenant

    async def get(self, path: str, ua: str = DESKTOP, **kwargs):
        return await self.client.get(path, headers={"user-agent": ua, **kwargs.pop("headers", {})}, **kwargs)

    async def post(self, path: str, data: dict, ua: str = DESKTOP):
        return await post_form(self.client, path, data, headers={"user-agent": ua})


@pytest.fixture
async def customer_of(app, runtime):
    clients = []

    async def sign_in(tenant) -> Customer:
        customer_id = await make_customer(tenant)
        token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant.id)
        client = client_for(app, f"{tenant.slug}.localhost")
        await client.__aenter__()
        clients.append(client)
        with_csrf(client).cookies.set("hearth_sid", token)
        return Customer(client, customer_id, tenant)

    yield sign_in
    for client in clients:
        await client.__aexit__(None, None, None)


async def online_order(customer: Customer, total: int = 19900) -> tuple[int, str]:
    tenant = customer.tenant
    order_id = await make_order(tenant, customer_id=customer.id, item_id=await make_item(tenant, price=total), total=total)
    async with tenant_scope(tenant.id):
        number = await current_connection().fetchval(
            "update core_order set payment_method = 'online' where id = $1 returning number", order_id)
    return order_id, number


def approve(sandbox, pay_url: str) -> tuple[httpx.Response, tuple[dict, bytes]]:
    """The customer taps Approve on the provider's page (the sandbox's); returns where the
    browser goes next and the notification the provider then sends."""
    page = httpx.get(pay_url, follow_redirects=True)
    assert page.status_code == 200 and "Approve" in page.text, page.text
    before = len(sandbox.receiver.received)
    answer = httpx.post(str(page.url), data={"decision": "approve"})
    deadline = time.monotonic() + 10
    while len(sandbox.receiver.received) <= before:
        assert time.monotonic() < deadline, "the provider sent no notification"
        time.sleep(0.05)
    return answer, sandbox.receiver.received[before]


async def deliver(app, tenant, provider: str, sent: tuple[dict, bytes]) -> httpx.Response:
    headers, body = sent
    async with client_for(app, "127.0.0.1") as client:
        return await client.post(f"/payments/notify/{provider}/{tenant.slug}", content=body,
                                 headers={k.lower(): v for k, v in headers.items() if k.lower() not in ("host", "content-length")})


def payment_no_of(location: str) -> str:
    return location.rstrip("/").split("/")[-1]


async def test_a_desktop_pays_by_scanning_the_wechat_qr_and_the_page_notices(app, runtime, cny_shop, sandbox, customer_of):
    customer = await customer_of(cny_shop)
    order_id, number = await online_order(customer)

    checkout = await customer.get(f"/orders/{number}/pay")
    assert checkout.status_code == 200
    for offered in ("WeChat Pay", "Alipay", "Wallet balance", "CN¥199.00"):
        assert offered in checkout.text
    started = await customer.post(f"/orders/{number}/pay", {"provider": "wechat"})
    assert started.status_code == 303 and started.headers["location"].startswith("/payments/H")
    payment_no = payment_no_of(started.headers["location"])

    waiting = await customer.get(started.headers["location"])
    assert waiting.status_code == 200 and "Scan with WeChat" in waiting.text and "<svg" in waiting.text
    qr_url = waiting.text.split('data-qr-url="')[1].split('"')[0]
    assert qr_url.startswith(sandbox.base)
    assert f'hx-get="/payments/{payment_no}/status"' in waiting.text
    assert "Waiting for your payment" in (await customer.get(f"/payments/{payment_no}/status")).text
    # Reloading the checkout and choosing WeChat again reuses the payment: one QR code per order.
    again = await customer.post(f"/orders/{number}/pay", {"provider": "wechat"})
    assert again.headers["location"] == started.headers["location"]

    _, sent = approve(sandbox, qr_url)
    answer = await deliver(app, cny_shop, "wechat", sent)
    assert answer.status_code in (200, 204), answer.text
    polled = await customer.get(f"/payments/{payment_no}/status", headers={"hx-request": "true"})
    assert polled.headers["hx-redirect"] == f"/orders/{number}?done=paid"
    detail = await customer.get(f"/orders/{number}?done=paid")
    assert "Payment received" in detail.text and "Paid with WeChat Pay" in detail.text and "Pay now" not in detail.text
    paid_again = await customer.post(f"/orders/{number}/pay", {"provider": "alipay"})
    assert paid_again.headers["location"] == f"/orders/{number}"
    async with tenant_scope(cny_shop.id):
        assert (await get_order(order_id)).paid_at is not None


async def test_each_device_gets_its_own_way_to_pay(app, runtime, cny_shop, sandbox, customer_of):
    customer = await customer_of(cny_shop)
    _, number = await online_order(customer)

    def gateway_method(location: str) -> str:
        assert location.startswith(sandbox.base), location
        return parse_qs(urlsplit(location).query).get("method", [""])[0]

    desktop_ali = await customer.post(f"/orders/{number}/pay", {"provider": "alipay"})
    assert gateway_method(desktop_ali.headers["location"]) == "alipay.trade.page.pay"
    phone_ali = await customer.post(f"/orders/{number}/pay", {"provider": "alipay"}, ua=PHONE)
    assert gateway_method(phone_ali.headers["location"]) == "alipay.trade.wap.pay"
    phone_wechat = await customer.post(f"/orders/{number}/pay", {"provider": "wechat"}, ua=PHONE)
    assert phone_wechat.status_code == 303 and phone_wechat.headers["location"].startswith(sandbox.base)  # H5's mweb_url
    # Inside WeChat the page has no openid (WeChat sign-in is not there yet): a clear refusal.
    in_wechat = await customer.post(f"/orders/{number}/pay", {"provider": "wechat"}, ua=WECHAT)
    assert in_wechat.status_code == 400 and 'id="field-provider"' in in_wechat.text
    # The mini-program sends the payer's openid and gets JSAPI parameters.
    auth = await bearer_for(cny_shop, "customer", customer.id)
    async with client_for(app, f"{cny_shop.slug}.localhost") as api:
        jsapi = await api.post(f"/api/v1/orders/{number}/payments", json={"provider": "wechat", "openid": "oSandboxPayer"},
                               headers={**auth, "user-agent": WECHAT})
    assert jsapi.status_code == 201, jsapi.text
    action = jsapi.json()["action"]
    assert action["kind"] == "jsapi" and action["params"]["package"].startswith("prepay_id=")
    page = await customer.get(f"/payments/{jsapi.json()['payment_no']}", ua=WECHAT)
    assert "Pay in WeChat" in page.text and action["params"]["package"] in page.text
    # The plugin brings the page's JSAPI part and its script.
    assert '<script src="/static/p/payments_wechat/jsapi.js" defer></script>' in page.text
    assert "getBrandWCPayRequest" in (await customer.get("/static/p/payments_wechat/jsapi.js")).text


async def test_a_payment_that_closed_unpaid_offers_to_try_again(runtime, cny_shop, sandbox, customer_of):
    customer = await customer_of(cny_shop)
    _, number = await online_order(customer)
    started = await customer.post(f"/orders/{number}/pay", {"provider": "alipay"})
    cashier = httpx.get(started.headers["location"], follow_redirects=True)
    assert httpx.post(str(cashier.url), data={"decision": "decline"}).status_code == 303
    async with tenant_scope(cny_shop.id):
        payment = (await services.order_payments((await get_order_by_number(number)).id))[-1]
        await current_connection().execute("update core_payment set expires_at = $2 where id = $1", payment.id, clock.now() - timedelta(minutes=1))
        assert await services.reconcile_payment(payment.id) == "closed"
    status = await customer.get(f"/payments/{payment.payment_no}/status")
    assert "Payment closed" in status.text and f'href="/orders/{number}/pay"' in status.text and "hx-trigger" not in status.text
    retry = await customer.post(f"/orders/{number}/pay", {"provider": "alipay"})
    assert payment_no_of(retry.headers["location"]) != payment.payment_no


async def test_a_wallet_top_up_through_alipay_then_pays_an_order(app, runtime, cny_shop, sandbox, customer_of):
    customer = await customer_of(cny_shop)
    bad = await customer.post("/account/wallet/topups", {"amount": "12.345", "provider": "alipay"})
    assert bad.status_code == 400 and "Enter an amount like 200 or 200.50." in bad.text
    started = await customer.post("/account/wallet/topups", {"amount": "150.50", "provider": "alipay"})
    assert started.status_code == 303
    back, sent = approve(sandbox, started.headers["location"])
    assert back.headers["location"].endswith("/account/wallet?topup=1")  # Alipay sends the customer back
    async with tenant_scope(cny_shop.id):
        payment_no = await current_connection().fetchval(
            "select payment_no from core_payment where customer_id = $1 and purpose = 'wallet_topup'", customer.id)
    assert payment_no.encode() in sent[1]
    # Back before Alipay's notification: the wallet says the money is on its way and polls for it.
    arriving = await customer.get("/account/wallet?topup=1")
    assert "Your top-up of CN¥150.50 is arriving" in arriving.text
    assert f'hx-get="/payments/{payment_no}/status"' in arriving.text and "CN¥0.00" in arriving.text
    assert "is arriving" not in (await customer.get("/account/wallet")).text
    answer = await deliver(app, cny_shop, "alipay", sent)
    assert answer.status_code == 200 and answer.text == "success"
    polled = await customer.get(f"/payments/{payment_no}/status", headers={"hx-request": "true"})
    assert polled.headers["hx-redirect"] == "/account/wallet?done=topup"
    wallet = await customer.get("/account/wallet?done=topup")
    assert "Your top-up arrived" in wallet.text and "CN¥150.50" in wallet.text
    # A browser back only after the notification is told at once that the money arrived.
    late = await customer.get("/account/wallet?topup=1")
    assert late.status_code == 303 and late.headers["location"] == "/account/wallet?done=topup"

    _, number = await online_order(customer, total=10000)
    paid = await customer.post(f"/orders/{number}/pay", {"provider": "wallet"})
    assert paid.headers["location"] == f"/orders/{number}?done=paid"
    assert "CN¥50.50" in (await customer.get("/account/wallet")).text

    # The app tops up the same way: a payment with the action to take, credited once confirmed.
    auth = await bearer_for(cny_shop, "customer", customer.id)
    async with client_for(app, f"{cny_shop.slug}.localhost") as api:
        topup = await api.post("/api/v1/wallet/topups", json={"provider": "alipay", "amount": 2000}, headers=auth)
        assert topup.status_code == 201, topup.text
        assert topup.json()["purpose"] == "wallet_topup" and topup.json()["action"]["kind"] == "redirect"
        _, sent = approve(sandbox, topup.json()["action"]["url"])
        assert (await deliver(app, cny_shop, "alipay", sent)).text == "success"
        wallet = (await api.get("/api/v1/wallet", headers=auth)).json()
    assert wallet["balance"] == 7050 and [e["kind"] for e in wallet["entries"]] == ["wallet_topup", "wallet_spend", "wallet_topup"]


async def test_the_unpaid_order_job_asks_the_provider_first_and_waits_for_a_payment_under_way(runtime, cny_shop, sandbox, customer_of):
    customer = await customer_of(cny_shop)
    paid_id, paid_no = await online_order(customer)
    waiting_id, waiting_no = await online_order(customer)
    # Paid at Alipay a moment ago, the notification not in yet: the job finds out and keeps the order.
    started = await customer.post(f"/orders/{paid_no}/pay", {"provider": "alipay"})
    approve(sandbox, started.headers["location"])
    # Still on the cashier page: the payment has until it expires.
    await customer.post(f"/orders/{waiting_no}/pay", {"provider": "alipay"})
    for order_id in (paid_id, waiting_id):
        async with tenant_scope(cny_shop.id) as tenant:
            await booking.cancel_unpaid(JobContext(tenant=tenant, job_id=order_id, attempt=1), {"order_id": order_id})
    async with tenant_scope(cny_shop.id):
        kept = await get_order(paid_id)
        assert kept.paid_at is not None and kept.state != "cancelled"  # on to dispatch
        assert (await get_order(waiting_id)).state == "pending_payment"
        payment = (await services.order_payments(waiting_id))[-1]
        again = await current_connection().fetchval(
            "select run_at from core_job where kind = $1 and payload->>'order_id' = $2", booking.UNPAID_JOB, str(waiting_id))
    assert again == payment.expires_at


async def test_a_hong_kong_franchise_takes_cards_through_stripe(app, runtime, hkd_shop, sandbox, customer_of):
    customer = await customer_of(hkd_shop)
    order_id, number = await online_order(customer, total=48000)
    checkout = await customer.get(f"/orders/{number}/pay")
    assert "Card (Stripe)" in checkout.text and "HK$480.00" in checkout.text
    assert "WeChat Pay" not in checkout.text and "Alipay" not in checkout.text
    auth = await bearer_for(hkd_shop, "customer", customer.id)
    async with client_for(app, f"{hkd_shop.slug}.localhost") as api:
        started = await api.post(f"/api/v1/orders/{number}/payments", json={"provider": "stripe"}, headers=auth)
        assert started.status_code == 201, started.text
        payment = started.json()
        assert payment["action"]["kind"] == "client_secret" and payment["action"]["params"]["client_secret"]
        assert payment["action"]["url"].startswith(sandbox.base)
        back, sent = approve(sandbox, payment["action"]["url"])
        assert back.headers["location"].endswith(f"/orders/{number}/returned")
        assert payment["action"]["provider_ref"].encode() in sent[1]
        # Back before Stripe's webhook: the order, which waits for the payment.
        early = await customer.get(f"/orders/{number}/returned")
        assert early.status_code == 303 and early.headers["location"] == f"/orders/{number}?paying=1"
        # The page that waits: still unpaid, it stays and polls the payment.
        assert (await customer.get(early.headers["location"])).status_code == 200
        answer = await deliver(app, hkd_shop, "stripe", sent)
        assert answer.status_code == 200, answer.text
        mine = await api.get(f"/api/v1/payments/{payment['payment_no']}", headers=auth)
        assert mine.json()["status"] == "succeeded"
    async with tenant_scope(hkd_shop.id):
        assert (await get_order(order_id)).paid_at is not None
    assert "Paid with Card (Stripe)" in (await customer.get(f"/orders/{number}")).text
    # The notification came while the waiting page loaded: that page sends the customer on to the notice.
    waiting = await customer.get(f"/orders/{number}?paying=1")
    assert waiting.status_code == 303 and waiting.headers["location"] == f"/orders/{number}?done=paid"
    # Back after the webhook (it often comes first): the order with its "paid" notice.
    late = await customer.get(f"/orders/{number}/returned")
    assert late.status_code == 303 and late.headers["location"] == f"/orders/{number}?done=paid"


async def test_back_from_stripe_without_its_webhook_the_provider_is_asked_at_once(app, runtime, hkd_shop, sandbox, customer_of):
    customer = await customer_of(hkd_shop)
    order_id, number = await online_order(customer, total=48000)
    started = await customer.post(f"/orders/{number}/pay", {"provider": "stripe"})
    approve(sandbox, started.headers["location"])  # paid at Stripe; its webhook never reaches us
    for _ in range(2):  # a second return (a reload) asks no second time
        back = await customer.get(f"/orders/{number}/returned")
        assert back.status_code == 303 and back.headers["location"] == f"/orders/{number}?paying=1"
    async with tenant_scope(hkd_shop.id):
        payment = (await services.order_payments(order_id))[-1]
        asked = await current_connection().fetch(
            "select payload, run_at from core_job where kind = $1 and key = $2", services.RECONCILE_JOB, f"{payment.payment_no}:returned")
        assert len(asked) == 1 and asked[0]["run_at"] <= clock.now()
        # What that job does: the answer of Stripe's API pays the order.
        assert await services.reconcile_payment(msgspec.json.decode(asked[0]["payload"])["payment_id"]) == "succeeded"
        assert (await get_order(order_id)).paid_at is not None
    assert (await customer.get(f"/orders/{number}/returned")).headers["location"] == f"/orders/{number}?done=paid"


async def test_booking_with_pay_now_goes_to_the_checkout_and_holds_the_slot_for_30_minutes(app, runtime, cny_shop, customer_of):
    customer = await customer_of(cny_shop)
    item_id = await make_item(cny_shop, price=15000)
    await make_worker(cny_shop)
    async with tenant_scope(cny_shop.id):
        slug = await current_connection().fetchval("select slug from core_service_item where id = $1", item_id)
    form = await customer.get(f"/book/{slug}")
    assert "Pay now" in form.text and "Pay after the service" in form.text
    key = form.text.split('name="idempotency_key" value="')[1].split('"')[0]
    placed = await customer.post(f"/book/{slug}", {
        "idempotency_key": key, "address_id": "new", **{f"address.{k}": v for k, v in new_address().items()},
        "slot_start": "asap", "payment_method": "online"})
    assert placed.status_code == 303 and placed.headers["location"].endswith("/pay"), placed.text
    number = placed.headers["location"].split("/")[2]
    detail = await customer.get(f"/orders/{number}")
    assert "Not paid yet" in detail.text and f'href="/orders/{number}/pay"' in detail.text
    assert f'href="/orders/{number}/pay"' in (await customer.get("/orders")).text
    async with tenant_scope(cny_shop.id):
        order = await get_order_by_number(number)
        assert order.state == "pending_payment" and order.payment_method == "online"
        run_at = await current_connection().fetchval(
            "select run_at from core_job where kind = $1 and payload->>'order_id' = $2", booking.UNPAID_JOB, str(order.id))
    assert abs(run_at - (clock.now() + timedelta(minutes=30))) < timedelta(minutes=1)

    # Through the API, leaving the method out: paying online is the default where it is offered.
    auth = await bearer_for(cny_shop, "customer", customer.id)
    async with client_for(app, f"{cny_shop.slug}.localhost") as api:
        placed = await api.post("/api/v1/orders", json={"item_id": item_id, "address": new_address(), "asap": True},
                                headers={**auth, "idempotency-key": "api-pay-now-1"})
    assert placed.status_code == 201, placed.text
    assert placed.json()["payment_method"] == "online" and placed.json()["state"] == "pending_payment"


def test_the_core_checkout_pages_and_scripts_name_no_provider():
    """A provider's part of the payment page (a code's caption, WeChat's JSAPI, Stripe.js) is the
    provider plugin's (PaymentProvider.checkout_page); the core's pages only include it."""
    core = Path(services.__file__).resolve().parents[1]
    files = [core / "payments" / "templates" / "payments" / name for name in ("checkout.html", "pay.html", "_status.html", "wallet.html")]
    files += sorted((core / "web" / "static" / "js").glob("*.js"))
    named = [f"{path.name}: {word}" for path in files for word in re.findall(r"wechat|weixin|alipay|stripe", path.read_text(), flags=re.I)]
    assert not named

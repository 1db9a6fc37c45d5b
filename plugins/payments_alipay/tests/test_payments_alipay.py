"""Paying for an order with Alipay: python-alipay-sdk against the sandbox, through the payments
services and the notify endpoint, down to the order and the ledger."""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.orders.services import get_order
from platform_core.payments import services
from platform_core.pluginsys.services import (
    enable_plugin,
    get_plugin_config,
    set_plugin_config,
)
from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.keys import load_or_create
from platform_core.sandbox.server import NotifyPolicy
from platform_core.sandbox.testing import Receiver, free_port, running_sandbox
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer, make_item, make_order
from platform_core.testing.pytest_plugin import client_for
from plugins.payments_alipay.plugin import sandbox_values

RETURN_URL = "http://127.0.0.1:9/account/orders"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """A sandbox that delivers each notification once, to a receiver standing in for our notify URL."""
    data_dir = tmp_path_factory.mktemp("alipay-sandbox")
    port = free_port()
    receiver = Receiver(b"success")
    with running_sandbox(load_or_create(data_dir), port=port, policy=NotifyPolicy(delays=(0,), duplicate_probability=0)) as sb:
        yield sb, data_dir, port, receiver
    receiver.close()


class Shop:
    """A franchise with Alipay on, pointed at the sandbox."""

    def __init__(self, runtime, app, tenant, sandbox):
        self.runtime, self.app, self.tenant = runtime, app, tenant
        self.sb, data_dir, port, self.receiver = sandbox
        self.cfg = tenant_config(tenant.slug, data_dir=data_dir, port=port)

    async def order(self, total: int) -> tuple[int, int]:
        customer_id = await make_customer(self.tenant)
        item_id = await make_item(self.tenant, price=total)
        return customer_id, await make_order(self.tenant, customer_id=customer_id, item_id=item_id, total=total)

    async def start(self, total: int = 19900, device: str = "desktop"):
        customer_id, order_id = await self.order(total)
        async with tenant_scope(self.tenant.id):
            payment = await services.start_payment(
                provider_name="alipay", customer_id=customer_id, amount=total, currency="CNY", subject="深度保洁 4小时",
                device=device, client_ip="127.0.0.1", base_url=self.receiver.url.removesuffix("/notify"), return_url=RETURN_URL,
                order_id=order_id)
        return payment, order_id

    def open_cashier(self, payment) -> str:
        """What the customer's browser does with the redirect: the signed gateway URL leads to the pay page."""
        resp = httpx.get(payment.action.url)
        assert resp.status_code == 302, resp.text
        return resp.headers["location"]

    def approve(self, payment) -> bytes:
        approved = httpx.post(self.open_cashier(payment), data={"decision": "approve"})
        assert approved.headers["location"] == RETURN_URL  # back to the merchant's page
        return self.notification(payment.payment_no)

    def notification(self, payment_no: str) -> bytes:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for _headers, body in list(self.receiver.received):
                if dict(parse_qsl(body.decode())).get("out_trade_no") == payment_no:
                    return body
            time.sleep(0.02)
        raise AssertionError(f"no notification for {payment_no}")

    async def deliver(self, body: bytes) -> httpx.Response:
        async with client_for(self.app, "127.0.0.1") as client:
            return await client.post(f"/payments/notify/alipay/{self.tenant.slug}", content=body,
                                     headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"})

    async def payment(self, payment_id: int):
        async with tenant_scope(self.tenant.id):
            return await services.get_payment(payment_id)

    async def postings(self, order_id: int) -> list[str]:
        async with tenant_scope(self.tenant.id):
            return [t.kind for t in await ledger.order_transactions(order_id)]

    async def order_state(self, order_id: int):
        async with tenant_scope(self.tenant.id):
            order = await get_order(order_id)
            paid_events = await current_connection().fetchval(
                "select count(*) from core_order_event where order_id = $1 and event = 'pay'", order_id)
        return order.state, order.paid_at, paid_events

    async def refusals(self) -> list[tuple[str, str | None]]:
        async with tenant_scope(self.tenant.id):
            return [(r.reason, r.payment_no) for r in await services.refusals()]


@pytest.fixture
async def shop(runtime, app, make_tenant, sandbox):
    tenant = await make_tenant(prefix="ali")
    cfg = tenant_config(tenant.slug, data_dir=sandbox[1], port=sandbox[2])
    await set_plugin_config(tenant.id, "payments_alipay", sandbox_values(cfg))
    await enable_plugin(tenant.id, "payments_alipay", actor="test")
    return Shop(runtime, app, tenant, sandbox)


def resign(shop: Shop, body: bytes, **changes: str) -> bytes:
    """The notification changed and signed again with the sandbox's "Alipay" key: genuine as far as the signature goes."""
    fields = dict(parse_qsl(body.decode())) | changes
    fields.pop("sign")
    fields["sign"] = shop.sb.alipay_sign(fields)
    return urlencode(fields).encode()


async def test_alipay_payment_is_approved_notified_and_credited_once(shop):
    payment, order_id = await shop.start(19900)
    assert payment.status == "pending" and payment.action.kind == "redirect" and payment.action.method == "page"
    assert "method=alipay.trade.page.pay" in payment.action.url
    assert "¥199.00" in httpx.get(shop.open_cashier(payment)).text  # the cashier shows the yuan amount

    body = shop.approve(payment)
    reply = await shop.deliver(body)
    assert reply.status_code == 200 and reply.text == "success" and reply.headers["content-type"].startswith("text/plain")

    paid = await shop.payment(payment.id)
    assert paid.status == "succeeded" and paid.paid_at is not None and paid.provider_ref == dict(parse_qsl(body.decode()))["trade_no"]
    state, paid_at, paid_events = await shop.order_state(order_id)
    assert state == "paid" and paid_at is not None and paid_events == 1
    assert await shop.postings(order_id) == ["payment"]
    async with tenant_scope(shop.tenant.id):
        assert await ledger.balance("provider:alipay:clearing", "CNY") == 19900

    # Alipay delivers again (our answer got lost): accepted, nothing moves twice.
    again = await shop.deliver(body)
    assert again.text == "success"
    assert await shop.postings(order_id) == ["payment"]
    assert (await shop.order_state(order_id))[2] == 1
    assert await shop.refusals() == []


async def test_phones_and_wechat_get_the_wap_cashier(shop):
    for device in ("mobile", "wechat"):
        payment, _ = await shop.start(880, device=device)
        assert payment.action.method == "wap" and "method=alipay.trade.wap.pay" in payment.action.url
        assert "¥8.80" in httpx.get(shop.open_cashier(payment)).text


async def test_forged_and_tampered_notifications_are_refused_and_listed(shop):
    payment, order_id = await shop.start(19900)
    body = shop.approve(payment)
    fields = dict(parse_qsl(body.decode()))

    tampered = urlencode(fields | {"total_amount": "1.99"}).encode()
    unsigned = urlencode({k: v for k, v in fields.items() if k != "sign"}).encode()
    garbage_signature = urlencode(fields | {"sign": "bm90IGEgc2lnbmF0dXJl"}).encode()
    for forged in (tampered, unsigned, garbage_signature, b"\xff\xfe not a form"):
        reply = await shop.deliver(forged)
        assert reply.status_code == 200 and reply.text == "failure"

    assert (await shop.payment(payment.id)).status == "pending"
    assert await shop.postings(order_id) == []
    reasons = [reason for reason, _ in await shop.refusals()]
    assert sorted(reasons) == ["malformed", "signature", "signature", "signature"]
    # The genuine one still goes through afterwards.
    assert (await shop.deliver(body)).text == "success"
    assert (await shop.payment(payment.id)).status == "succeeded"


async def test_validly_signed_notification_for_another_amount_or_app_is_refused(shop):
    payment, order_id = await shop.start(19900)
    shop.open_cashier(payment)
    genuine_fields = {
        "notify_time": "2026-11-25 10:00:00", "notify_type": "trade_status_sync", "notify_id": "n-amount", "app_id": shop.cfg.alipay.appid,
        "charset": "utf-8", "version": "1.0", "trade_no": "2026112522001", "out_trade_no": payment.payment_no,
        "trade_status": "TRADE_SUCCESS", "total_amount": "1.00", "sign_type": "RSA2", "sign": "x",
    }
    cheaper = resign(shop, urlencode(genuine_fields).encode())
    other_app = resign(shop, cheaper, notify_id="n-app", total_amount="199.00", app_id="2021000000000001")
    for body in (cheaper, other_app):
        assert (await shop.deliver(body)).text == "failure"

    assert (await shop.payment(payment.id)).status == "pending"
    state, paid_at, _ = await shop.order_state(order_id)
    assert state == "pending_payment" and paid_at is None and await shop.postings(order_id) == []
    assert sorted(await shop.refusals()) == [("amount", payment.payment_no), ("merchant", payment.payment_no)]


async def test_partial_then_full_refund_and_no_more(shop, runtime):
    payment, order_id = await shop.start(19900)
    assert (await shop.deliver(shop.approve(payment))).text == "success"
    async with tenant_scope(shop.tenant.id):
        first = await services.refund_payment(payment.id, 5000, "少做了一个房间", "console:1")
        assert first.status == "succeeded" and first.refund_no.endswith("R01")
        with pytest.raises(ValidationFailed) as too_much:
            await services.refund_payment(payment.id, 14901, "", "console:1")
        assert "amount" in too_much.value.fields
        rest = await services.refund_payment(payment.id, 14900, "客户取消", "console:1")
        assert rest.status == "succeeded"
        assert (await services.get_payment(payment.id)).refundable == 0
        with pytest.raises(ValidationFailed):
            await services.refund_payment(payment.id, 1, "", "console:1")
        assert await ledger.balance("provider:alipay:clearing", "CNY") == 0
    assert await shop.postings(order_id) == ["payment", "refund", "refund"]
    # Alipay itself holds the two refunds, and the trade is closed once refunded in full.
    at_alipay = next(p for p in shop.sb.payments.values() if p.out_trade_no == payment.payment_no)
    assert [r["amount"] for r in at_alipay.refunds] == [5000, 14900]
    async with tenant_scope(shop.tenant.id):
        config = await get_plugin_config(shop.tenant.id, "payments_alipay")
    assert (await services.installed_providers()["alipay"].query(config, payment.payment_no, payment.provider_ref)).status == "closed"


async def test_lost_notification_is_reconciled_by_query_and_expired_ones_are_closed(shop, runtime):
    paid, paid_order = await shop.start(12000)
    shop.approve(paid)  # the notification never reaches us
    opened, _ = await shop.start(3000)
    shop.open_cashier(opened)  # the customer looked at the cashier and left
    never_opened, _ = await shop.start(4500)

    async with tenant_scope(shop.tenant.id):
        assert await services.reconcile_payment(paid.id) == "succeeded"
        assert await services.reconcile_payment(opened.id) == "pending"  # still has time
        await current_connection().execute(
            "update core_payment set expires_at = $2 where id = any($1)", [opened.id, never_opened.id], clock.now() - timedelta(minutes=1))
    async with tenant_scope(shop.tenant.id):
        assert await services.reconcile_payment(opened.id) == "closed"
        assert await services.reconcile_payment(never_opened.id) == "closed"
    assert await shop.postings(paid_order) == ["payment"]
    assert (await shop.order_state(paid_order))[0] == "paid"
    at_alipay = next(p for p in shop.sb.payments.values() if p.out_trade_no == opened.payment_no)
    assert at_alipay.status == "closed"  # it can no longer be paid at Alipay either
    assert (await shop.payment(opened.id)).status == "closed"
    # The notification that finally arrives changes nothing.
    assert (await shop.deliver(shop.notification(paid.payment_no))).text == "success"
    assert await shop.postings(paid_order) == ["payment"]


async def test_five_concurrent_deliveries_credit_once(shop):
    payment, order_id = await shop.start(26800)
    body = shop.approve(payment)
    replies = await asyncio.gather(*(shop.deliver(body) for _ in range(5)))
    assert [r.text for r in replies] == ["success"] * 5
    assert await shop.postings(order_id) == ["payment"]
    state, _, paid_events = await shop.order_state(order_id)
    assert state == "paid" and paid_events == 1
    async with tenant_scope(shop.tenant.id):
        assert await ledger.balance("provider:alipay:clearing", "CNY") == 26800
        applied = await current_connection().fetchval(
            "select count(*) from core_payment_notification where payment_id = $1 and outcome = 'applied'", payment.id)
    assert applied == 1


async def test_keys_that_are_not_rsa_keys_are_refused_on_their_field(runtime, make_tenant, sandbox):
    tenant = await make_tenant(prefix="alk")
    cfg = tenant_config(tenant.slug, data_dir=sandbox[1], port=sandbox[2])
    with pytest.raises(ValidationFailed) as bad:
        await set_plugin_config(tenant.id, "payments_alipay", {
            "appid": "2021x", "app_private_key": cfg.alipay.alipay_public_key, "alipay_public_key": "MIIB-not-base64", "gateway": "ftp://x"})
    assert bad.value.fields == {
        "appid": "The App ID is the number Alipay shows for your app.",
        "app_private_key": "This is a public key; paste the app's private key.",
        "alipay_public_key": "This is not an RSA public key.",
        "gateway": "Enter an address starting with https://.",
    }
    # As Alipay's key tool gives them: the bare base64 body, no PEM lines.
    bare = {name: "".join(line for line in value.splitlines() if not line.startswith("-----"))
            for name, value in (("app_private_key", cfg.alipay.app_private_key), ("alipay_public_key", cfg.alipay.alipay_public_key))}
    config = await set_plugin_config(tenant.id, "payments_alipay", {"appid": cfg.alipay.appid, "gateway": cfg.alipay.gateway, **bare})
    from plugins.payments_alipay.sdk import client

    assert client(config).api_alipay_trade_query(out_trade_no="nothing")["sub_code"] == "ACQ.TRADE_NOT_EXIST"


async def test_the_franchises_cached_client_follows_a_change_of_its_keys(shop):
    """The SDK client (its parsed keys) is kept per franchise; new keys take effect on the next
    notification, and the old ones are not used again."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    first, first_order = await shop.start(10100)
    assert (await shop.deliver(shop.approve(first))).text == "success"
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    await set_plugin_config(shop.tenant.id, "payments_alipay", {"alipay_public_key": other})
    second, second_order = await shop.start(10200)
    body = shop.approve(second)
    assert (await shop.deliver(body)).text == "failure"  # signed with the key the franchise no longer trusts
    assert ("signature", None) in await shop.refusals()
    await set_plugin_config(shop.tenant.id, "payments_alipay", {"alipay_public_key": shop.cfg.alipay.alipay_public_key})
    assert (await shop.deliver(body)).text == "success"
    assert await shop.postings(first_order) == ["payment"] and await shop.postings(second_order) == ["payment"]


async def test_checkout_names_the_method_in_the_customers_language(app):
    from platform_core.web.i18n import translations
    from plugins.payments_alipay.plugin import PROVIDER

    assert translations("zh_CN").ugettext(PROVIDER.label) == "支付宝"
    assert translations("en").ugettext(PROVIDER.label) == "Alipay"


async def test_repeats_and_other_events_of_one_payment_at_once_credit_it_once_for_an_order_and_a_top_up(shop):
    """Alipay sends TRADE_SUCCESS, then TRADE_FINISHED (another notify_id), and retries both; all
    of them at once credit the payment once, whether it pays an order (its order locked) or tops
    up a wallet (no order: the payment's row orders them)."""
    payment, order_id = await shop.start(31400)
    success = shop.approve(payment)
    finished = resign(shop, success, notify_id="finished-" + payment.payment_no, trade_status="TRADE_FINISHED")
    customer_id = await make_customer(shop.tenant)
    async with tenant_scope(shop.tenant.id):
        topup = await services.start_payment(
            provider_name="alipay", customer_id=customer_id, amount=5000, currency="CNY", subject="Wallet top-up", device="desktop",
            client_ip="127.0.0.1", base_url=shop.receiver.url.removesuffix("/notify"), return_url=RETURN_URL)
    topup_success = shop.approve(topup)
    topup_finished = resign(shop, topup_success, notify_id="finished-" + topup.payment_no, trade_status="TRADE_FINISHED")
    bodies = [success, finished, topup_success, topup_finished] * 3
    replies = await asyncio.gather(*(shop.deliver(body) for body in bodies))
    assert [r.text for r in replies] == ["success"] * len(bodies)
    assert await shop.postings(order_id) == ["payment"]
    state, _, paid_events = await shop.order_state(order_id)
    assert state == "paid" and paid_events == 1
    async with tenant_scope(shop.tenant.id):
        assert await ledger.balance(f"customer:{customer_id}:wallet", "CNY") == 5000
        assert await ledger.balance("provider:alipay:clearing", "CNY") == 31400 + 5000
        outcomes = await current_connection().fetch(
            "select payment_id, outcome, count(*) from core_payment_notification where payment_id = any($1::bigint[]) "
            "group by 1, 2 order by 1, 2", [payment.id, topup.id])
        assert (await services.get_payment(topup.id)).status == "succeeded"
    # Per payment: its two events recorded once each, one applied.
    assert [(r["payment_id"], r["outcome"], r["count"]) for r in outcomes] == [
        (payment.id, "applied", 1), (payment.id, "ignored", 1), (topup.id, "applied", 1), (topup.id, "ignored", 1)]

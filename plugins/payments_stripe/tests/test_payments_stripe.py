"""Paying for an order by card with Stripe: the stripe SDK against localstripe and the sandbox's
pay page and signed webhooks, through the payments services and the notify endpoint, down to
the order and the ledger."""

from __future__ import annotations

import asyncio
import json
import time
from datetime import timedelta

import httpx
import pytest
import stripe

from platform_core import clock
from platform_core.accounts.sessions import create_session
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
from platform_core.runtime import current_runtime
from platform_core.sandbox.config import (
    register_stripe_webhook,
    stripe_pay_url,
    tenant_config,
)
from platform_core.sandbox.keys import load_or_create
from platform_core.sandbox.server import NotifyPolicy
from platform_core.sandbox.stripe_server import start_localstripe, stop_localstripe
from platform_core.sandbox.testing import Receiver, free_port, running_sandbox
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer, make_item, make_order
from platform_core.testing.pytest_plugin import client_for
from plugins.payments_stripe.plugin import sandbox_values
from plugins.payments_stripe.provider import client


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """localstripe and the sandbox, whose webhooks go (once each) to a receiver standing in for our notify URL."""
    data_dir = tmp_path_factory.mktemp("stripe-sandbox")
    port = free_port()
    cfg = tenant_config("any", data_dir=data_dir, port=port)
    proc = start_localstripe(int(cfg.stripe.api_base.rsplit(":", 1)[1]))
    receiver = Receiver(b"{}")
    try:
        with running_sandbox(load_or_create(data_dir), port=port, stripe_api=cfg.stripe.api_base,
                             policy=NotifyPolicy(delays=(0,), duplicate_probability=0)) as sb:
            # The dashboard step: our notify URL as the account's webhook endpoint (here, the receiver).
            register_stripe_webhook(cfg, receiver.url)
            yield sb, data_dir, port, receiver
    finally:
        receiver.close()
        stop_localstripe(proc)


class Shop:
    """A franchise with card payments on, pointed at the sandbox."""

    def __init__(self, runtime, app, tenant, sandbox, config):
        self.runtime, self.app, self.tenant, self.config = runtime, app, tenant, config
        self.sb, data_dir, port, self.receiver = sandbox
        self.cfg = tenant_config(tenant.slug, data_dir=data_dir, port=port)

    async def start(self, total: int = 19900):
        customer_id = await make_customer(self.tenant)
        item_id = await make_item(self.tenant, price=total)
        order_id = await make_order(self.tenant, customer_id=customer_id, item_id=item_id, total=total)
        async with tenant_scope(self.tenant.id):
            payment = await services.start_payment(
                provider_name="stripe", customer_id=customer_id, amount=total, currency=self.tenant.currency,
                subject="Deep cleaning", device="desktop", client_ip="127.0.0.1", base_url="http://127.0.0.1:9",
                return_url="http://127.0.0.1:9/account/orders", order_id=order_id)
        return payment, order_id

    def approve(self, payment) -> tuple[str, bytes]:
        """The customer confirms the card on the hosted page; returns the webhook Stripe sent."""
        assert httpx.post(payment.action.url, data={"decision": "approve"}).status_code in (302, 303)
        return self.webhook(payment.payment_no, "payment_intent.succeeded")

    def webhook(self, payment_no: str, kind: str) -> tuple[str, bytes]:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for headers, body in list(self.receiver.received):
                event = json.loads(body)
                if event["type"] == kind and event["data"]["object"]["metadata"].get("payment_no") == payment_no:
                    return headers["Stripe-Signature"], body
            time.sleep(0.02)
        raise AssertionError(f"no {kind} for {payment_no}")

    def signed(self, event: dict, *, timestamp: int | None = None, secret: str | None = None) -> tuple[str, bytes]:
        """An event signed with the sandbox's webhook secret (or another), as Stripe signs them."""
        body = json.dumps(event)
        header = stripe.WebhookSignature.generate_signature_header(body, secret or self.cfg.stripe.webhook_secret, timestamp=timestamp)
        return header, body.encode()

    async def deliver(self, header: str, body: bytes) -> httpx.Response:
        async with client_for(self.app, "127.0.0.1") as http:
            return await http.post(f"/payments/notify/stripe/{self.tenant.slug}", content=body,
                                   headers={"content-type": "application/json", "stripe-signature": header})

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
        return order.state, paid_events

    async def refusals(self) -> list[tuple[str, str | None]]:
        async with tenant_scope(self.tenant.id):
            return sorted((r.reason, r.payment_no) for r in await services.refusals())


async def make_shop(app, make_tenant, sandbox, currency: str = "CNY") -> Shop:
    tenant = await make_tenant(prefix="stp", currency=currency)
    cfg = tenant_config(tenant.slug, data_dir=sandbox[1], port=sandbox[2])
    config = await set_plugin_config(tenant.id, "payments_stripe", sandbox_values(cfg))
    await enable_plugin(tenant.id, "payments_stripe", actor="test")
    return Shop(current_runtime(), app, tenant, sandbox, config)


@pytest.fixture
async def shop(runtime, app, make_tenant, sandbox):
    return await make_shop(app, make_tenant, sandbox)


async def test_card_payment_confirmed_on_the_hosted_page_is_credited_once(runtime, app, make_tenant, sandbox):
    shop = await make_shop(app, make_tenant, sandbox, currency="HKD")
    payment, order_id = await shop.start(38800)
    action = payment.action
    assert action.kind == "client_secret" and action.method == "intent" and action.provider_ref.startswith("pi_")
    assert action.params["client_secret"].startswith(action.provider_ref + "_secret_")
    assert action.params["publishable_key"] == shop.cfg.stripe.publishable_key
    assert action.url == stripe_pay_url(shop.cfg, action.provider_ref, return_url="http://127.0.0.1:9/account/orders")
    intent = client(shop.config).v1.payment_intents.retrieve(action.provider_ref)
    assert (intent.amount, intent.currency, intent.metadata["payment_no"]) == (38800, "hkd", payment.payment_no)

    header, body = shop.approve(payment)
    reply = await shop.deliver(header, body)
    assert reply.status_code == 200 and reply.json() == {}
    paid = await shop.payment(payment.id)
    assert paid.status == "succeeded" and paid.provider_ref == action.provider_ref
    assert await shop.order_state(order_id) == ("paid", 1)
    assert await shop.postings(order_id) == ["payment"]
    async with tenant_scope(shop.tenant.id):
        assert await ledger.balance("provider:stripe:clearing", "HKD") == 38800

    # Stripe retries the same event: accepted, nothing moves twice.
    again = await asyncio.gather(*(shop.deliver(header, body) for _ in range(3)))
    assert [r.status_code for r in again] == [200] * 3
    assert await shop.postings(order_id) == ["payment"] and await shop.order_state(order_id) == ("paid", 1)
    assert await shop.refusals() == []


async def test_a_reload_reuses_the_intent_instead_of_opening_another(shop):
    payment, order_id = await shop.start(5000)
    async with tenant_scope(shop.tenant.id):
        again = await services.start_payment(
            provider_name="stripe", customer_id=payment.customer_id, amount=5000, currency="CNY", subject="Deep cleaning",
            device="desktop", client_ip="127.0.0.1", base_url="http://127.0.0.1:9", return_url="http://127.0.0.1:9/", order_id=order_id)
    assert again.id == payment.id and again.action.provider_ref == payment.action.provider_ref


async def test_forged_tampered_and_stale_webhooks_are_refused_and_listed(shop):
    payment, order_id = await shop.start(19900)
    header, body = shop.approve(payment)
    event = json.loads(body)

    forged = shop.signed(event, secret="whsec_someone_else")
    tampered = (header, body.replace(b'"amount": 19900', b'"amount": 100'))
    assert tampered[1] != body
    replayed = shop.signed(event, timestamp=int(time.time()) - 301)  # genuine, but older than the 5 minutes allowed
    unsigned = ("", body)
    for h, b in (forged, tampered, replayed, unsigned):
        reply = await shop.deliver(h, b)
        assert reply.status_code == 400

    assert (await shop.payment(payment.id)).status == "pending" and await shop.postings(order_id) == []
    assert [reason for reason, _ in await shop.refusals()] == ["signature", "signature", "signature", "stale"]
    assert (await shop.deliver(header, body)).status_code == 200  # the genuine one, in time
    assert (await shop.payment(payment.id)).status == "succeeded"


async def test_validly_signed_events_for_another_amount_or_account_are_refused(shop):
    payment, order_id = await shop.start(19900)
    intent = client(shop.config).v1.payment_intents.retrieve(payment.action.provider_ref).to_dict()
    event = {"id": "evt_amount", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
             "data": {"object": intent | {"amount": 100, "status": "succeeded"}}}
    other_account = event | {"id": "evt_account", "account": "acct_1Other", "data": {"object": intent | {"status": "succeeded"}}}
    for header, body in (shop.signed(event), shop.signed(other_account)):
        assert (await shop.deliver(header, body)).status_code == 400

    assert (await shop.payment(payment.id)).status == "pending"
    assert await shop.order_state(order_id) == ("pending_payment", 0) and await shop.postings(order_id) == []
    assert await shop.refusals() == [("amount", payment.payment_no), ("merchant", payment.payment_no)]


async def test_failed_and_cancelled_intents_close_the_payment_without_money(shop):
    failed, failed_order = await shop.start(1500)
    cancelled, _ = await shop.start(1600)
    for payment, kind in ((failed, "payment_intent.payment_failed"), (cancelled, "payment_intent.canceled")):
        intent = client(shop.config).v1.payment_intents.retrieve(payment.action.provider_ref).to_dict()
        event = {"id": f"evt_{kind}", "object": "event", "type": kind, "created": int(time.time()), "data": {"object": intent}}
        assert (await shop.deliver(*shop.signed(event))).status_code == 200
    assert (await shop.payment(failed.id)).status == "failed"
    assert (await shop.payment(cancelled.id)).status == "closed"
    assert await shop.postings(failed_order) == [] and await shop.order_state(failed_order) == ("pending_payment", 0)


async def test_partial_then_full_refund_and_no_more(shop, runtime):
    payment, order_id = await shop.start(19900)
    assert (await shop.deliver(*shop.approve(payment))).status_code == 200
    async with tenant_scope(shop.tenant.id):
        first = await services.refund_payment(payment.id, 5000, "One room was not done", "console:1")
        assert first.status == "succeeded" and first.provider_ref.startswith("re_")
        with pytest.raises(ValidationFailed) as too_much:
            await services.refund_payment(payment.id, 14901, "", "console:1")
        assert "amount" in too_much.value.fields
        rest = await services.refund_payment(payment.id, 14900, "Cancelled", "console:1")
        assert rest.status == "succeeded"
        assert (await services.get_payment(payment.id)).refundable == 0
        assert await ledger.balance("provider:stripe:clearing", "CNY") == 0
    assert await shop.postings(order_id) == ["payment", "refund", "refund"]
    # At Stripe: two refunds of exactly those amounts, never the whole charge twice.
    at_stripe = client(shop.config).v1.refunds.list(params={"payment_intent": payment.action.provider_ref})
    assert sorted(r.amount for r in at_stripe.data) == [5000, 14900]


async def test_lost_webhook_is_reconciled_by_query_and_expired_intents_are_cancelled(shop, runtime):
    paid, paid_order = await shop.start(12000)
    shop.approve(paid)  # its webhook never reaches us
    unpaid, _ = await shop.start(3000)
    async with tenant_scope(shop.tenant.id):
        assert await services.reconcile_payment(paid.id) == "succeeded"
        assert await services.reconcile_payment(unpaid.id) == "pending"  # still has time
        await current_connection().execute("update core_payment set expires_at = $2 where id = $1", unpaid.id, clock.now() - timedelta(minutes=1))
    async with tenant_scope(shop.tenant.id):
        assert await services.reconcile_payment(unpaid.id) == "closed"
    assert await shop.postings(paid_order) == ["payment"] and await shop.order_state(paid_order) == ("paid", 1)
    assert client(shop.config).v1.payment_intents.retrieve(unpaid.action.provider_ref).status == "canceled"
    async with tenant_scope(shop.tenant.id):
        config = await get_plugin_config(shop.tenant.id, "payments_stripe")
        provider = services.installed_providers()["stripe"]
        await provider.close(config, unpaid.payment_no, unpaid.provider_ref)  # closing again is fine
        assert (await provider.query(config, "H-not-ours", "pi_not_ours")).status == "missing"
    # The webhook that finally arrives changes nothing.
    assert (await shop.deliver(*shop.webhook(paid.payment_no, "payment_intent.succeeded"))).status_code == 200
    assert await shop.postings(paid_order) == ["payment"]


async def test_without_a_hosted_page_the_payment_page_is_stripe_js_card_form_allowed_by_the_policy(runtime, app, make_tenant, sandbox):
    shop = await make_shop(app, make_tenant, sandbox)
    # As with Stripe itself: no hosted page, so Stripe.js confirms the intent on our payment page.
    await set_plugin_config(shop.tenant.id, "payments_stripe", {}, reset=("hosted_page_base",))
    payment, _ = await shop.start()
    assert payment.action.url == ""
    token = await create_session(kind="customer", user_id=payment.customer_id, tenant_id=shop.tenant.id)
    async with client_for(app, f"{shop.tenant.slug}.localhost") as customer:
        customer.cookies.set("hearth_sid", token)
        page = await customer.get(f"/payments/{payment.payment_no}")
        script = await customer.get("/static/p/payments_stripe/card.js")
    assert page.status_code == 200
    assert f'data-secret="{payment.action.params["client_secret"]}"' in page.text and 'id="stripe-card"' in page.text
    assert '<script src="https://js.stripe.com/v3" defer></script>' in page.text
    assert '<script src="/static/p/payments_stripe/card.js" defer></script>' in page.text
    assert script.status_code == 200 and "confirmCardPayment" in script.text
    policy = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
    assert policy["script-src"].split() == ["'self'", "https://js.stripe.com", "https://*.js.stripe.com"]
    assert "https://js.stripe.com" in policy["frame-src"] and "https://api.stripe.com" in policy["connect-src"]
    assert "'unsafe-inline'" not in policy["style-src"]


async def test_keys_of_the_wrong_kind_are_refused_on_their_field(runtime, make_tenant):
    tenant = await make_tenant(prefix="stk")
    with pytest.raises(ValidationFailed) as bad:
        await set_plugin_config(tenant.id, "payments_stripe", {
            "secret_key": "pk_live_123", "publishable_key": "sk_live_123", "webhook_secret": "secret", "api_base": "localhost:8123"})
    assert bad.value.fields == {
        "secret_key": "A secret key starts with sk_ (or rk_ for a restricted key).",
        "publishable_key": "A publishable key starts with pk_.",
        "webhook_secret": "A webhook signing secret starts with whsec_.",
        "api_base": "Enter an address starting with https://.",
    }


async def test_checkout_names_the_method_in_the_customers_language(app):
    from platform_core.web.i18n import translations
    from plugins.payments_stripe.plugin import PROVIDER

    assert translations("zh_CN").ugettext(PROVIDER.label) == "银行卡（Stripe）"

"""The core's notification rules, with Alipay's signed form posts as the carrier: out-of-order
deliveries only move a payment forward, a notification at another tenant's URL finds nothing,
money for an order that is already paid goes back, and a provider turned off still gets its
notifications applied."""

from __future__ import annotations

import contextvars
import secrets
from datetime import datetime, timedelta
from urllib.parse import urlencode

import asyncpg
import pytest

from platform_core import clock
from platform_core.db import current_connection
from platform_core.ledger import services as ledger
from platform_core.orders.services import get_order, timeline
from platform_core.payments import from_minor, services
from platform_core.pluginsys.services import (
    disable_plugin,
    enable_plugin,
    set_plugin_config,
)
from platform_core.sandbox.config import tenant_config
from platform_core.sandbox.keys import load_or_create
from platform_core.sandbox.server import Sandbox
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    eventually,
    make_customer,
    make_item,
    make_order,
)
from platform_core.testing.pytest_plugin import client_for
from platform_core.testing.statements import RECORDED

pytest.importorskip("plugins.payments_alipay.plugin")
from plugins.payments_alipay.plugin import sandbox_values  # noqa: E402


@pytest.fixture
async def alipay_tenant(runtime, make_tenant, tmp_path):
    tenant = await make_tenant(prefix="ntf")
    cfg = tenant_config(tenant.slug, data_dir=tmp_path)
    await enable_plugin(tenant.id, "payments_alipay", "test")
    await set_plugin_config(tenant.id, "payments_alipay", sandbox_values(cfg), actor="test")
    return tenant, cfg, Sandbox(load_or_create(tmp_path), base_url=cfg.base_url)


async def pending_payment(tenant, amount: int = 12000) -> tuple[int, str]:
    customer_id = await make_customer(tenant)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=await make_item(tenant, price=amount), total=amount)
    payment_no = f"HT{secrets.token_hex(8).upper()}"
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "insert into core_payment (tenant_id, payment_no, provider, method, device, purpose, order_id, customer_id, amount, currency, expires_at) "
            "values ($1, $2, 'alipay', 'page', 'desktop', 'order', $3, $4, $5, 'CNY', $6)",
            tenant.id, payment_no, order_id, customer_id, amount, clock.now() + timedelta(minutes=30))
    return order_id, payment_no


def notification(sandbox, appid: str, payment_no: str, amount: int, status: str = "TRADE_SUCCESS") -> bytes:
    now = datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    fields = {"notify_time": now, "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16), "app_id": appid,
              "charset": "utf-8", "version": "1.0", "trade_no": "2026" + secrets.token_hex(8), "out_trade_no": payment_no,
              "trade_status": status, "total_amount": from_minor(amount), "gmt_create": now, "gmt_payment": now}
    fields["sign"], fields["sign_type"] = sandbox.alipay_sign(fields), "RSA2"
    return urlencode(fields).encode()


async def post(app, tenant_slug: str, body: bytes) -> str:
    async with client_for(app, "pay.example.com") as client:
        response = await client.post(f"/payments/notify/alipay/{tenant_slug}", content=body,
                                     headers={"content-type": "application/x-www-form-urlencoded"})
    return response.text


async def payment_state(tenant, payment_no: str) -> tuple[str, int]:
    async with tenant_scope(tenant.id):
        payment = await services.get_payment_by_no(payment_no)
        credited = await current_connection().fetchval(
            "select count(*) from core_ledger_transaction where idempotency_key = $1", f"payment:alipay:{payment_no}")
    return payment.status, credited


async def test_a_late_closed_never_undoes_a_success(app, runtime, alipay_tenant):
    tenant, cfg, sandbox = alipay_tenant
    order_id, payment_no = await pending_payment(tenant)
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, payment_no, 12000)) == "success"
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, payment_no, 12000, "TRADE_CLOSED")) == "success"
    assert await payment_state(tenant, payment_no) == ("succeeded", 1)
    async with tenant_scope(tenant.id):
        assert (await get_order(order_id)).paid_at is not None


async def test_a_paid_notification_tells_dispatch_and_the_customer_after_it_has_answered(app, runtime, alipay_tenant):
    tenant, cfg, sandbox = alipay_tenant
    order_id, payment_no = await pending_payment(tenant)
    async with tenant_scope(tenant.id):
        customer_id = (await get_order(order_id)).customer_id
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, payment_no, 12000)) == "success"
    assert await payment_state(tenant, payment_no) == ("succeeded", 1)

    async def told():
        async with tenant_scope(tenant.id):
            conn = current_connection()
            titles = await conn.fetch("select title from core_notification where recipient_kind = 'customer' and recipient_id = $1",
                                      customer_id)
            routed = await conn.fetchval("select count(*) from core_job where kind = 'dispatch.assign' and payload->>'order_id' = $1",
                                         str(order_id))
        return ([r["title"] for r in titles], routed) if titles and routed else None

    # The request wrote one job; the worker runs the move's reactions: the customer's message
    # and dispatch's job, once each.
    assert await eventually(told) == (["已收到付款"], 1)  # "Payment received", in the franchise's zh-CN
    async with tenant_scope(tenant.id):
        reacted = await current_connection().fetch("select done_at from core_job where kind = 'orders.reactions' and payload->>'order_id' = $1",
                                                   str(order_id))
    assert len(reacted) == 1 and reacted[0]["done_at"] is not None


async def test_a_notification_takes_a_few_statements_and_a_repeat_one_lookup(app, runtime, alipay_tenant, monkeypatch):
    tenant, cfg, sandbox = alipay_tenant
    _, warm_no = await pending_payment(tenant)
    _, payment_no = await pending_payment(tenant)
    # Caches the franchise and its config (making the orders' items renewed its stamp).
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, warm_no, 12000)) == "success"
    body = notification(sandbox, cfg.alipay.appid, payment_no, 12000)
    statements: list[str] = []
    posting: contextvars.ContextVar[bool] = contextvars.ContextVar("posting", default=False)
    for name in RECORDED:
        def recorded(conn, query, *args, __original=getattr(asyncpg.Connection, name), **kwargs):
            # This request's statements only: the app's job worker runs on the same loop, and the
            # workers' wake after a commit is a task of its own.
            if posting.get() and not query.startswith("select set_config('synchronous_commit'"):
                statements.append(" ".join(query.split()))
            return __original(conn, query, *args, **kwargs)
        monkeypatch.setattr(asyncpg.Connection, name, recorded)
    sent = []
    for _ in ("original", "repeat"):
        posting.set(True)
        assert await post(app, tenant.slug, body) == "success"
        posting.set(False)
        sent.append(list(statements))
        statements.clear()
    original, repeat = sent
    # BEGIN with the tenant, the lookup that locks and reads the order, the payment's update, the
    # ledger's posting, the order's move, the event recorded with the reactions job, COMMIT.
    assert len(original) <= 7, "\n".join(original)
    assert not any(s.startswith("select id, number") for s in original), "the order read again after the lookup read it"
    # BEGIN with the tenant, the lookup that finds the event seen, COMMIT.
    assert len(repeat) <= 3, "\n".join(repeat)
    assert await payment_state(tenant, payment_no) == ("succeeded", 1)


async def test_a_success_after_a_close_is_still_money_received(app, runtime, alipay_tenant):
    tenant, cfg, sandbox = alipay_tenant
    order_id, payment_no = await pending_payment(tenant)
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, payment_no, 12000, "TRADE_CLOSED")) == "success"
    assert await payment_state(tenant, payment_no) == ("closed", 0)
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, payment_no, 12000)) == "success"
    assert await payment_state(tenant, payment_no) == ("succeeded", 1)


async def test_another_tenants_url_finds_nothing(app, runtime, alipay_tenant, make_tenant, tmp_path):
    tenant, cfg, sandbox = alipay_tenant
    _, payment_no = await pending_payment(tenant)
    other = await make_tenant(prefix="oth")
    await enable_plugin(other.id, "payments_alipay", "test")
    other_cfg = tenant_config(other.slug, data_dir=tmp_path)
    await set_plugin_config(other.id, "payments_alipay", sandbox_values(other_cfg), actor="test")
    # Genuinely signed, for the other tenant's own app id, naming this tenant's payment.
    assert await post(app, other.slug, notification(sandbox, other_cfg.alipay.appid, payment_no, 12000)) != "success"
    # And this tenant's notification posted at the other's URL: the wrong merchant there.
    assert await post(app, other.slug, notification(sandbox, cfg.alipay.appid, payment_no, 12000)) != "success"
    assert await payment_state(tenant, payment_no) == ("pending", 0)
    async with tenant_scope(other.id):
        assert {r.reason for r in await services.refusals()} == {"unknown_payment", "merchant"}
    async with tenant_scope(tenant.id):
        assert await services.refusals() == []


async def test_a_second_payment_for_a_paid_order_is_refunded(app, runtime, alipay_tenant):
    tenant, cfg, sandbox = alipay_tenant
    order_id, first_no = await pending_payment(tenant)
    second_no = f"HT{secrets.token_hex(8).upper()}"
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "insert into core_payment (tenant_id, payment_no, provider, method, device, purpose, order_id, customer_id, amount, currency, expires_at) "
            "select tenant_id, $2, provider, method, device, purpose, order_id, customer_id, amount, currency, expires_at "
            "from core_payment where payment_no = $1", first_no, second_no)
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, first_no, 12000)) == "success"
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, second_no, 12000)) == "success"

    async def refund_tried():
        async with tenant_scope(tenant.id):
            return await services.payment_refunds((await services.get_payment_by_no(second_no)).id)

    # The sandbox is not running: the refund waits for an answer, and is asked again later.
    refunds = await eventually(refund_tried)
    assert [(r.amount, r.reason) for r in refunds] == [(12000, "The order was already paid.")]
    async with tenant_scope(tenant.id):
        events = [e.event for e in await timeline(order_id)]
    assert events.count("pay") == 1


async def test_a_provider_turned_off_still_has_its_money_applied(app, runtime, alipay_tenant):
    tenant, cfg, sandbox = alipay_tenant
    order_id, payment_no = await pending_payment(tenant)
    await disable_plugin(tenant.id, "payments_alipay", "test")
    assert await post(app, tenant.slug, notification(sandbox, cfg.alipay.appid, payment_no, 12000)) == "success"
    assert await payment_state(tenant, payment_no) == ("succeeded", 1)
    async with tenant_scope(tenant.id):
        assert await ledger.balance("provider:alipay:clearing", "CNY") == 12000

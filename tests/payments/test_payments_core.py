"""The payments core without a provider plugin: wallet payments, refunds on cancellation with
the fee kept, settlement on completion, and the notify URL's tenant and provider checks."""

from __future__ import annotations

from datetime import timedelta

import pytest

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import get_order, transition
from platform_core.payments import from_minor, services, to_minor
from platform_core.payments.schemas import PaymentFilter
from platform_core.tenancy.context import current_tenant, tenant_scope
from platform_core.testing.factories import (
    eventually,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from platform_core.testing.pytest_plugin import client_for


def test_provider_amounts_convert_exactly_or_not_at_all():
    assert to_minor("12.30") == 1230 and to_minor("0.01") == 1 and to_minor("7") == 700 and to_minor("99.9") == 9990
    for bad in ("12.301", "-1.00", "1e3", "", " ", "01.00", "1,000.00", "NaN"):
        with pytest.raises(ValueError):
            to_minor(bad)
    assert from_minor(1230) == "12.30" and from_minor(5) == "0.05"


async def _funded_order(tenant, *, wallet: int, total: int, starts_in=timedelta(days=3)) -> tuple[int, int]:
    customer_id = await make_customer(tenant)
    item_id = await make_item(tenant, price=total)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, total=total, starts_in=starts_in)
    async with tenant_scope(tenant.id):
        await ledger.wallet_topup(customer_id, tenant.currency, "alipay", wallet, payment_ref=f"seed{order_id}")
    return customer_id, order_id


async def _wallet(tenant, customer_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await ledger.balance(f"customer:{customer_id}:wallet", tenant.currency)


async def test_paying_from_the_wallet_pays_the_order_and_a_short_wallet_is_refused(runtime, make_tenant):
    tenant = await make_tenant(prefix="wal")
    customer_id, order_id = await _funded_order(tenant, wallet=10000, total=12000)
    async with tenant_scope(tenant.id):
        with pytest.raises(ValidationFailed) as short:
            await services.pay_with_wallet(order_id, customer_id)
    assert "provider" in short.value.fields
    async with tenant_scope(tenant.id):
        assert (await get_order(order_id)).state == "pending_payment"
        assert await services.order_payments(order_id) == []  # the refused attempt left nothing
        await ledger.wallet_topup(customer_id, tenant.currency, "alipay", 5000, payment_ref="more")
    async with tenant_scope(tenant.id):
        payment = await services.pay_with_wallet(order_id, customer_id)
    assert payment.status == "succeeded" and payment.provider == "wallet" and payment.amount == 12000
    async with tenant_scope(tenant.id):
        order = await get_order(order_id)
        assert order.paid_at is not None and order.state != "pending_payment"
        assert [t.kind for t in await ledger.order_transactions(order_id)] == ["wallet_spend"]
    assert await _wallet(tenant, customer_id) == 3000


async def test_a_free_cancellation_refunds_everything_to_the_wallet(runtime, make_tenant):
    tenant = await make_tenant(prefix="wcf")
    customer_id, order_id = await _funded_order(tenant, wallet=12000, total=12000)
    async with tenant_scope(tenant.id):
        await services.pay_with_wallet(order_id, customer_id)
        await transition(order_id, "cancel", ActorRef(kind="customer", id=customer_id))

    async def refunded():
        async with tenant_scope(tenant.id):
            return [r for r in await services.order_refunds(order_id) if r.status == "succeeded"]

    refunds = await eventually(refunded)
    assert [r.amount for r in refunds] == [12000]
    assert await _wallet(tenant, customer_id) == 12000
    async with tenant_scope(tenant.id):
        assert await services.paid_amount(order_id) == 0
        assert await ledger.balance("franchise:unearned", tenant.currency) == 0


async def test_a_late_cancellation_keeps_the_fee_as_revenue_and_refunds_the_rest(runtime, make_tenant):
    tenant = await make_tenant(prefix="wcl")
    # Starting in 3 hours: inside the 24 hours before the visit, the 20% fee applies.
    customer_id, order_id = await _funded_order(tenant, wallet=10000, total=10000, starts_in=timedelta(hours=3))
    async with tenant_scope(tenant.id):
        await services.pay_with_wallet(order_id, customer_id)
        cancelled = await transition(order_id, "cancel", ActorRef(kind="customer", id=customer_id))
    assert cancelled.cancellation_fee == 2000

    async def settled():
        async with tenant_scope(tenant.id):
            return [t for t in await ledger.order_transactions(order_id) if t.kind == "settlement"]

    assert await eventually(settled)
    assert await _wallet(tenant, customer_id) == 8000
    async with tenant_scope(tenant.id):
        assert await ledger.balance("franchise:unearned", tenant.currency) == 0
        fee, revenue = await ledger.balance("platform:fee", tenant.currency), await ledger.balance("franchise:revenue", tenant.currency)
    assert fee + revenue == 2000 and fee == 100  # the platform's 5% of what was kept


async def test_refunds_never_pass_what_was_paid(runtime, make_tenant):
    tenant = await make_tenant(prefix="wrf")
    customer_id, order_id = await _funded_order(tenant, wallet=5000, total=5000)
    async with tenant_scope(tenant.id):
        payment = await services.pay_with_wallet(order_id, customer_id)
        first = await services.refund_payment(payment.id, 2000, "Scratched the table", "console:1")
        assert first.status == "succeeded" and first.refund_no.endswith("R01")
        for too_much in (3001, 0):
            with pytest.raises(ValidationFailed) as error:
                await services.refund_payment(payment.id, too_much, "", "console:1")
            assert "amount" in error.value.fields
        await services.refund_payment(payment.id, 3000, "", "console:1")
        assert (await services.get_payment(payment.id)).refundable == 0
    assert await _wallet(tenant, customer_id) == 5000


async def test_completion_settles_the_paid_amount_with_the_workers_commission(runtime, make_tenant):
    tenant = await make_tenant(prefix="wst")
    customer_id, order_id = await _funded_order(tenant, wallet=20000, total=20000)
    staff_id = await make_worker(tenant)
    async with tenant_scope(tenant.id):
        await services.pay_with_wallet(order_id, customer_id)
        # Straight to in_service with a worker, as if dispatched and arrived.
        await current_connection().execute("update core_order set state = 'in_service' where id = $1", order_id)
        await current_connection().execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
            "select tenant_id, id, $2, tstzrange(scheduled_start, scheduled_end), 'accepted', 'manual' from core_order where id = $1",
            order_id, staff_id)
        await current_connection().execute("update core_order set staff_id = $2 where id = $1", order_id, staff_id)
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))
        kinds = [t.kind for t in await ledger.order_transactions(order_id)]
        earnings = await ledger.balance(f"staff:{staff_id}:earnings", tenant.currency)
        revenue = await ledger.balance("franchise:revenue", tenant.currency)
    assert kinds == ["wallet_spend", "settlement"]
    assert earnings == 12000 and revenue == 20000 - 12000 - 1000


async def test_the_notify_url_names_its_tenant_and_refuses_unknown_providers(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="ntf")
    async with client_for(app, "anything.example") as client:
        unknown = await client.post(f"/payments/notify/nopay/{tenant.slug}", content=b"x")
        nobody = await client.post("/payments/notify/nopay/no-such-tenant", content=b"x")
    assert unknown.status_code == 404 and nobody.status_code == 404
    async with tenant_scope(tenant.id):
        refused = await services.refusals()
    assert [(r.provider, r.reason) for r in refused] == [("nopay", "unknown_provider")]


async def test_an_order_is_paid_from_the_wallet_once(runtime, make_tenant):
    tenant = await make_tenant(prefix="wtw")
    customer_id, order_id = await _funded_order(tenant, wallet=30000, total=10000)
    async with tenant_scope(tenant.id):
        await services.pay_with_wallet(order_id, customer_id)
    async with tenant_scope(tenant.id):
        with pytest.raises(ValidationFailed) as twice:
            await services.pay_with_wallet(order_id, customer_id)
    assert "provider" in twice.value.fields
    assert await _wallet(tenant, customer_id) == 20000


async def test_hearth_payments_reconcile_queues_a_check_per_pending_payment(runtime, make_tenant, hearth_settings):
    import asyncio

    from platform_core.testing.pytest_plugin import run_hearth

    tenant = await make_tenant(prefix="rcl")
    customer_id, order_id = await _funded_order(tenant, wallet=100, total=9000)
    async with tenant_scope(tenant.id):
        # A payment left pending at a provider ten minutes ago (its notification never came).
        await current_connection().execute(
            "insert into core_payment (tenant_id, payment_no, provider, purpose, order_id, customer_id, amount, currency, created_at, expires_at) "
            "values ($1, 'HLOST1', 'alipay', 'order', $2, $3, 9000, $4, now() - interval '10 minutes', $5)",
            tenant.id, order_id, customer_id, tenant.currency, clock.now() + timedelta(minutes=20))
    done = await asyncio.to_thread(run_hearth, hearth_settings, "payments", "reconcile", tenant.slug)
    assert done.returncode == 0, done.stderr
    assert f"{tenant.slug}: 1 pending payment(s) queued" in done.stdout
    unknown = await asyncio.to_thread(run_hearth, hearth_settings, "payments", "reconcile", "no-such-tenant")
    assert unknown.returncode != 0 and "no such tenant: no-such-tenant" in unknown.stderr


async def test_marking_a_completed_order_paid_records_the_cash_and_settles_it(runtime, make_tenant):
    tenant = await make_tenant(prefix="csh")
    customer_id = await make_customer(tenant)
    item_id = await make_item(tenant, price=8000)
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, total=8000, state="in_service")
    staff_id = await make_worker(tenant)
    async with tenant_scope(tenant.id):
        await current_connection().execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
            "select tenant_id, id, $2, tstzrange(scheduled_start, scheduled_end), 'accepted', 'manual' from core_order where id = $1",
            order_id, staff_id)
        await current_connection().execute("update core_order set staff_id = $2 where id = $1", order_id, staff_id)
        await transition(order_id, "complete", ActorRef(kind="staff", id=staff_id))
        assert await ledger.order_transactions(order_id) == []  # nothing was paid yet: nothing to settle
        office = ActorRef(kind="console", id=1, permissions=frozenset({"finance.manage"}))
        await transition(order_id, "mark_paid", office, note="Paid in cash")
        payments = await services.order_payments(order_id)
        kinds = [t.kind for t in await ledger.order_transactions(order_id)]
        cash = await ledger.balance("provider:cash:clearing", tenant.currency)
        earnings = await ledger.balance(f"staff:{staff_id}:earnings", tenant.currency)
    assert [(p.provider, p.amount, p.status) for p in payments] == [("cash", 8000, "succeeded")]
    assert kinds == ["payment", "settlement"] and cash == 8000 and earnings == 4800


async def test_a_flood_of_forged_notifications_is_not_all_stored(app, runtime, make_tenant):
    tenant = await make_tenant(prefix="fld")
    async with client_for(app, "pay.example.com") as client:
        for _ in range(services.REFUSALS_KEPT_PER_MINUTE + 15):
            assert (await client.post(f"/payments/notify/nopay/{tenant.slug}", content=b"x")).status_code == 404
    async with tenant_scope(tenant.id):
        assert len(await services.refusals(limit=1000)) == services.REFUSALS_KEPT_PER_MINUTE


async def test_tenant_b_sees_none_of_tenant_as_payments_refunds_notifications_or_refusals(app, runtime, make_tenant):
    tenant_a, tenant_b = await make_tenant(prefix="pia"), await make_tenant(prefix="pib")
    customer_id, order_id = await _funded_order(tenant_a, wallet=5000, total=5000)
    async with tenant_scope(tenant_a.id):
        payment = await services.pay_with_wallet(order_id, customer_id)
        await services.refund_payment(payment.id, 1000, "", "console:1")
        await current_connection().execute(
            "insert into core_payment_notification (tenant_id, provider, event_id, payment_id, status, outcome) "
            "values ($1, 'alipay', 'evt-a', $2, 'succeeded', 'ignored')", tenant_a.id, payment.id)
    async with client_for(app, "pay.example.com") as client:
        await client.post(f"/payments/notify/nopay/{tenant_a.slug}", content=b"x")
    tables = ("core_payment", "core_refund", "core_payment_notification", "core_payment_refusal")
    async with tenant_scope(tenant_a.id):
        assert all([await current_connection().fetchval(f"select count(*) from {t}") for t in tables])
    async with tenant_scope(tenant_b.id):
        assert [await current_connection().fetchval(f"select count(*) from {t}") for t in tables] == [0, 0, 0, 0]
        assert await services.refusals() == [] and (await services.search_payments(PaymentFilter()))[1] == 0


async def test_provider_clients_are_kept_per_franchise_and_rebuilt_when_its_config_changes(tenant_a, tenant_b):
    import msgspec

    from platform_core.payments.provider import TenantClients

    class Keys(msgspec.Struct, frozen=True):
        secret: str

    built: list[tuple[int, str]] = []

    def build(config: Keys) -> object:
        built.append((current_tenant().id, config.secret))
        return object()

    clients = TenantClients(build, size=2)
    async with tenant_scope(tenant_a.id):
        a = clients(Keys("same"))
        assert clients(Keys("same")) is a  # an equal config, not only the same object
    async with tenant_scope(tenant_b.id):
        b = clients(Keys("same"))  # equal credentials, another franchise: its own client
    assert b is not a
    async with tenant_scope(tenant_a.id):
        changed = clients(Keys("new"))
        assert changed is not a and clients(Keys("new")) is changed
        assert clients(Keys("same")) is not a  # the old keys' client is gone with the change
    assert built == [(tenant_a.id, "same"), (tenant_b.id, "same"), (tenant_a.id, "new"), (tenant_a.id, "same")]

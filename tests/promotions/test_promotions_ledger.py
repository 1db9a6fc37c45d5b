"""Who funds a discount, in the ledger: a franchise-funded discount is its expense, a
platform-funded one a receivable from the platform; revenue is recognised on the list price; the
worker's commission on the price before or after the discount by the franchise's setting. Every
settlement balances and ties out to what was paid."""

from __future__ import annotations

import secrets

import msgspec
import pytest

from platform_core.booking import services as booking
from platform_core.ledger import services as ledger
from platform_core.ledger.schemas import LedgerSettingsUpdate
from platform_core.orders.schemas import OrderPlace
from platform_core.promotions import services
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    local_time,
    make_address,
    make_customer,
    make_item,
    make_worker,
)


async def discounted_order(tenant, funded_by: str):
    """A ¥150 order with a ¥30 coupon funded by `funded_by`, paid ¥120 through Alipay."""
    item_id = await make_item(tenant, price=15000)
    worker = await make_worker(tenant)
    customer = await make_customer(tenant)
    address = await make_address(tenant, customer)
    async with tenant_scope(tenant.id):
        made = await services.create_template(msgspec.convert(
            {"name": "¥30 off", "kind": "amount_off", "amount_off": 3000, "funded_by": funded_by}, CouponTemplateFields))
        coupon = await services.issue_coupon(made.id, customer, source="manual", reason="test")
        order = await booking.place_order(customer, OrderPlace(
            item_id=item_id, address_id=address, slot_start=local_time(tenant), coupon_id=coupon.id), secrets.token_hex(8))
        await ledger.record_payment(order.id, tenant.currency, "alipay", order.total, payment_ref=secrets.token_hex(6))
    return order, worker


@pytest.mark.parametrize(("funded_by", "account"), [("franchise", "franchise:discounts"), ("platform", "platform:promotions")])
@pytest.mark.parametrize("base", ["paid", "list"])
async def test_settlement_records_who_funds_the_discount_and_the_commission_base(runtime, tenant_a, funded_by, account, base):
    order, worker = await discounted_order(tenant_a, funded_by)
    assert order.total == 12000 and [line.funded_by for line in order.lines] == [None, funded_by]
    async with tenant_scope(tenant_a.id):
        await ledger.save_settings(LedgerSettingsUpdate(commission_base=base))
        settled = await ledger.settle_completed_order(order.id, tenant_a.currency, 12000, worker)
        revenue = await ledger.balance("franchise:revenue", tenant_a.currency)
        unearned = await ledger.balance("franchise:unearned", tenant_a.currency)
        funded = await ledger.balance(account, tenant_a.currency)
    entries = {e.account: e.amount for e in settled.entries}
    commission = (15000 if base == "list" else 12000) * 6000 // 10000
    fee = 15000 * 500 // 10000
    assert sum(e.amount for e in settled.entries) == 0
    assert entries["franchise:unearned"] == 12000 and entries[account] == 3000
    assert entries[f"staff:{worker}:earnings"] == -commission and entries["platform:fee"] == -fee
    # Revenue on the list price: what was paid and the discount, less the fee and the commission.
    assert revenue == 15000 - fee - commission and unearned == 0 and funded == 3000


async def test_the_commission_base_is_set_on_the_console_ledger_page(app, runtime, tenant_a):
    from platform_core.testing.factories import console_client, post_form, with_csrf
    from platform_core.testing.pytest_plugin import client_for

    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        await console_client(with_csrf(client), tenant_a, role="owner")
        page = await client.get("/console/finance/ledger")
        assert 'name="commission_base"' in page.text
        bad = await post_form(client, "/console/finance/ledger/rates",
                              {"platform_fee": "5", "staff_commission": "60", "commission_base": "both"})
        assert bad.status_code == 400
        saved = await post_form(client, "/console/finance/ledger/rates",
                                {"platform_fee": "5", "staff_commission": "60", "commission_base": "list"})
        assert saved.status_code == 303
    async with tenant_scope(tenant_a.id):
        assert (await ledger.settings()).commission_base == "list"

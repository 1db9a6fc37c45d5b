"""What a checkout with many coupons and rules costs: the customer's coupons in one statement,
whether they ordered before asked once, however many coupons and rules need to know
(bench/promotions_quote.py measures it at 50 coupons and 10 rules)."""

from __future__ import annotations

import msgspec

from platform_core.booking import services as booking
from platform_core.catalog.services import get_item
from platform_core.promotions import pricing, services
from platform_core.promotions.schemas import CouponTemplateFields, RuleFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    local_time,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from platform_core.testing.statements import StatementLog
from platform_core.web.i18n import set_locale


async def test_a_checkout_with_many_coupons_and_rules_reads_coupons_once_and_asks_first_order_once(runtime, make_tenant):
    tenant = await make_tenant(prefix="cost", locale="en")
    set_locale("en")
    item_id = await make_item(tenant, price=20000)
    await make_worker(tenant)
    customer = await make_customer(tenant)
    async with tenant_scope(tenant.id):
        for n, data in enumerate([
            {"kind": "first_order", "percent_off": 10},
            {"kind": "off_peak", "percent_off": 5, "weekdays": [1, 2, 3, 4, 5, 6, 7], "time_from": "08:00:00", "time_until": "12:00:00"},
            {"kind": "district_launch", "percent_off": 20, "district": "Minhang"},
        ]):
            await pricing.create_rule(msgspec.convert({"name": f"Rule {n}", **data}, RuleFields, strict=False))
        for n, data in enumerate([{"first_order_only": True, "amount_off": 3000}, {"amount_off": 1000}]):
            template = await services.create_template(msgspec.convert(
                {"name": f"Coupon {n}", "kind": "amount_off", "per_customer_limit": 10, **data}, CouponTemplateFields))
            for _ in range(10):
                await services.issue_coupon(template.id, customer, source="manual", reason="test")

    async def checkout():
        async with tenant_scope(tenant.id):
            item = await get_item(item_id)
            with StatementLog() as log:
                priced, offered = await booking.checkout(
                    customer, item, None, [], booking.Booked(slot_start=local_time(tenant, hour=10)), preselect=True)
        return priced, offered, log.statements

    await checkout()  # the process learns the franchise's rules
    priced, offered, statements = await checkout()
    # The usable coupons with their templates, whether the customer ordered, the preselected coupon.
    assert len(statements) == 3 and sum("from core_order " in q for q in statements) == 1
    assert [line.label for line in priced.lines if line.kind == "adjustment"] == ["Rule 0", "Coupon: Coupon 0"]
    assert len(offered.coupons) == 20 and offered.coupons[0].discount == 3000

    await make_order(tenant, customer_id=customer, state="completed")
    priced, offered, _ = await checkout()
    assert [line.label for line in priced.lines if line.kind == "adjustment"] == ["Rule 1", "Coupon: Coupon 1"]
    assert {a.reason for a in offered.coupons if not a.applies} == {"Only for your first order"}

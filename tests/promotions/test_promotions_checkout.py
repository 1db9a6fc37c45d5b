"""Coupons and discount rules at the checkout: every coupon kind, the reasons one does not apply,
automatic rules (first order, off-peak, a sale, a district launch) and stacking, the redemption
race, what an order's life does to its coupon, refunds, and the quote without promotions costing
no statement."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

import msgspec
import pytest

from platform_core import clock
from platform_core.booking import services as booking
from platform_core.catalog.services import get_item
from platform_core.db import current_connection
from platform_core.errors import ValidationFailed
from platform_core.ledger import services as ledger
from platform_core.orders.schemas import ActorRef, OrderPlace
from platform_core.orders.services import transition
from platform_core.payments import services as payments
from platform_core.promotions import pricing, services
from platform_core.promotions.holds import use_order_coupon
from platform_core.promotions.schemas import CouponTemplateFields, RuleFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    eventually,
    local_time,
    make_address,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from platform_core.testing.pytest_plugin import client_for
from platform_core.web.i18n import set_locale


@pytest.fixture
async def shop(runtime, make_tenant):
    """An English-speaking franchise (its pages and the service calls of the test answer in English)."""
    tenant = await make_tenant(prefix="promo", name="Promotions", locale="en")
    set_locale("en")
    item_id = await make_item(tenant, price=15000)
    await make_worker(tenant)
    customer = await make_customer(tenant)
    address = await make_address(tenant, customer, district="Pudong")
    return tenant, item_id, customer, address


async def coupon_for(tenant, customer: int, **overrides) -> int:
    data = {"name": "¥20 off from ¥100", "kind": "amount_off", "amount_off": 2000, "min_spend": 10000, **overrides}
    async with tenant_scope(tenant.id):
        made = await services.create_template(msgspec.convert(data, CouponTemplateFields))
        return (await services.issue_coupon(made.id, customer, source="manual", reason="test")).id


async def rule(tenant, **overrides) -> int:
    data = {"name": "Off-peak −10%", "kind": "off_peak", "percent_off": 10, "weekdays": [1, 2, 3, 4, 5, 6, 7],
            "time_from": "08:00:00", "time_until": "12:00:00", **overrides}
    async with tenant_scope(tenant.id):
        return (await pricing.create_rule(msgspec.convert(data, RuleFields, strict=False))).id


async def quote(tenant, item_id: int, customer: int, **booked):
    async with tenant_scope(tenant.id):
        item = await get_item(item_id)
        return await booking.checkout(customer, item, None, [], booking.Booked(**booked))


def discounts(q) -> list[tuple[str, int]]:
    return [(line.code.split(":")[0], line.amount) for line in q.lines if line.kind == "adjustment"]


async def test_every_coupon_kind_and_the_reasons_one_does_not_apply(shop):
    tenant, item_id, customer, _ = shop
    other_item = await make_item(tenant, price=3000)
    amount = await coupon_for(tenant, customer)
    percent = await coupon_for(tenant, customer, name="30% off", kind="percent_off", percent_off=30, max_discount=4000, min_spend=0)
    voucher = await coupon_for(tenant, customer, name="A visit at ¥99", kind="item_voucher", voucher_item_id=item_id, voucher_price=9900, min_spend=0)
    too_big = await coupon_for(tenant, customer, name="¥50 off from ¥200", amount_off=5000, min_spend=20000)
    elsewhere = await coupon_for(tenant, customer, name="Other service", item_ids=[other_item], min_spend=0)
    short = await coupon_for(tenant, customer, name="Short", min_spend=0, valid_days=1)
    first_only = await coupon_for(tenant, customer, name="First", min_spend=0, first_order_only=True)
    await make_order(tenant, customer_id=customer, state="completed")

    priced, offered = await quote(tenant, item_id, customer, slot_start=local_time(tenant, days_ahead=3))
    by_id = {a.coupon.id: a for a in offered.coupons}
    assert by_id[amount].discount == 2000 and by_id[percent].discount == 4000 and by_id[voucher].discount == 5100
    assert by_id[too_big].reason.startswith("Minimum spend") and "200.00" in by_id[too_big].reason
    assert by_id[elsewhere].reason == "Not valid for this service"
    assert by_id[short].reason == "Expires before the visit"
    assert by_id[first_only].reason == "Only for your first order"
    assert offered.best == voucher and [a.applies for a in offered.coupons][:3] == [True, True, True]
    assert discounts(priced) == []  # nothing chosen, nothing priced (the page preselects the best)

    with_coupon, _ = await quote(tenant, item_id, customer, coupon_id=percent)
    assert discounts(with_coupon) == [("coupon", -4000)] and with_coupon.total == 11000
    with pytest.raises(ValidationFailed) as refused:
        await quote(tenant, item_id, customer, coupon_id=too_big)
    assert "coupon_id" in refused.value.fields


async def test_a_free_add_on_coupon_takes_the_add_on_off(shop):
    tenant, _, customer, _ = shop
    async with tenant_scope(tenant.id):
        conn = current_connection()
        item_id = await make_item(tenant, price=10000)
        category = await conn.fetchval("select category_id from core_service_item where id = $1", item_id)
        addon = await conn.fetchval(
            "insert into core_service_addon (tenant_id, item_id, title, price) values ($1, $2, 'Fridge', 3000) returning id",
            tenant.id, item_id) if category else None
    coupon = await coupon_for(tenant, customer, name="Free fridge", kind="free_addon", addon_id=addon, min_spend=0)
    async with tenant_scope(tenant.id):
        item = await get_item(item_id)
        without, offered = await booking.checkout(customer, item, None, [], booking.Booked())
        priced = await booking.quote(customer, item, None, [addon], booking.Booked(coupon_id=coupon))
    assert offered.coupons[0].reason == "Add the add-on it is for"
    assert discounts(priced) == [("coupon", -3000)] and priced.total == 10000


async def test_automatic_rules_the_best_applies_and_a_coupon_stacks_or_replaces_it(shop):
    tenant, item_id, customer, _ = shop
    morning, evening = local_time(tenant, days_ahead=3, hour=9), local_time(tenant, days_ahead=3, hour=15)
    await rule(tenant)  # off-peak −10%: 1500
    await rule(tenant, name="New in Pudong −¥20", kind="district_launch", percent_off=0, amount_off=2000, district="Pudong",
               weekdays=[], time_from=None, time_until=None)
    await rule(tenant, name="Welcome −¥10", kind="first_order", percent_off=0, amount_off=1000, weekdays=[], time_from=None, time_until=None)
    today = clock.today(tenant.timezone)
    await rule(tenant, name="Spring sale −5%", kind="sale", percent_off=5, item_ids=[item_id], starts_on=today.isoformat(),
               ends_on=(today + timedelta(days=10)).isoformat(), weekdays=[], time_from=None, time_until=None)

    morning_quote, _ = await quote(tenant, item_id, customer, slot_start=morning)
    assert discounts(morning_quote) == [("rule", -1500)] and morning_quote.lines[-1].label == "Off-peak −10%"
    evening_quote, _ = await quote(tenant, item_id, customer, slot_start=evening, district="Pudong")
    assert [line.label for line in evening_quote.lines if line.kind == "adjustment"] == ["New in Pudong −¥20"]
    plain, _ = await quote(tenant, item_id, customer, slot_start=evening)
    assert [line.label for line in plain.lines if line.kind == "adjustment"] == ["Welcome −¥10"]
    await make_order(tenant, customer_id=customer, state="completed")
    later, _ = await quote(tenant, item_id, customer, slot_start=evening)
    assert [line.label for line in later.lines if line.kind == "adjustment"] == ["Spring sale −5%"]

    stacking = await coupon_for(tenant, customer, name="Stacks", percent_off=10, kind="percent_off", min_spend=0)
    alone = await coupon_for(tenant, customer, name="Alone", amount_off=2500, min_spend=0, stacks_with_rules=False)
    stacked, offered = await quote(tenant, item_id, customer, slot_start=morning, coupon_id=stacking)
    # 10% of what is left after the rule: 13500 → 1350.
    assert discounts(stacked) == [("rule", -1500), ("coupon", -1350)] and stacked.total == 15000 - 2850
    replaced, _ = await quote(tenant, item_id, customer, slot_start=morning, coupon_id=alone)
    assert discounts(replaced) == [("coupon", -2500)]
    assert offered.best == stacking  # 2850 in all beats 2500 alone


async def test_rules_are_cached_by_the_tenants_stamp_and_a_change_shows_at_once(app, shop):
    tenant, item_id, customer, _ = shop
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        body = {"item_id": item_id, "slot_start": local_time(tenant, days_ahead=3, hour=9).isoformat()}
        before = (await client.post("/api/v1/quotes", json=body)).json()
        await rule(tenant)
        after = (await client.post("/api/v1/quotes", json=body)).json()
    assert before["total"] == 15000 and after["total"] == 13500


async def test_placing_with_a_coupon_holds_it_and_two_placements_racing_for_it_make_one_order(app, shop):
    tenant, item_id, customer, address = shop
    await make_worker(tenant, "Li")
    coupon = await coupon_for(tenant, customer)
    auth = await bearer_for(tenant, "customer", customer)
    bodies = [{"item_id": item_id, "address_id": address, "coupon_id": coupon,
               "slot_start": local_time(tenant, days_ahead=3, hour=h).isoformat()} for h in (10, 14)]
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        answers = await asyncio.gather(*[
            client.post("/api/v1/orders", json=body, headers={**auth, "idempotency-key": secrets.token_hex(10)}) for body in bodies])
    codes = sorted(a.status_code for a in answers)
    assert codes == [201, 400], [a.text for a in answers]
    winner = next(a.json() for a in answers if a.status_code == 201)
    loser = next(a.json() for a in answers if a.status_code == 400)
    assert "coupon_id" in loser["error"]["fields"]
    assert winner["total"] == 13000 and winner["lines"][-1]["amount"] == -2000
    async with tenant_scope(tenant.id):
        conn = current_connection()
        orders = await conn.fetchval("select count(*) from core_order")
        state, order_id = await conn.fetchrow("select state, order_id from core_coupon where id = $1", coupon)
        funded = await conn.fetchval("select funded_by from core_order_line where order_id = $1 and kind = 'adjustment'", winner["id"])
    assert orders == 1 and (state, order_id) == ("held", winner["id"]) and funded == "franchise"


async def test_cancelling_an_unpaid_order_releases_its_coupon(app, shop):
    tenant, item_id, customer, address = shop
    coupon = await coupon_for(tenant, customer)
    async with tenant_scope(tenant.id):
        order = await booking.place_order(customer, OrderPlace(
            item_id=item_id, address_id=address, slot_start=local_time(tenant, days_ahead=3), coupon_id=coupon), secrets.token_hex(8))
        await transition(order.id, "cancel", ActorRef(kind="customer", id=customer))
        state = await current_connection().fetchval("select state from core_coupon where id = $1", coupon)
        again = await services.usable_coupons(customer)
    assert state == "available" and [c.id for c in again] == [coupon]


async def paid_with_coupon(tenant, item_id: int, customer: int, address: int, coupon: int):
    """An order placed with the coupon and paid from the wallet (the payment's reactions, the
    coupon's use among them, wait in the outbox: `react`)."""
    async with tenant_scope(tenant.id):
        order = await booking.place_order(customer, OrderPlace(
            item_id=item_id, address_id=address, slot_start=local_time(tenant, days_ahead=3), coupon_id=coupon), secrets.token_hex(8))
        await current_connection().execute("update core_order set state = 'pending_payment', payment_method = 'online' where id = $1", order.id)
        await ledger.wallet_topup(customer, tenant.currency, "alipay", order.total, payment_ref=secrets.token_hex(6))
        payment = await payments.pay_with_wallet(order.id, customer)
    return order, payment


async def spent(tenant, coupon: int) -> str | None:
    """The coupon's state once the payment's reactions (the outbox's orders.reactions, run by the
    runtime's job worker after commit) have marked it used."""
    async def used():
        return await coupon_state(tenant, coupon) == "used" or None
    return await eventually(used)


async def coupon_state(tenant, coupon: int) -> str:
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select state from core_coupon where id = $1", coupon)


@pytest.mark.parametrize("returned", [True, False])
async def test_a_paid_order_uses_its_coupon_and_cancelling_returns_it_by_the_templates_rule(shop, returned):
    tenant, item_id, customer, address = shop
    coupon = await coupon_for(tenant, customer, return_on_cancel=returned)
    order, _ = await paid_with_coupon(tenant, item_id, customer, address, coupon)
    assert await spent(tenant, coupon)
    async with tenant_scope(tenant.id):
        await transition(order.id, "cancel", ActorRef(kind="customer", id=customer))
    assert await coupon_state(tenant, coupon) == ("available" if returned else "used")


@pytest.mark.parametrize("returned", [True, False])
async def test_a_paid_order_cancelled_before_its_reactions_ran_spends_its_coupon_all_the_same(shop, returned):
    tenant, item_id, customer, address = shop
    coupon = await coupon_for(tenant, customer, return_on_cancel=returned)
    order, _ = await paid_with_coupon(tenant, item_id, customer, address, coupon)
    async with tenant_scope(tenant.id):
        await transition(order.id, "cancel", ActorRef(kind="customer", id=customer))
    assert await coupon_state(tenant, coupon) == ("available" if returned else "used")
    async with tenant_scope(tenant.id):
        # The payment's reactions, run late, leave the coupon as the cancellation did.
        await use_order_coupon(order.id)
    assert await coupon_state(tenant, coupon) == ("available" if returned else "used")


async def test_a_discounted_order_refunded_in_full_refunds_the_discounted_total(shop):
    tenant, item_id, customer, address = shop
    coupon = await coupon_for(tenant, customer)
    order, payment = await paid_with_coupon(tenant, item_id, customer, address, coupon)
    assert order.total == 13000 and payment.amount == 13000
    async with tenant_scope(tenant.id):
        with pytest.raises(ValidationFailed):
            await payments.refund_payment(payment.id, 15000, "list price", "test")
        refund = await payments.refund_payment(payment.id, 13000, "all of it", "test")
        wallet = await ledger.balance(f"customer:{customer}:wallet", tenant.currency)
    assert refund.amount == 13000 and refund.status == "succeeded" and wallet == 13000


async def test_a_quote_without_rules_or_coupon_costs_no_statement_once_the_rules_are_known(shop, monkeypatch):
    import asyncpg

    tenant, item_id, customer, _ = shop
    statements: list[str] = []
    async with tenant_scope(tenant.id):
        item = await get_item(item_id)
        await booking.quote(customer, item, None, [])  # the process learns the franchise has no rules
        for name in ("execute", "fetch", "fetchrow", "fetchval"):
            original = getattr(asyncpg.Connection, name)

            def recorded(conn, query, *args, __original=original, **kwargs):
                statements.append(query)
                return __original(conn, query, *args, **kwargs)
            monkeypatch.setattr(asyncpg.Connection, name, recorded)
        priced = await booking.quote(customer, item, None, [])
        issued = list(statements)
    assert priced.total == 15000 and issued == []


async def test_a_coupon_of_another_franchise_can_not_be_used(app, shop, tenant_b):
    tenant, item_id, customer, address = shop
    customer_b = await make_customer(tenant_b)
    coupon_b = await coupon_for(tenant_b, customer_b)
    other_customers = await coupon_for(tenant, await make_customer(tenant))
    auth = await bearer_for(tenant, "customer", customer)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        for coupon in (coupon_b, other_customers):
            answer = await client.post("/api/v1/quotes", json={"item_id": item_id, "coupon_id": coupon}, headers=auth)
            assert answer.status_code == 400 and answer.json()["error"]["fields"] == {"coupon_id": "Choose one of your coupons."}
        listed = (await client.get("/api/v1/coupons", headers=auth)).json()
    assert listed == []


async def test_the_api_lists_redeems_and_quotes_with_the_applicable_coupons(app, shop):
    tenant, item_id, customer, address = shop
    async with tenant_scope(tenant.id):
        await services.create_template(msgspec.convert(
            {"name": "Spring ¥20", "kind": "amount_off", "amount_off": 2000, "public_code": "SPRING20"}, CouponTemplateFields))
    auth = await bearer_for(tenant, "customer", customer)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        unknown = await client.post("/api/v1/coupons/redeem", json={"code": "NOPE"}, headers=auth)
        assert unknown.status_code == 400 and unknown.json()["error"]["fields"] == {"code": "This code is not valid."}
        redeemed = await client.post("/api/v1/coupons/redeem", json={"code": "spring20"}, headers=auth)
        assert redeemed.status_code == 201, redeemed.text
        again = await client.post("/api/v1/coupons/redeem", json={"code": "SPRING20"}, headers=auth)
        assert again.json()["error"]["fields"] == {"code": "You already redeemed this code."}
        mine = (await client.get("/api/v1/coupons", headers=auth)).json()
        assert [c["template"]["name"] for c in mine] == ["Spring ¥20"]
        quoted = (await client.post("/api/v1/quotes", json={"item_id": item_id, "address_id": address}, headers=auth)).json()
        assert quoted["best_coupon_id"] == mine[0]["id"] and quoted["coupons"][0]["discount"] == 2000
        priced = (await client.post("/api/v1/quotes", json={"item_id": item_id, "coupon_id": mine[0]["id"]}, headers=auth)).json()
        assert priced["total"] == 13000
        too_many = [await client.post("/api/v1/coupons/redeem", json={"code": "X"}, headers=auth) for _ in range(5)]
        assert too_many[-1].status_code == 429
        used = (await client.get("/api/v1/coupons?tab=used", headers=auth)).json()
    assert used == []


async def test_the_my_coupons_page_redeems_a_code_with_field_errors(app, shop):
    from platform_core.accounts.sessions import create_session
    from platform_core.testing.factories import post_form, with_csrf

    tenant, _, customer, _ = shop
    async with tenant_scope(tenant.id):
        await services.create_template(msgspec.convert(
            {"name": "Welcome", "kind": "percent_off", "percent_off": 10, "public_code": "HELLO", "valid_days": 30}, CouponTemplateFields))
    token = await create_session(kind="customer", user_id=customer, tenant_id=tenant.id)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        with_csrf(client).cookies.set("hearth_sid", token)
        wrong = await post_form(client, "/account/coupons/redeem", {"code": "HELO"})
        assert wrong.status_code == 400 and "This code is not valid." in wrong.text
        nul = await post_form(client, "/account/coupons/redeem", {"code": "HE\x00LLO"})
        assert nul.status_code == 400
        done = await post_form(client, "/account/coupons/redeem", {"code": "hello"})
        assert done.status_code == 303
        page = await client.get(done.headers["location"])
        assert "Welcome" in page.text and "10% off" in page.text and "Valid until" in page.text
        expired_tab = await client.get("/account/coupons?tab=expired")
        assert "Welcome" not in expired_tab.text

"""The rewards shop and the member centre: a coupon and goods bought with points, fulfilment
(shipped with tracking, delivered, cancelled with points and stock back), the races for the last
item and the last points (one wins, the other gets a 409 naming the field), and franchises with
loyalty off seeing none of it (pages, API, hooks, panel, tab)."""

from __future__ import annotations

import asyncio
import re

import msgspec
import pytest

from platform_core.errors import Conflict
from platform_core.promotions import services as promotions
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    console_client,
    make_address,
    make_customer,
    post_form,
    with_session,
)
from platform_core.testing.pytest_plugin import client_for
from plugins.loyalty import points, shop

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


async def coupon_template(tenant, **overrides) -> int:
    fields = {"name": "¥30 off a deep clean", "kind": "amount_off", "amount_off": 3000, "per_customer_limit": 5, **overrides}
    async with tenant_scope(tenant.id):
        return (await promotions.create_template(msgspec.convert(fields, CouponTemplateFields))).id


async def reward(tenant, **fields) -> int:
    data = {"kind": "goods", "name": "Detergent", "points": 100, "stock": 3, "active": True, **fields}
    async with tenant_scope(tenant.id):
        return (await shop.create_reward(msgspec.convert(data, shop.RewardInput))).id


async def give_points(tenant, customer_id: int, amount: int, key: str = "seed") -> None:
    async with tenant_scope(tenant.id):
        await points.award(customer_id, amount, reason="adjustment", link="adjustment:0", key=f"{key}:{customer_id}")


async def balance(tenant, customer_id: int) -> int:
    async with tenant_scope(tenant.id):
        return await points.balance(customer_id)


async def stock(tenant, reward_id: int) -> int | None:
    async with tenant_scope(tenant.id):
        return (await shop.get_reward(reward_id)).stock


async def shopper(tenant, client, points_held: int) -> tuple[int, int, dict[str, str]]:
    """A customer of `tenant` with a default address and `points_held` points, signed in on
    `client` (a session for the pages, a bearer token for the API, returned as headers)."""
    customer_id = await make_customer(tenant)
    address_id = await make_address(tenant, customer_id)
    await give_points(tenant, customer_id, points_held)
    await with_session(client, tenant, "customer", customer_id)
    return customer_id, address_id, await bearer_for(tenant, "customer", customer_id)


@pytest.fixture
async def loyalty_a(enable_plugin, tenant_a):
    await enable_plugin(tenant_a, "loyalty")
    return tenant_a


# --- the member centre -------------------------------------------------------------------------


async def test_the_member_centre_shows_where_loyalty_is_on_and_nowhere_else(app, runtime, loyalty_a, tenant_b, client_a, client_b):
    customer_a = await make_customer(loyalty_a)
    customer_b = await make_customer(tenant_b)
    await give_points(loyalty_a, customer_a, 120)
    await reward(loyalty_a, name="Microfibre cloths", points=100)
    await with_session(client_a, loyalty_a, "customer", customer_a)
    await with_session(client_b, tenant_b, "customer", customer_b)

    member = await client_a.get("/account/member")
    assert member.status_code == 200
    assert 'data-panel="loyalty.shop"' in member.text and "Microfibre cloths" in member.text
    assert 'href="/account/member" aria-current="page"' in member.text
    account = (await client_a.get("/account")).text
    assert 'href="/account/member"' in account and 'href="/p/loyalty/shop"' in account
    assert 'href="/p/loyalty/shop" aria-current="page"' in (await client_a.get("/p/loyalty/shop")).text
    api = await client_a.get("/api/v1/account/member")
    assert api.status_code == 200
    [panel] = [p for p in api.json()["panels"] if p["key"] == "loyalty.shop"]
    assert panel["data"]["balance"] == 120 and panel["data"]["highlights"][0]["name"] == "Microfibre cloths"
    assert panel["title"] == "Rewards shop" and panel["href"] == "/p/loyalty/shop"
    [held] = [p for p in api.json()["panels"] if p["key"] == "loyalty.points"]
    assert held["data"]["balance"] == 120 and held["data"]["expiring_points"] == 0
    assert [(m["points"], m["reason"]) for m in held["data"]["recent"]] == [(120, "adjustment")]
    keys = [p["key"] for p in api.json()["panels"]]
    assert keys.index("loyalty.points") < keys.index("loyalty.shop")
    assert 'data-testid="points-balance">120<' in member.text

    # B has loyalty off: no page, no API, no tab, no shop, and no hook of the plugin runs.
    assert (await client_b.get("/account/member")).status_code == 404
    assert (await client_b.get("/api/v1/account/member")).status_code == 404
    account_b = (await client_b.get("/account")).text
    assert 'href="/account/member"' not in account_b and "/p/loyalty/shop" not in account_b
    assert (await client_b.get("/p/loyalty/shop")).status_code == 404
    assert (await client_b.get("/p/loyalty/api/shop")).status_code == 404
    async with tenant_scope(tenant_b.id) as context:
        hooks = runtime.hooks(context)
        assert hooks.compute_member_panels.get_hookimpls() == []
        assert [e for entries in hooks.provide_console_menu() for e in entries or [] if "/p/loyalty" in e.href] == []
    async with tenant_scope(loyalty_a.id) as context:
        assert [i.plugin_name for i in runtime.hooks(context).compute_member_panels.get_hookimpls()] == ["loyalty"]


async def test_the_member_centre_needs_a_signed_in_customer(loyalty_a, client_a):
    assert (await client_a.get("/api/v1/account/member")).status_code == 401
    assert (await client_a.get("/p/loyalty/api/shop")).status_code == 401


# --- coupons for points ------------------------------------------------------------------------


async def test_points_buy_a_coupon_that_shows_in_my_coupons(loyalty_a, client_a):
    customer_id = await make_customer(loyalty_a)
    template_id = await coupon_template(loyalty_a)
    reward_id = await reward(loyalty_a, kind="coupon", name="¥30 coupon", points=300, stock=None, coupon_template_id=template_id)
    await give_points(loyalty_a, customer_id, 500)
    await with_session(client_a, loyalty_a, "customer", customer_id)
    api = await bearer_for(loyalty_a, "customer", customer_id)

    shown = await client_a.get("/p/loyalty/api/shop")
    assert shown.json()["balance"] == 500 and [r["id"] for r in shown.json()["rewards"]] == [reward_id]
    done = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": reward_id}, headers=api)
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["state"] == "issued" and body["coupon_id"] and body["points"] == 300 and body["address"] is None
    assert await balance(loyalty_a, customer_id) == 200
    coupons = await client_a.get("/account/coupons")
    assert "¥30 off a deep clean" in coupons.text

    short = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": reward_id}, headers=api)
    assert short.status_code == 409 and "points" in short.json()["error"]["fields"]
    assert await balance(loyalty_a, customer_id) == 200
    mine = (await client_a.get("/p/loyalty/api/shop/redemptions")).json()
    assert [r["id"] for r in mine] == [body["id"]]


async def test_a_bad_redemption_is_a_field_error(loyalty_a, client_a):
    customer_id = await make_customer(loyalty_a)
    goods = await reward(loyalty_a)
    await give_points(loyalty_a, customer_id, 500)
    await with_session(client_a, loyalty_a, "customer", customer_id)
    api = await bearer_for(loyalty_a, "customer", customer_id)
    other = await make_customer(loyalty_a)
    others_address = await make_address(loyalty_a, other)

    no_address = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": goods}, headers=api)
    assert no_address.status_code == 400 and "address_id" in no_address.json()["error"]["fields"]
    not_mine = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": goods, "address_id": others_address}, headers=api)
    assert not_mine.status_code == 400 and "address_id" in not_mine.json()["error"]["fields"]
    huge = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": 2**64}, headers=api)
    assert huge.status_code == 400
    assert (await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": 2**62}, headers=api)).status_code == 404
    assert await balance(loyalty_a, customer_id) == 500 and await stock(loyalty_a, goods) == 3


# --- goods: the redeem page, then fulfilment ---------------------------------------------------


async def test_goods_go_from_the_shop_through_fulfilment(app, loyalty_a, client_a):
    customer_id = await make_customer(loyalty_a)
    address_id = await make_address(loyalty_a, customer_id, street="8 Garden Road")
    await give_points(loyalty_a, customer_id, 1000)
    async with client_for(app, f"{loyalty_a.slug}.localhost") as console:
        await console_client(console, loyalty_a, "owner")
        created = await post_form(console, "/p/loyalty/console/shop/new", {
            "kind": "goods", "name": "Bamboo towels", "points": "400", "stock": "2", "active": "1", "description": "Two soft towels."},
            files={"picture:file": ("towel.png", PNG, "image/png")})
        assert created.status_code == 303, created.text
        catalogue = await console.get("/p/loyalty/console/shop")
        assert "Bamboo towels" in catalogue.text and "/media/" in catalogue.text
        bad = await post_form(console, "/p/loyalty/console/shop/new", {"kind": "goods", "name": "", "points": "0"})
        assert bad.status_code == 400 and "field-name" in bad.text

        async with tenant_scope(loyalty_a.id):
            [towels] = [r for r in await shop.list_rewards() if r.name == "Bamboo towels"]
        await with_session(client_a, loyalty_a, "customer", customer_id)
        page = await client_a.get(f"/p/loyalty/shop/{towels.id}")
        assert "8 Garden Road" in page.text and 'name="address_id"' in page.text
        redeemed = await post_form(client_a, f"/p/loyalty/shop/{towels.id}/redeem", {"address_id": str(address_id)})
        assert redeemed.status_code == 303 and redeemed.headers["location"].startswith("/p/loyalty/shop?done=goods")
        assert await balance(loyalty_a, customer_id) == 600 and await stock(loyalty_a, towels.id) == 1

        # The address book changes later; the parcel keeps its address.
        await post_form(client_a, f"/account/addresses/{address_id}/delete")
        queue = await console.get("/p/loyalty/console/fulfilment")
        assert "Bamboo towels" in queue.text and "8 Garden Road" in queue.text
        [row] = (await client_a.get("/p/loyalty/api/shop/redemptions")).json()
        assert row["state"] == "to_ship" and row["address"]["street"] == "8 Garden Road"

        missing = await post_form(console, f"/p/loyalty/console/fulfilment/{row['id']}/ship", {"carrier": "SF Express", "tracking_number": ""})
        assert missing.status_code == 400
        shipped = await post_form(console, f"/p/loyalty/console/fulfilment/{row['id']}/ship",
                                  {"carrier": "SF Express", "tracking_number": "SF1234567890"})
        assert shipped.status_code == 303
        again = await post_form(console, f"/p/loyalty/console/fulfilment/{row['id']}/ship", {"carrier": "EMS", "tracking_number": "E1"})
        assert again.status_code == 409 and "shipped already" in again.text
        too_late = await post_form(console, f"/p/loyalty/console/fulfilment/{row['id']}/cancel", {"reason": "Changed mind"})
        assert too_late.status_code == 409
        mine = await client_a.get("/p/loyalty/shop")
        assert "SF1234567890" in mine.text and "SF Express" in mine.text
        assert (await post_form(console, f"/p/loyalty/console/fulfilment/{row['id']}/deliver")).status_code == 303
        [row] = (await client_a.get("/p/loyalty/api/shop/redemptions")).json()
        assert row["state"] == "delivered" and row["tracking_number"] == "SF1234567890"
        assert await balance(loyalty_a, customer_id) == 600


async def test_cancelling_goods_returns_the_points_and_the_stock(app, loyalty_a, client_a):
    goods = await reward(loyalty_a, points=250, stock=1)
    customer_id, address_id, api = await shopper(loyalty_a, client_a, 300)
    done = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": goods, "address_id": address_id}, headers=api)
    assert done.status_code == 201
    assert await balance(loyalty_a, customer_id) == 50 and await stock(loyalty_a, goods) == 0
    async with client_for(app, f"{loyalty_a.slug}.localhost") as console:
        await console_client(console, loyalty_a, "dispatcher")  # orders.manage, not marketing.manage
        assert (await console.get("/p/loyalty/console/shop")).status_code == 403
        no_reason = await post_form(console, f"/p/loyalty/console/fulfilment/{done.json()['id']}/cancel", {"reason": ""})
        assert no_reason.status_code == 400
        cancelled = await post_form(console, f"/p/loyalty/console/fulfilment/{done.json()['id']}/cancel", {"reason": "Out of stock at the supplier"})
        assert cancelled.status_code == 303
        twice = await post_form(console, f"/p/loyalty/console/fulfilment/{done.json()['id']}/cancel", {"reason": "Again"})
        assert twice.status_code == 409
    assert await balance(loyalty_a, customer_id) == 300 and await stock(loyalty_a, goods) == 1
    [row] = (await client_a.get("/p/loyalty/api/shop/redemptions")).json()
    assert row["state"] == "cancelled" and row["cancel_reason"] == "Out of stock at the supplier"


# --- races -------------------------------------------------------------------------------------


async def _race(tenant, attempts):
    """Run redemptions in concurrent transactions, the first holding its locks until the others
    have queued behind them; each answer is the redemption or the Conflict."""
    first_done = asyncio.Event()

    async def attempt(index, customer_id, request):
        async with tenant_scope(tenant.id):
            try:
                if index:
                    await first_done.wait()
                    result = await shop.redeem(customer_id, request)
                else:
                    result = await shop.redeem(customer_id, request)
                    first_done.set()
                    await asyncio.sleep(0.3)  # the others are now waiting on a lock this holds
                return result
            except Conflict as exc:
                return exc
            finally:
                first_done.set()

    return await asyncio.gather(*(attempt(i, c, r) for i, (c, r) in enumerate(attempts)))


async def test_two_customers_race_for_the_last_item(loyalty_a):
    goods = await reward(loyalty_a, stock=1, points=100)
    racers = []
    for _ in range(2):
        customer_id = await make_customer(loyalty_a)
        address_id = await make_address(loyalty_a, customer_id)
        await give_points(loyalty_a, customer_id, 100)
        racers.append((customer_id, shop.RedeemRequest(reward_id=goods, address_id=address_id)))
    won, lost = await _race(loyalty_a, racers)
    assert isinstance(won, shop.RedemptionView)
    assert isinstance(lost, Conflict) and set(lost.fields) == {"reward_id"}
    assert await stock(loyalty_a, goods) == 0
    assert [await balance(loyalty_a, c) for c, _ in racers] == [0, 100]


async def test_one_customer_races_for_the_last_points(loyalty_a):
    customer_id = await make_customer(loyalty_a)
    address_id = await make_address(loyalty_a, customer_id)
    first, second = await reward(loyalty_a, points=150), await reward(loyalty_a, name="Gloves", points=150)
    await give_points(loyalty_a, customer_id, 200)
    won, lost = await _race(loyalty_a, [(customer_id, shop.RedeemRequest(reward_id=first, address_id=address_id)),
                                        (customer_id, shop.RedeemRequest(reward_id=second, address_id=address_id))])
    assert isinstance(won, shop.RedemptionView)
    assert isinstance(lost, Conflict) and set(lost.fields) == {"points"}
    assert await balance(loyalty_a, customer_id) == 50
    assert (await stock(loyalty_a, first), await stock(loyalty_a, second)) == (2, 3)


async def test_racing_over_http_one_wins_the_other_gets_a_409(loyalty_a, client_a):
    goods = await reward(loyalty_a, points=100, stock=5)
    customer_id, address_id, api = await shopper(loyalty_a, client_a, 100)
    answers = await asyncio.gather(*(client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": goods, "address_id": address_id}, headers=api)
                                     for _ in range(2)))
    assert sorted(a.status_code for a in answers) == [201, 409]
    assert await balance(loyalty_a, customer_id) == 0 and await stock(loyalty_a, goods) == 4


async def test_a_double_tap_redeems_once(loyalty_a, client_a):
    goods = await reward(loyalty_a, points=100, stock=5)
    customer_id, address_id, api = await shopper(loyalty_a, client_a, 300)
    body = {"reward_id": goods, "address_id": address_id, "request_key": "tap-0123456789"}
    answers = await asyncio.gather(*(client_a.post("/p/loyalty/api/shop/redemptions", json=body, headers=api) for _ in range(3)))
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await balance(loyalty_a, customer_id) == 200 and await stock(loyalty_a, goods) == 4
    # The form carries a key of its own each time it is shown.
    form = (await client_a.get(f"/p/loyalty/shop/{goods}")).text
    key = re.search(r'name="request_key" value="([0-9a-f]{32})"', form).group(1)
    for _ in range(2):
        sent = await post_form(client_a, f"/p/loyalty/shop/{goods}/redeem", {"address_id": str(address_id), "request_key": key})
        assert sent.status_code == 303
    assert await balance(loyalty_a, customer_id) == 100
    bad = await client_a.post("/p/loyalty/api/shop/redemptions", json={**body, "request_key": "no spaces!"}, headers=api)
    assert bad.status_code == 400 and "request_key" in bad.json()["error"]["fields"]


async def test_hostile_input_is_a_4xx_naming_the_field(app, loyalty_a, tenant_b, client_a, client_b):
    goods = await reward(loyalty_a)
    customer_id, address_id, api = await shopper(loyalty_a, client_a, 500)
    assert (await client_a.get("/p/loyalty/shop/99999999999999999999")).status_code == 404
    typed = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": goods, "address_id": "x"}, headers=api)
    assert typed.status_code == 400 and "address_id" in typed.json()["error"]["fields"]
    done = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": goods, "address_id": address_id}, headers=api)
    async with client_for(app, f"{loyalty_a.slug}.localhost") as console:
        await console_client(console, loyalty_a, "owner")
        nul = await post_form(console, f"/p/loyalty/console/fulfilment/{done.json()['id']}/ship", {"carrier": "SF\x00", "tracking_number": "1"})
        assert nul.status_code == 400 and "not allowed" in nul.text
        long = await post_form(console, "/p/loyalty/console/shop/new", {"kind": "goods", "name": "x" * 20_000, "points": "1", "stock": "1"})
        assert long.status_code == 400 and "too long" in long.text
        money = await post_form(console, "/p/loyalty/console/shop/new", {"kind": "goods", "name": "Mop", "points": "1e308", "stock": "1"})
        assert money.status_code == 400 and "field-points" in money.text
        coupon = await post_form(console, "/p/loyalty/console/shop/new", {"kind": "coupon", "name": "Coupon", "points": "10"})
        assert coupon.status_code == 400 and "Choose the coupon it gives." in coupon.text
    async with client_for(app, f"{tenant_b.slug}.localhost") as console_b:
        await console_client(console_b, tenant_b, "owner")
        assert (await console_b.get("/p/loyalty/console/shop")).status_code == 404
        assert (await console_b.get("/p/loyalty/console/fulfilment")).status_code == 404
        assert "/p/loyalty/" not in (await console_b.get("/console/")).text


async def test_what_the_member_centre_and_a_redemption_cost_in_statements(loyalty_a, client_a):
    """Counted, not timed: the account tabs cost no statement (the member centre's tab is read
    from the relay), the member centre a few per panel, a redemption a bounded number."""
    from platform_core.testing.statements import StatementLog

    customer_id = await make_customer(loyalty_a)
    address_id = await make_address(loyalty_a, customer_id)
    goods = await reward(loyalty_a, points=100)
    await reward(loyalty_a, name="Gloves", points=50)
    await give_points(loyalty_a, customer_id, 500)
    await with_session(client_a, loyalty_a, "customer", customer_id)
    api = await bearer_for(loyalty_a, "customer", customer_id)
    (await client_a.get("/account/member")).raise_for_status()  # warm: templates, config
    counts = {}
    for name, call in {
        "addresses": lambda: client_a.get("/account/addresses"),
        "member": lambda: client_a.get("/account/member"),
        "member_api": lambda: client_a.get("/api/v1/account/member"),
        "shop": lambda: client_a.get("/p/loyalty/shop"),
        "redeem": lambda: client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": goods, "address_id": address_id}, headers=api),
    }.items():
        with StatementLog() as log:
            (await call()).raise_for_status()
        counts[name] = len(log.statements)
    print("statements per request:", counts)
    # Beyond an account page: points and expiring soon, the latest movements, the shop's highlights
    # and parcels (5), today's check-in and the streak before it (2), the tasks with their state,
    # priority grants and share links (3), the tier with its progress over 12 months (orders,
    # reviews, check-ins), the tiers, privileges and the support agent (8). None per panel item.
    assert counts["member"] <= counts["addresses"] + 18 and counts["member_api"] <= counts["member"]
    assert counts["redeem"] <= 14


async def test_saving_the_reward_form_keeps_what_was_redeemed_while_it_was_open(app, loyalty_a, client_a):
    """The office opens a reward's form (stock 3), a customer redeems one meanwhile, the office
    saves a new name: the stock is 2, not the 3 the form showed (the item is not sold twice); a
    stock the office changes moves by what it changed."""
    towels = await reward(loyalty_a, name="Towels", stock=3)
    _customer, address_id, headers = await shopper(loyalty_a, client_a, 500)
    async with client_for(app, f"{loyalty_a.slug}.localhost") as console:
        await console_client(console, loyalty_a, "owner")
        form = (await console.get(f"/p/loyalty/console/shop/{towels}")).text
        seen = re.search(r'name="stock_seen" value="(\d+)"', form).group(1)
        assert seen == "3"
        bought = await client_a.post("/p/loyalty/api/shop/redemptions", json={"reward_id": towels, "address_id": address_id},
                                     headers=headers)
        assert bought.status_code == 201
        fields = {"kind": "goods", "name": "Bamboo towels", "points": "100", "stock": "3", "stock_seen": seen, "active": "1"}
        assert (await post_form(console, f"/p/loyalty/console/shop/{towels}", fields)).status_code == 303
        assert await stock(loyalty_a, towels) == 2
        fields = {**fields, "stock": "12", "stock_seen": "2"}  # ten more came in
        assert (await post_form(console, f"/p/loyalty/console/shop/{towels}", fields)).status_code == 303
        assert await stock(loyalty_a, towels) == 12

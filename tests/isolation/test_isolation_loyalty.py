"""Every table of the loyalty plugin keeps franchises apart: with loyalty on for both, what A's
customer did (points, a check-in, a task, a tier, a redemption, a console adjustment) fills A's
rows, and B sees none of them under its RLS nor through its pages and API."""

from __future__ import annotations

import msgspec

from platform_core.db import current_connection
from platform_core.promotions import services as promotions
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import bearer_for, make_customer, with_session
from plugins.loyalty import checkin, points, shop, tasks, tiers


async def loyalty_tables() -> list[str]:
    rows = await current_connection().fetch(
        "select table_name from information_schema.tables where table_schema = 'public' and table_name like 'loyalty\\_%' "
        "order by table_name")
    return [r["table_name"] for r in rows]


async def test_tenant_b_sees_none_of_tenant_as_loyalty_rows(runtime, tenant_a, tenant_b, client_b, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    await enable_plugin(tenant_b, "loyalty")
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await points.award(customer, 500, reason="order", link="order:1", key="iso-award")
        await checkin.check_in(customer)
        await tasks.save_task(msgspec.convert({"code": "review", "kind": "review", "title": "评价", "reward_points": 5}, tasks.TaskInput))
        await tasks.complete_tasks(customer, "review", "review:1")
        await tiers.evaluate(customer)
        template = await promotions.create_template(msgspec.convert(
            {"name": "¥10", "kind": "amount_off", "amount_off": 1000, "per_customer_limit": 5}, CouponTemplateFields))
        reward = await shop.create_reward(msgspec.convert(
            {"kind": "coupon", "name": "¥10 券", "points": 100, "coupon_template_id": template.id, "active": True}, shop.RewardInput))
        redemption = await shop.redeem(customer, shop.RedeemRequest(reward_id=reward.id))
        tables = await loyalty_tables()
        filled = {t: await current_connection().fetchval(f"select count(*) from {t}") for t in tables}
    assert {"loyalty_member", "loyalty_movement", "loyalty_lot", "loyalty_checkin", "loyalty_task_completion",
            "loyalty_tier", "loyalty_goods", "loyalty_redemption"} <= {t for t, n in filled.items() if n}
    async with tenant_scope(tenant_b.id):
        seen = {t: await current_connection().fetchval(f"select count(*) from {t}") for t in tables}
    # B's own four default tiers are B's; nothing else of A's shows.
    assert {t: n for t, n in seen.items() if n} == {"loyalty_tier": 4}
    async with tenant_scope(tenant_b.id):
        assert await current_connection().fetchval("select count(*) from loyalty_tier where tenant_id = $1", tenant_a.id) == 0

    other = await make_customer(tenant_b)
    api = await bearer_for(tenant_b, "customer", other)
    assert (await client_b.get(f"/p/loyalty/api/shop/redemptions/{redemption.id}", headers=api)).status_code == 404
    points_b = (await client_b.get("/p/loyalty/api/points", headers=api)).json()
    assert points_b["balance"] == 0 and points_b["lines"] == []
    await with_session(client_b, tenant_b, "customer", other)
    assert (await client_b.get(f"/p/loyalty/shop/{reward.id}")).status_code == 404

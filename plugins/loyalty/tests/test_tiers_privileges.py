"""What a tier gives: priority dispatch (the score and its reason, first choice in a batch), the
birthday coupon once a year on the franchise's clock, vouchers once per tier-year, the dedicated
support agent, priority booking; and none of it where loyalty is off."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from platform_core import clock
from platform_core.db import current_connection
from platform_core.dispatch import scoring
from platform_core.dispatch.batch import run_batch
from platform_core.dispatch.candidates import rank_candidates
from platform_core.orders.services import get_order
from platform_core.promotions.schemas import CouponTemplateFields
from platform_core.promotions.services import create_template, customer_coupons
from platform_core.support.schemas import FeedbackCreate
from platform_core.support.services import inbox, send_feedback
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    HOME,
    NEAR,
    console_client,
    local_time,
    make_console_user,
    make_customer,
    make_item,
    make_order,
    make_worker,
)
from plugins.loyalty import points, privileges, tiers
from plugins.loyalty.tier_views import tier_fields_from, tier_panel

SOUTH = (31.2000, 121.4800)  # ~4.7 km from HOME


async def _set_tier(tenant, customer_id: int, code: str, since: datetime | None = None) -> None:
    async with tenant_scope(tenant.id):
        await points.lock_member(customer_id)
        await current_connection().execute(
            "update loyalty_member set tier_code = $2, tier_since = $3, downgrade_due = null where customer_id = $1",
            customer_id, code, since or clock.now())


async def _edit(tenant, code: str, **changes: str) -> tiers.Tier:
    async with tenant_scope(tenant.id):
        tier = await tiers.get_tier(code)
        from plugins.loyalty.tier_views import _form_values

        return await tiers.update_tier(code, tier_fields_from({**_form_values(tier), **changes}))


async def _template(tenant, name: str) -> int:
    async with tenant_scope(tenant.id):
        return (await create_template(CouponTemplateFields(name=name, kind="amount_off", amount_off=2000, valid_days=30,
                                                           per_customer_limit=10))).id


# ---- priority dispatch


async def test_a_members_order_scores_priority_with_a_visible_reason(runtime, tenant_a, client_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    item = await make_item(tenant_a, skills=("cleaning",))
    member, other = await make_customer(tenant_a), await make_customer(tenant_a)
    await _set_tier(tenant_a, member, "gold")
    await make_worker(tenant_a, name="Central", home=HOME)
    starts = local_time(tenant_a, 2)
    mine = await make_order(tenant_a, item_id=item, customer_id=member, starts=starts, at=NEAR, state="paid")
    theirs = await make_order(tenant_a, item_id=item, customer_id=other, starts=starts, at=NEAR, state="paid")
    async with tenant_scope(tenant_a.id):
        [candidate] = await rank_candidates(await get_order(mine))
        [plain] = await rank_candidates(await get_order(theirs))
    part = next(p for p in candidate.parts if p.name == "member_priority")
    assert part.source == "loyalty" and part.raw == 0.5 and "黄金会员" in part.detail and part.label == "会员优先"
    assert candidate.priority == 2 and plain.priority == 0
    assert all(p.name != "member_priority" for p in plain.parts)
    await console_client(client_a, tenant_a, "dispatcher")
    detail = await client_a.get(f"/console/dispatch/orders/{mine}")
    assert detail.status_code == 200 and "Member priority" in detail.text and "黄金会员" in detail.text  # an English page


async def test_in_a_batch_the_members_order_takes_the_contested_worker(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    await _edit(tenant_a, "gold", dispatch_bonus="1")  # a tiny score: the order wins by its priority, not its score
    item = await make_item(tenant_a, skills=("cleaning",))
    member, other = await make_customer(tenant_a), await make_customer(tenant_a)
    await _set_tier(tenant_a, member, "gold")
    central = await make_worker(tenant_a, name="Central", home=HOME, radius_km=10)
    starts = local_time(tenant_a, 2)
    near = await make_order(tenant_a, item_id=item, customer_id=other, starts=starts, at=NEAR, state="paid")
    far = await make_order(tenant_a, item_id=item, customer_id=member, starts=starts, at=SOUTH, state="paid")
    async with tenant_scope(tenant_a.id):
        [for_near] = await rank_candidates(await get_order(near))
        [for_far] = await rank_candidates(await get_order(far))
        assert for_near.score > for_far.score  # without priority the near order would win the one worker
        made = await run_batch()
    assert [(a.order_id, a.staff_id) for a in made] == [(far, central)]


def test_solve_batch_gives_higher_priority_rows_first_choice():
    scores = np.array([[0.9, 0.8], [0.2, 0.1], [0.95, 0.0]])
    feasible = np.array([[True, True], [True, True], [True, False]])
    assert scoring.solve_batch(scores, feasible) == [(0, 1), (2, 0)]
    # Row 1 chooses first (its best worker, 0); the others share what is left.
    assert scoring.solve_batch(scores, feasible, [0, 1, 0]) == [(0, 1), (1, 0)]
    assert scoring.solve_batch(scores, feasible, [0, 0, 0]) == scoring.solve_batch(scores, feasible)


# ---- birthday coupons, on the franchise's clock


async def test_the_birthday_coupon_comes_once_a_year_just_after_local_midnight(runtime, make_tenant, enable_plugin, monkeypatch):
    tenant = await make_tenant(prefix="bd", timezone="Asia/Shanghai")
    await enable_plugin(tenant, "loyalty")
    template = await _template(tenant, "生日券")
    await _edit(tenant, "regular", birthday_template_id=str(template))
    shanghai = ZoneInfo("Asia/Shanghai")
    day = date(2027, 3, 15)
    customer = await make_customer(tenant)
    async with tenant_scope(tenant.id):
        await current_connection().execute("update core_customer set birthday = $2 where id = $1", customer, date(1990, 3, 15))

    async def run_at(local: datetime) -> int:
        monkeypatch.setattr(clock, "now", lambda: local.astimezone(ZoneInfo("UTC")))
        async with tenant_scope(tenant.id):
            await privileges.run_birthday_job(None, {})
            return len(await customer_coupons(customer))

    # 23:59 on the 14th in Shanghai (15:59 UTC): not their day yet.
    assert await run_at(datetime.combine(day - timedelta(days=1), time(23, 59), tzinfo=shanghai)) == 0
    # 00:05 on the 15th in Shanghai is still the 14th in UTC: the coupon comes.
    assert await run_at(datetime.combine(day, time(0, 5), tzinfo=shanghai)) == 1
    assert await run_at(datetime.combine(day, time(9, 0), tzinfo=shanghai)) == 1  # a retry gives none again
    # The same birthday a year later: one more.
    next_year = date(2028, 3, 15)
    assert await run_at(datetime.combine(next_year, time(0, 6), tzinfo=shanghai)) == 2


async def test_a_leap_day_birthday_is_celebrated_on_the_28th_in_other_years(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    template = await _template(tenant_a, "生日券")
    await _edit(tenant_a, "regular", birthday_template_id=str(template))
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_customer set birthday = $2 where id = $1", customer, date(2000, 2, 29))
        assert await privileges.birthday_coupons(date(2027, 2, 28)) == 1
        assert await privileges.birthday_coupons(date(2028, 2, 28)) == 0
        assert await privileges.birthday_coupons(date(2028, 2, 29)) == 1


# ---- vouchers, the support agent, priority booking


async def test_vouchers_come_on_the_upgrade_and_again_each_tier_year(runtime, tenant_a, enable_plugin, customer, monkeypatch):
    await enable_plugin(tenant_a, "loyalty")
    template = await _template(tenant_a, "免费保洁券")
    await _edit(tenant_a, "silver", voucher_template_id=str(template), vouchers_per_year="2", min_bookings="1", min_spend="1")
    await make_order(tenant_a, customer_id=customer, state="completed", total=10_000, starts=clock.now() - timedelta(days=3))
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_order set paid_at = now() where customer_id = $1", customer)
        assert (await tiers.evaluate(customer)).tier.code == "silver"
        assert len(await customer_coupons(customer)) == 2
        await tiers.evaluate(customer)
        assert len(await customer_coupons(customer)) == 2  # not twice in a tier-year
    a_year_on = clock.now() + timedelta(days=366)
    monkeypatch.setattr(clock, "now", lambda: a_year_on)
    await make_order(tenant_a, customer_id=customer, state="completed", total=10_000, starts=a_year_on - timedelta(days=3))
    async with tenant_scope(tenant_a.id):
        await current_connection().execute("update core_order set paid_at = scheduled_start where customer_id = $1", customer)
        since = (await tiers.member_tier(customer)).since
        monkeypatch.setattr(clock, "now", lambda: since.replace(year=since.year + 1) + timedelta(hours=1))
        await tiers.evaluate_batch(0)
        assert len(await customer_coupons(customer)) == 4


async def test_a_members_feedback_goes_to_their_agent_named_in_the_member_centre(runtime, tenant_a, client_a, enable_plugin, customer):
    await enable_plugin(tenant_a, "loyalty")
    agent = await make_console_user(tenant_a, "support")
    await _edit(tenant_a, "gold", support_agent_id=str(agent.id))
    await _set_tier(tenant_a, customer, "gold")
    other = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await send_feedback(customer, FeedbackCreate(kind="problem", subject="漏扫了阳台", body="阳台没有打扫"))
        await send_feedback(other, FeedbackCreate(kind="suggestion", subject="建议", body="周末多排班"))
        rows = {row.customer_id: row for row in await inbox()}
        assert rows[customer].assigned_to == agent.id and rows[customer].assignee_name == agent.display_name
        assert rows[other].assigned_to is None
        panel = await tier_panel(customer)
        assert panel.support_agent == agent.display_name
        assert any(line.code == "support" and agent.display_name in line.label for line in panel.tier.privileges)
    await console_client(client_a, tenant_a, "owner")
    listing = await client_a.get("/console/feedback")
    assert listing.status_code == 200 and agent.display_name in listing.text


async def test_priority_booking_is_what_the_tier_carries(runtime, tenant_a, enable_plugin, customer):
    await enable_plugin(tenant_a, "loyalty")
    await _edit(tenant_a, "platinum", priority_categories="cleaning", priority_items="7, 9", priority_extra_days="10")
    async with tenant_scope(tenant_a.id):
        assert await privileges.priority_booking(customer) == ([], [], 0)
    await _set_tier(tenant_a, customer, "platinum")
    async with tenant_scope(tenant_a.id):
        assert await privileges.priority_booking(customer) == ([7, 9], ["cleaning"], 10)


# ---- loyalty off


async def test_where_loyalty_is_off_no_tier_hook_does_anything(runtime, tenant_a, tenant_b, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    item = await make_item(tenant_b, skills=("cleaning",))
    customer = await make_customer(tenant_b)
    agent = await make_console_user(tenant_b, "support")
    await make_worker(tenant_b, home=HOME)
    order = await make_order(tenant_b, item_id=item, customer_id=customer, starts=local_time(tenant_b, 2), at=NEAR, state="paid")
    async with tenant_scope(tenant_b.id):
        [candidate] = await rank_candidates(await get_order(order))
        assert all(p.source != "loyalty" for p in candidate.parts) and candidate.priority == 0
        await send_feedback(customer, FeedbackCreate(kind="problem", subject="x", body="y"))
        assert (await inbox())[0].assigned_to is None
        assert await current_connection().fetchval("select count(*) from loyalty_member") == 0
    assert agent.id

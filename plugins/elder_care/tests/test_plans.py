"""Care plans against the real database: visits placed as real orders a rolling window ahead in
the franchise's zone (Shanghai, and New York across the spring change), no duplicates when the
daily job runs twice, pausing, resuming and ending, the trial's two answers, the carer preferred
and the one replaced ruled out."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from platform_core.jobs.schemas import JobContext
from platform_core.pluginsys.contexts import DispatchCandidate, RequirementQuery
from platform_core.tenancy.context import tenant_scope
from plugins.elder_care import jobs, lifecycle, plans, plugin

from .helpers import carers, create_plan, family, order_rows, take, visits

SHANGHAI = ZoneInfo("Asia/Shanghai")


async def test_a_plan_places_its_visits_as_orders_at_the_local_time(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care", horizon_days=14, trial_days=7)
    fam = await family(tenant_a)
    await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    placed = [v for v in await visits(tenant_a, plan.id) if v.state == "placed"]
    async with tenant_scope(tenant_a.id):
        expected = [d for d in (plans.today() + timedelta(days=n) for n in range(1, 14)) if d.weekday() in (0, 2, 4)]
    assert [v.visit_date for v in placed] == expected
    orders = await order_rows(tenant_a, [v.order_id for v in placed])
    for visit in placed:
        order = orders[visit.order_id]
        local = order["scheduled_start"].astimezone(SHANGHAI)
        assert (local.date(), local.time()) == (visit.visit_date, time(9))
        assert order["scheduled_end"] - order["scheduled_start"] == timedelta(hours=3)  # hourly: the window's 3 hours
        assert order["payment_method"] == "after_service" and order["state"] == "paid"  # ready for dispatch, paid after
        # 3 hours at ¥60 and the level 2 surcharge (¥20 by default)
        assert order["total"] == 3 * 6000 + 2000
    assert plan.state == "trial"


async def test_the_daily_job_run_twice_places_each_visit_once(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care", horizon_days=7)
    fam = await family(tenant_a)
    await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1, weekdays=range(7))
    before = await visits(tenant_a, plan.id)
    await enable_plugin(tenant_a, "elder_care", horizon_days=10)
    for _ in range(2):
        async with tenant_scope(tenant_a.id) as context:
            await jobs.generate_visits(JobContext(tenant=context, job_id=1, attempt=1), {})
    after = await visits(tenant_a, plan.id)
    assert len(after) == len(before) + 3  # the wider window's three days, once
    assert len({v.order_id for v in after}) == len(after) == len({v.visit_date for v in after})


async def test_pausing_cancels_the_visits_ahead_and_resuming_books_them_again(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=2)
    first = {v.visit_date: v.order_id for v in await visits(tenant_a, plan.id)}
    async with tenant_scope(tenant_a.id):
        paused, cancelled, kept = await lifecycle.pause(plan.id)
        assert paused.state == "paused" and cancelled == len(first) and kept == 0
        # a paused plan places nothing
        assert await plans.generate(await plans.get_plan(plan.id), 14) == 0
    assert {o["state"] for o in (await order_rows(tenant_a, first.values())).values()} == {"cancelled"}
    async with tenant_scope(tenant_a.id):
        resumed = await lifecycle.resume(plan.id)
    assert resumed.state == "trial"
    again = {v.visit_date: v for v in await visits(tenant_a, plan.id)}
    assert set(again) == set(first) and all(v.state == "placed" and v.attempt == 2 for v in again.values())
    assert not set(v.order_id for v in again.values()) & set(first.values())  # new orders
    async with tenant_scope(tenant_a.id):
        ended, cancelled, _ = await lifecycle.end(plan.id)
        assert ended.state == "ended" and cancelled == len(again)
        with pytest.raises(Exception):
            await lifecycle.resume(plan.id)


async def test_an_open_ended_plan_stops_at_its_end_date(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    await carers(tenant_a)
    async with tenant_scope(tenant_a.id):
        ends = plans.today() + timedelta(days=5)
    plan = await create_plan(tenant_a, fam, starts_in=1, weekdays=range(7), ends_on=ends)
    assert max(v.visit_date for v in await visits(tenant_a, plan.id)) == ends


async def test_visits_keep_their_wall_clock_time_across_new_yorks_spring_change(runtime, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="ny", name="Brooklyn Care", timezone="America/New_York", currency="USD", locale="en")
    # Wednesday 10 March 2027, 08:00 in New York; the clocks go forward on Sunday the 14th.
    with time_machine.travel(datetime(2027, 3, 10, 13, 0, tzinfo=UTC), tick=True):
        await enable_plugin(tenant, "elder_care", horizon_days=10, trial_days=3)
        fam = await family(tenant)
        await carers(tenant)
        plan = await create_plan(tenant, fam, starts_in=1)  # from Thursday the 11th
        placed = [v for v in await visits(tenant, plan.id) if v.state == "placed"]
        orders = await order_rows(tenant, [v.order_id for v in placed])
    starts = {v.visit_date: orders[v.order_id]["scheduled_start"].astimezone(UTC) for v in placed}
    assert starts[date(2027, 3, 12)] == datetime(2027, 3, 12, 14, 0, tzinfo=UTC)  # 09:00 EST
    assert starts[date(2027, 3, 15)] == datetime(2027, 3, 15, 13, 0, tzinfo=UTC)  # 09:00 EDT
    assert starts[date(2027, 3, 19)] == datetime(2027, 3, 19, 13, 0, tzinfo=UTC)
    assert sorted(starts) == [date(2027, 3, 12), date(2027, 3, 15), date(2027, 3, 17), date(2027, 3, 19)]


async def test_keeping_the_carer_ends_the_trial_and_prefers_them(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a)
    first, other = await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    ahead = await visits(tenant_a, plan.id)
    await take(tenant_a, ahead[0].order_id, first)
    async with tenant_scope(tenant_a.id) as context:
        kept = await lifecycle.confirm_carer(plan.id)
        assert kept.state == "active" and kept.carer_id == first
        scores = {staff: await plugin.compute_dispatch_scores(DispatchCandidate(
            tenant=context, order_id=ahead[1].order_id, staff_id=staff, category="elder_care")) for staff in (first, other)}
    assert scores[first][0].score == 1.0 and scores[other][0].score == 0.0 and scores[other][0].eligible


async def test_asking_for_another_carer_rules_them_out_and_books_the_visits_again(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care", trial_days=7)
    fam = await family(tenant_a)
    first, other = await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    ahead = await visits(tenant_a, plan.id)
    for visit in ahead[:2]:
        await take(tenant_a, visit.order_id, first)
    async with tenant_scope(tenant_a.id) as context:
        replaced, placed_again = await lifecycle.replace_carer(plan.id)
        assert replaced.state == "trial" and replaced.carer_id is None and replaced.excluded_carers == [first]
        assert placed_again == 2
        now = {v.visit_date: v for v in await plans.visits_of(plan.id, limit=50)}
        new_order = now[ahead[0].visit_date].order_id
        assert new_order != ahead[0].order_id and now[ahead[2].visit_date].order_id == ahead[2].order_id  # others untouched
        score = await plugin.compute_dispatch_scores(DispatchCandidate(tenant=context, order_id=new_order, staff_id=first,
                                                                       category="elder_care"))
        assert score[0].eligible is False
        ok = await plugin.compute_dispatch_scores(DispatchCandidate(tenant=context, order_id=new_order, staff_id=other,
                                                                    category="elder_care"))
        assert ok[0].eligible is True
    old = await order_rows(tenant_a, [ahead[0].order_id, ahead[1].order_id])
    assert {o["state"] for o in old.values()} == {"cancelled"}


async def test_the_level_sets_the_requirement_of_the_plans_orders_and_of_booking(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "elder_care")
    fam = await family(tenant_a, cognition="severe")  # severe impairment: level 4
    await carers(tenant_a)
    plan = await create_plan(tenant_a, fam, starts_in=1)
    order_id = (await visits(tenant_a, plan.id))[0].order_id
    async with tenant_scope(tenant_a.id) as context:
        by_order = await plugin.compute_order_requirements(RequirementQuery(
            tenant=context, category="elder_care", item_id=plan.item_id, order_id=order_id))
        by_customer = await plugin.compute_order_requirements(RequirementQuery(
            tenant=context, category="elder_care", item_id=plan.item_id, customer_id=fam.customer_id))
        visitor = await plugin.compute_order_requirements(RequirementQuery(tenant=context, category="elder_care", item_id=plan.item_id))
        other = await plugin.compute_order_requirements(RequirementQuery(tenant=context, category="cleaning", item_id=plan.item_id))
    assert by_order.credentials == by_customer.credentials == ["elderly_carer", "health_certificate", "first_aid", "senior_elderly_carer"]
    assert by_order.courses == ["elder-care-basics"] and "4" in by_order.reason
    assert visitor.credentials == ["elderly_carer", "health_certificate"]
    assert other is None


async def test_booking_elder_care_waits_for_the_care_assessment(runtime, tenant_a, enable_plugin):
    from platform_core.booking.availability import item_availability
    from platform_core.errors import ValidationFailed
    from platform_core.plugin_api import place_order_for
    from platform_core.testing.factories import make_address, make_customer

    await enable_plugin(tenant_a, "elder_care")
    await carers(tenant_a)
    fam = await family(tenant_a)
    newcomer = await make_customer(tenant_a, name="Zhou")
    address = await make_address(tenant_a, newcomer)
    async with tenant_scope(tenant_a.id):
        day = (plans.today() + timedelta(days=2)).isoformat()
        with pytest.raises(ValidationFailed) as closed:
            await item_availability(item="elder-bathing", day=day, customer_id=newcomer)
        assert "护理评估" in closed.value.fields["slot_start"]  # the franchise speaks Chinese
        # A visitor still sees the times (signing in comes first), and so does an assessed family.
        assert (await item_availability(item="elder-bathing", day=day)).slots
        offered = (await item_availability(item="elder-bathing", day=day, customer_id=fam.customer_id)).slots
        assert offered
        with pytest.raises(ValidationFailed) as refused:
            await place_order_for(newcomer, item_id=fam.items["elder-bathing"], slot_start=offered[0].start, address_id=address,
                                  idempotency_key="first-visit")
        assert "护理评估" in refused.value.fields["slot_start"]

"""Eligibility and scores, the exclusion constraint, and offers passing from worker to worker
until one accepts or nobody is left."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import asyncpg
import pytest
from asyncpg import Range

from platform_core import clock
from platform_core.db import current_connection
from platform_core.dispatch import offers, services
from platform_core.dispatch.candidates import rank_candidates
from platform_core.orders.schemas import SYSTEM, ActorRef
from platform_core.orders.services import get_order, transition
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import DispatchScore
from platform_core.scheduling import calendar
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    FAR,
    HOME,
    NEAR,
    eventually,
    local_time,
    make_customer,
    make_item,
    make_order,
    make_worker,
    order_state,
    set_dispatch,
)


async def _ranked(tenant, order_id, **kwargs):
    async with tenant_scope(tenant.id):
        return await rank_candidates(await get_order(order_id), **kwargs)


async def test_only_active_skilled_free_workers_within_reach_are_candidates(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning", "deep"))
    customer = await make_customer(tenant_a)
    starts = local_time(tenant_a, days_ahead=2, hour=10)
    good = await make_worker(tenant_a, name="Good", skills=("cleaning", "deep"), home=HOME)
    await make_worker(tenant_a, name="Unskilled", skills=("cleaning",), home=HOME)
    await make_worker(tenant_a, name="Inactive", skills=("cleaning", "deep"), status="inactive", home=HOME)
    await make_worker(tenant_a, name="Faraway", skills=("cleaning", "deep"), home=(31.9, 121.9), radius_km=5)
    await make_worker(tenant_a, name="Evenings", skills=("cleaning", "deep"), hours="mon-sun 16:00-22:00", home=HOME)
    off = await make_worker(tenant_a, name="Day off", skills=("cleaning", "deep"), home=HOME)
    busy = await make_worker(tenant_a, name="Busy", skills=("cleaning", "deep"), home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts, state="paid", at=NEAR)
    other = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts + timedelta(hours=1), state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        await conn.execute("insert into core_staff_time_off (tenant_id, staff_id, during) values ($1, $2, $3)",
                           tenant_a.id, off, Range(starts - timedelta(hours=3), starts + timedelta(hours=20)))
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) values ($1, $2, $3, $4, 'accepted', 'manual')",
            tenant_a.id, other, busy, Range(starts + timedelta(hours=1), starts + timedelta(hours=3)),
        )
    assert [c.staff_id for c in await _ranked(tenant_a, order)] == [good]


async def test_a_stay_goes_to_a_worker_whose_weekly_hours_do_not_cover_it_but_not_to_one_off_or_booked_midway(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("maternity",))
    customer = await make_customer(tenant_a)
    starts = local_time(tenant_a, days_ahead=3, hour=9)
    evenings = await make_worker(tenant_a, name="Evenings", skills=("maternity",), hours="mon-sun 16:00-22:00", home=HOME)
    off = await make_worker(tenant_a, name="Off midway", skills=("maternity",), home=HOME)
    busy = await make_worker(tenant_a, name="Busy midway", skills=("maternity",), home=HOME)
    stay = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts, hours=26 * 24, state="paid", at=NEAR)
    other = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts + timedelta(days=10), state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        await conn.execute("insert into core_staff_time_off (tenant_id, staff_id, during) values ($1, $2, $3)",
                           tenant_a.id, off, Range(starts + timedelta(days=12), starts + timedelta(days=13)))
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) values ($1, $2, $3, $4, 'accepted', 'manual')",
            tenant_a.id, other, busy, Range(starts + timedelta(days=10), starts + timedelta(days=10, hours=2)),
        )
    assert [c.staff_id for c in await _ranked(tenant_a, stay)] == [evenings]


async def test_the_nearer_better_rated_worker_ranks_first_and_the_score_explains_why(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    near = await make_worker(tenant_a, name="Near", home=NEAR, rating=4.9, rating_count=20)
    far = await make_worker(tenant_a, name="Far", home=FAR, rating=3.0, rating_count=20)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), at=NEAR, state="paid")
    ranked = await _ranked(tenant_a, order)
    assert [c.staff_id for c in ranked] == [near, far]
    parts = {p.name: p for p in ranked[0].parts}
    assert set(parts) == {"distance", "rating", "workload", "skills"}
    assert parts["distance"].raw == pytest.approx(1.0, abs=0.01)
    assert parts["rating"].raw == pytest.approx(0.98)
    assert sum(p.contribution for p in ranked[0].parts) == pytest.approx(ranked[0].score, abs=1e-3)


async def test_tenant_weights_change_the_ranking(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    near = await make_worker(tenant_a, name="Near, new", home=NEAR)
    far = await make_worker(tenant_a, name="Far, loved", home=FAR, rating=5, rating_count=50)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), at=NEAR, state="paid")
    await set_dispatch(tenant_a, weights={"distance": 1, "rating": 0, "workload": 0, "skills": 0})
    assert (await _ranked(tenant_a, order))[0].staff_id == near
    await set_dispatch(tenant_a, weights={"distance": 0, "rating": 1, "workload": 0, "skills": 0})
    assert (await _ranked(tenant_a, order))[0].staff_id == far


class MemberPriority:
    """A dispatch plugin: rules out one worker, and scores the others."""

    def __init__(self, banned: int) -> None:
        self.banned = banned

    @hookimpl
    def compute_dispatch_scores(self, candidate):
        if candidate.staff_id == self.banned:
            return [DispatchScore(name="elder_care", score=0, eligible=False, reason="no certificate")]
        return [DispatchScore(name="member_priority", score=1.0, reason="gold member")]


async def test_plugins_score_and_rule_out_workers_through_the_dispatch_hook(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    kept = await make_worker(tenant_a, name="Certified", home=HOME)
    banned = await make_worker(tenant_a, name="Uncertified", home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), state="paid", at=NEAR)
    runtime.pm.register(MemberPriority(banned), name="core.test_member_priority")
    try:
        ranked = await _ranked(tenant_a, order)
    finally:
        runtime.pm.unregister(name="core.test_member_priority")
    assert [c.staff_id for c in ranked] == [kept]
    plugin_part = next(p for p in ranked[0].parts if p.name == "member_priority")
    assert (plugin_part.source, plugin_part.detail) == ("core.test_member_priority", "gold member")


async def test_overlapping_live_assignments_of_one_worker_are_refused_back_to_back_are_not(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    worker = await make_worker(tenant_a, home=HOME)
    starts = local_time(tenant_a, 3)
    first, second, third = [
        await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts + timedelta(hours=h), state="paid", at=NEAR) for h in (0, 1, 2)
    ]
    insert = ("insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) "
              "values ($1, $2, $3, $4, $5, 'manual')")
    async with tenant_scope(tenant_a.id):
        await current_connection().execute(insert, tenant_a.id, first, worker, Range(starts, starts + timedelta(hours=2)), "accepted")
    with pytest.raises(asyncpg.ExclusionViolationError):
        async with tenant_scope(tenant_a.id):
            await current_connection().execute(
                insert, tenant_a.id, second, worker, Range(starts + timedelta(hours=1), starts + timedelta(hours=3)), "offered")
    async with tenant_scope(tenant_a.id):
        # Right after the first visit ends: no overlap ([start, end) ranges).
        await current_connection().execute(
            insert, tenant_a.id, third, worker, Range(starts + timedelta(hours=2), starts + timedelta(hours=4)), "offered")
        # A declined offer holds no time.
        await current_connection().execute(
            insert, tenant_a.id, second, worker, Range(starts + timedelta(hours=1), starts + timedelta(hours=3)), "declined")


async def _pay(tenant, order_id):
    async with tenant_scope(tenant.id):
        await transition(order_id, "pay", SYSTEM)


async def _live(tenant, order_id):
    async with tenant_scope(tenant.id):
        return await services.live_assignment(order_id)


async def test_a_paid_order_is_offered_to_the_best_worker_with_its_score_breakdown(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    best = await make_worker(tenant_a, name="Best", home=NEAR, rating=5, rating_count=10)
    await make_worker(tenant_a, name="Second", home=FAR)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1),
                             state="pending_payment", asap=True, at=NEAR)
    await _pay(tenant_a, order)
    assignment = await eventually(lambda: _live(tenant_a, order))
    assert assignment is not None and assignment.staff_id == best
    assert assignment.status == "offered" and assignment.source == "auto"
    assert {p["name"] for p in assignment.score_breakdown["parts"]} >= {"distance", "rating", "workload", "skills"}
    assert await order_state(tenant_a, order) == "assigned"
    async with tenant_scope(tenant_a.id):
        timeout_job = await current_connection().fetchrow("select run_at from core_job where kind = 'dispatch.offer_timeout' and key = $1",
                                                          f"offer:{assignment.id}")
    assert timeout_job["run_at"] == assignment.expires_at


async def test_declines_and_timeouts_pass_the_order_on_until_it_lands_in_the_exception_queue(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    first = await make_worker(tenant_a, name="First", home=HOME, rating=5, rating_count=10)
    second = await make_worker(tenant_a, name="Second", home=FAR, rating=3, rating_count=10)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="pending_payment",
                             asap=True, at=NEAR)
    await _pay(tenant_a, order)
    offer = await eventually(lambda: _live(tenant_a, order))
    assert offer.staff_id == first

    async with tenant_scope(tenant_a.id):
        await offers.decline_offer(first, offer.id, reason="too far today")
    offer = await eventually(lambda: _live(tenant_a, order))
    assert offer.staff_id == second

    async with tenant_scope(tenant_a.id):
        assert not await offers.expire_offer(offer.id)  # not due yet
        await current_connection().execute("update core_assignment set expires_at = $2 where id = $1", offer.id, clock.now() - timedelta(seconds=1))
    async with tenant_scope(tenant_a.id):
        assert await offers.expire_offer(offer.id)
    assert await eventually(lambda: _is(tenant_a, order, "dispatch_failed")) == "dispatch_failed"
    async with tenant_scope(tenant_a.id):
        history = await services.assignments_of_order(order)
        events = [r["event"] for r in await current_connection().fetch(
            "select event from core_order_event where order_id = $1 order by id", order)]
    assert [(a.staff_id, a.status) for a in history] == [(first, "declined"), (second, "expired")]
    assert events == ["pay", "assign", "decline", "assign", "offer_expired", "dispatch_failed"]
    async with tenant_scope(tenant_a.id):
        note = await current_connection().fetchval(
            "select note from core_order_event where order_id = $1 and event = 'dispatch_failed'", order)
    assert note == "没有符合条件且有空的服务人员。"  # the franchise's language (zh_CN) on its timeline


async def _is(tenant, order_id, state):
    current = await order_state(tenant, order_id)
    return current if current == state else None


async def test_a_worker_who_accepts_holds_the_job(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    worker = await make_worker(tenant_a, home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="pending_payment",
                             asap=True, at=NEAR)
    await _pay(tenant_a, order)
    offer = await eventually(lambda: _live(tenant_a, order))
    async with tenant_scope(tenant_a.id):
        accepted = await offers.accept_offer(worker, offer.id)
    assert accepted.status == "accepted"
    assert await order_state(tenant_a, order) == "accepted"
    async with tenant_scope(tenant_a.id):
        # An expired timer after the answer changes nothing.
        await current_connection().execute("update core_assignment set expires_at = $2 where id = $1", offer.id, clock.now() - timedelta(seconds=1))
        assert not await offers.expire_offer(offer.id)


async def test_the_customers_pick_is_the_only_worker_asked(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    await make_worker(tenant_a, name="Better", rating=5, rating_count=10, home=HOME)
    picked = await make_worker(tenant_a, name="Picked", home=FAR)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 3), state="pending_payment",
                             requested_staff_id=picked, at=NEAR)
    await _pay(tenant_a, order)
    offer = await eventually(lambda: _live(tenant_a, order))
    assert (offer.staff_id, offer.source) == (picked, "customer")
    async with tenant_scope(tenant_a.id):
        await offers.decline_offer(picked, offer.id)

    async def retry_job():
        async with tenant_scope(tenant_a.id):
            return await current_connection().fetchval(
                "select id from core_job where kind = 'dispatch.assign' and key like $1", f"retry:{order}:%")

    # Three days before the visit: the order waits for its pick (or the office) until the deadline.
    assert await eventually(retry_job) is not None
    assert await order_state(tenant_a, order) == "paid"


async def test_manual_mode_leaves_paid_orders_to_the_dispatcher(runtime, tenant_a):
    await set_dispatch(tenant_a, mode="manual")
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    await make_worker(tenant_a, home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="pending_payment",
                             asap=True, at=NEAR)
    await _pay(tenant_a, order)
    async with tenant_scope(tenant_a.id):
        job = await current_connection().fetchval("select id from core_job where kind = 'dispatch.assign' and payload->>'order_id' = $1",
                                                  str(order))
    assert job is not None
    await eventually(lambda: _job_done(tenant_a, job))
    assert await order_state(tenant_a, order) == "paid"


async def _job_done(tenant, job_id):
    async with tenant_scope(tenant.id):
        return await current_connection().fetchval("select done_at is not null from core_job where id = $1", job_id)


async def test_a_cancelled_order_frees_its_workers_time(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    worker = await make_worker(tenant_a, home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="pending_payment",
                             asap=True, at=NEAR)
    await _pay(tenant_a, order)
    offer = await eventually(lambda: _live(tenant_a, order))
    async with tenant_scope(tenant_a.id):
        await transition(order, "cancel_by_franchise", SYSTEM)
        assert await services.live_assignment(order) is None
        assert (await services.get_assignment(offer.id)).status == "released"
        assert await calendar.busy_ranges([worker], offer.starts, offer.ends) == {worker: []}


async def test_the_offer_timeout_job_passes_an_unanswered_offer_to_the_next_worker(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    slow = await make_worker(tenant_a, name="Slow", home=HOME, rating=5, rating_count=10)
    quick = await make_worker(tenant_a, name="Quick", home=FAR)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="pending_payment",
                             asap=True, at=NEAR)
    await _pay(tenant_a, order)
    offer = await eventually(lambda: _live(tenant_a, order))
    assert offer.staff_id == slow
    async with tenant_scope(tenant_a.id):
        # The deadline passes: the job scheduled for it is due now.
        conn = current_connection()
        await conn.execute("update core_assignment set expires_at = $2 where id = $1", offer.id, clock.now())
        await conn.execute("update core_job set run_at = $2 where kind = 'dispatch.offer_timeout' and key = $1", f"offer:{offer.id}", clock.now())
        await conn.execute("select pg_notify('hearth_jobs', '')")

    async def next_offer():
        live = await _live(tenant_a, order)
        return live if live and live.staff_id == quick else None

    assert (await eventually(next_offer)) is not None
    async with tenant_scope(tenant_a.id):
        assert (await services.get_assignment(offer.id)).status == "expired"


async def test_two_overlapping_orders_offered_at_once_to_the_only_worker_exactly_one_gets_them(runtime, tenant_a):
    await set_dispatch(tenant_a, mode="manual")
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    worker = await make_worker(tenant_a, home=HOME)
    starts = local_time(tenant_a, 2)
    orders = [await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts + timedelta(minutes=30 * n), state="paid", at=NEAR)
              for n in range(2)]

    async def offer(order_id):
        async with tenant_scope(tenant_a.id):
            return await offers.offer_next(order_id)

    # Both transactions see the worker free; the exclusion constraint lets one insert through.
    results = await asyncio.gather(*(offer(o) for o in orders))
    assert [r.staff_id for r in results if r is not None] == [worker]
    # The other waits (two days before its visit, well before its deadline).
    assert sorted([await order_state(tenant_a, o) for o in orders]) == ["assigned", "paid"]


async def test_in_customer_pick_mode_an_order_without_a_pick_waits_for_the_dispatcher(runtime, tenant_a):
    await set_dispatch(tenant_a, mode="customer_pick")
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    await make_worker(tenant_a, home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="pending_payment",
                             asap=True, at=NEAR)
    await _pay(tenant_a, order)
    async with tenant_scope(tenant_a.id):
        job = await current_connection().fetchval("select id from core_job where kind = 'dispatch.assign' and payload->>'order_id' = $1",
                                                  str(order))
    assert await eventually(lambda: _job_done(tenant_a, job))
    assert await order_state(tenant_a, order) == "paid"


async def test_a_no_show_sent_back_to_dispatch_goes_to_another_worker(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    absent = await make_worker(tenant_a, name="Absent", home=HOME, rating=5, rating_count=10)
    other = await make_worker(tenant_a, name="Other", home=FAR)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="pending_payment",
                             asap=True, at=NEAR)
    await _pay(tenant_a, order)
    offer = await eventually(lambda: _live(tenant_a, order))
    office = ActorRef(kind="console", id=1, permissions=frozenset({"orders.manage"}))
    async with tenant_scope(tenant_a.id):
        await offers.accept_offer(absent, offer.id)
        await transition(order, "report_no_show", office)
        await transition(order, "resolve_redispatch", office)

    async def offered_to_other():
        live = await _live(tenant_a, order)
        return live if live and live.staff_id == other else None

    assert (await eventually(offered_to_other)) is not None
    async with tenant_scope(tenant_a.id):
        assert (await services.get_assignment(offer.id)).status == "released"


async def test_the_dispatcher_gives_a_no_show_to_another_worker_by_hand(runtime, tenant_a):
    await set_dispatch(tenant_a, mode="manual")
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    absent = await make_worker(tenant_a, name="Absent", home=HOME)
    other = await make_worker(tenant_a, name="Other", home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="paid", at=NEAR)
    office = ActorRef(kind="console", id=1, permissions=frozenset({"orders.manage", "dispatch.manage"}))
    async with tenant_scope(tenant_a.id):
        first = await offers.assign_by_hand(order, absent, office)
        await offers.accept_offer(absent, first.id)
        await transition(order, "report_no_show", office)
        assert order in await offers.waiting_order_ids(("paid", "dispatch_failed", "no_show"))
        second = await offers.assign_by_hand(order, other, office)
        assert (await services.get_assignment(first.id)).status == "released"
        assert (await get_order(order)).state == "assigned"
    assert second.staff_id == other


async def test_the_worker_gets_the_offer_by_sms_and_in_the_inbox(runtime, tenant_a, sms):
    await set_dispatch(tenant_a, mode="manual")
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    worker = await make_worker(tenant_a, phone="+8613912345678", home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 1), state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        offer = await offers.offer_next(order)
        conn = current_connection()
        # The SMS job is queued with the offer; taken out again before commit so that no job
        # worker (of this process or of the browser tests' server) sends it: this test does.
        queued = await conn.fetchval("delete from core_job where kind = 'dispatch.offer_sms' and key = $1 returning 1",
                                     f"offer-sms:{offer.id}")
        number = await conn.fetchval("select number from core_order where id = $1", order)
        inbox = await conn.fetch("select link from core_notification where recipient_kind = 'staff' and recipient_id = $1", worker)
    assert queued == 1
    assert [r["link"] for r in inbox] == [f"/staff/jobs/{offer.id}"]
    async with tenant_scope(tenant_a.id) as tenant:
        await offers.send_offer_sms(tenant, offer.id)
    (message,) = [m for m in sms.sent_to("+8613912345678") if m.purpose == "job_offer"]
    assert number in message.body
    async with tenant_scope(tenant_a.id) as tenant:
        await offers.accept_offer(worker, offer.id)
        await offers.send_offer_sms(tenant, offer.id)  # answered meanwhile: nothing more is sent
    assert len([m for m in sms.sent_to("+8613912345678") if m.purpose == "job_offer"]) == 1

async def test_a_stay_over_several_days_ignores_weekly_hours_but_not_days_off_or_held_jobs(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("maternity",), duration=26 * 24 * 60)
    customer = await make_customer(tenant_a)
    free = await make_worker(tenant_a, name="Free", skills=("maternity",), home=HOME)
    resting = await make_worker(tenant_a, name="Resting", skills=("maternity",), home=HOME)
    booked = await make_worker(tenant_a, name="Booked", skills=("maternity",), home=HOME)
    starts = local_time(tenant_a, 3, 8)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts, hours=26 * 24, state="paid", at=NEAR)
    other = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts + timedelta(days=10), state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        await conn.execute("insert into core_staff_time_off (tenant_id, staff_id, during) values ($1, $2, $3)",
                           tenant_a.id, resting, Range(starts + timedelta(days=5), starts + timedelta(days=6)))
        await conn.execute(
            "insert into core_assignment (tenant_id, order_id, staff_id, during, status, source) values ($1, $2, $3, $4, 'accepted', 'manual')",
            tenant_a.id, other, booked, Range(starts + timedelta(days=10), starts + timedelta(days=10, hours=2)),
        )
    assert [c.staff_id for c in await _ranked(tenant_a, order)] == [free]

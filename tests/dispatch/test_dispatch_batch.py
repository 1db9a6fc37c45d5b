"""Batch dispatch of scheduled orders: assigned together, optimally, not first come first served."""

from __future__ import annotations

from platform_core import clock
from platform_core.db import current_connection
from platform_core.dispatch import services
from platform_core.dispatch.batch import run_batch
from platform_core.orders.schemas import SYSTEM
from platform_core.orders.services import transition
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    FAR,
    HOME,
    NEAR,
    console_client,
    eventually,
    local_time,
    make_customer,
    make_item,
    make_order,
    make_worker,
    order_state,
    post_form,
    set_dispatch,
)

SOUTH = (31.2000, 121.4800)  # ~4.7 km from HOME, ~12 km from FAR


async def test_scheduled_orders_are_assigned_together_so_that_both_get_a_worker(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    central = await make_worker(tenant_a, name="Central", home=HOME, radius_km=10, rating=5, rating_count=10)
    northern = await make_worker(tenant_a, name="Northern", home=FAR, radius_km=9, rating=4, rating_count=10)
    starts = local_time(tenant_a, 2)
    # First come, first served would give the first order to Central (nearest, best rated) and
    # leave the second, which only Central reaches, without anyone.
    first = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts, at=NEAR, state="paid")
    second = await make_order(tenant_a, item_id=item, customer_id=customer, starts=starts, at=SOUTH, state="paid")
    async with tenant_scope(tenant_a.id):
        made = await run_batch()
        by_order = {a.order_id: a for a in made}
    assert by_order[first].staff_id == northern and by_order[second].staff_id == central
    assert {a.source for a in made} == {"batch"}
    assert await order_state(tenant_a, first) == "assigned" and await order_state(tenant_a, second) == "assigned"


async def test_a_worker_free_for_two_scheduled_orders_gets_both_in_later_rounds(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    worker = await make_worker(tenant_a, home=HOME)
    morning = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2, 9), state="paid", at=NEAR)
    afternoon = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2, 14), state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        made = await run_batch()
    assert sorted(a.order_id for a in made) == sorted([morning, afternoon])
    assert {a.staff_id for a in made} == {worker}


async def test_orders_nobody_can_take_in_a_batch_wait_and_are_tried_again_before_their_deadline(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("aircon",))
    customer = await make_customer(tenant_a)
    await make_worker(tenant_a, skills=("cleaning",), home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        assert await run_batch() == []
    assert await order_state(tenant_a, order) == "paid"
    async with tenant_scope(tenant_a.id):
        retry = await current_connection().fetchval(
            "select run_at from core_job where kind = 'dispatch.assign' and key like $1", f"retry:{order}:%")
    assert retry is not None and retry > clock.now()


async def test_a_paid_scheduled_order_waits_for_the_next_batch_window(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    await make_worker(tenant_a, home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 3), state="pending_payment", at=NEAR)
    async with tenant_scope(tenant_a.id):
        await transition(order, "pay", SYSTEM)

    async def batch_job():
        async with tenant_scope(tenant_a.id):
            return await current_connection().fetchrow("select run_at, key from core_job where kind = 'dispatch.batch'")

    job = await eventually(batch_job)
    assert job is not None and job["key"].startswith("batch:") and job["run_at"].minute % 15 == 0
    assert await order_state(tenant_a, order) == "paid"
    async with tenant_scope(tenant_a.id):
        assert await services.live_assignment(order) is None


async def test_in_manual_mode_only_the_dispatchers_button_runs_a_batch(runtime, tenant_a, client_a):
    await set_dispatch(tenant_a, mode="manual")
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    worker = await make_worker(tenant_a, home=HOME)
    order = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), state="paid", at=NEAR)
    async with tenant_scope(tenant_a.id):
        assert await run_batch() == []  # the window job leaves manual mode alone
    await console_client(client_a, tenant_a)
    response = await post_form(client_a, "/console/dispatch/batch")
    assert response.status_code == 303 and response.headers["location"] == "/console/dispatch?done=batch"
    async with tenant_scope(tenant_a.id):
        live = await services.live_assignment(order)
    assert (live.staff_id, live.source) == (worker, "batch")


async def test_the_dispatchers_button_tries_the_exception_queue_again(runtime, tenant_a):
    item = await make_item(tenant_a, skills=("cleaning",))
    customer = await make_customer(tenant_a)
    stuck = await make_order(tenant_a, item_id=item, customer_id=customer, starts=local_time(tenant_a, 2), state="dispatch_failed", at=NEAR)
    async with tenant_scope(tenant_a.id):
        assert await run_batch(by_hand=True) == []  # still nobody: it stays where it is
    assert await order_state(tenant_a, stuck) == "dispatch_failed"
    newcomer = await make_worker(tenant_a, name="Newcomer", home=HOME)
    async with tenant_scope(tenant_a.id):
        assert await run_batch() == []  # the window job leaves the exception queue to the office
        (made,) = await run_batch(by_hand=True)
    assert (made.order_id, made.staff_id) == (stuck, newcomer)
    assert await order_state(tenant_a, stuck) == "assigned"

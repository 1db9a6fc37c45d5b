"""A customer cancelling while the worker answers the offer: every path locks the order first,
so the pairs take turns instead of deadlocking, the loser hears a clear 409, and no worker is
left holding time for a cancelled order."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from platform_core import clock
from platform_core.db import current_connection
from platform_core.dispatch import offers
from platform_core.orders.schemas import SYSTEM
from platform_core.orders.services import transition
from platform_core.pluginsys import hookimpl
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    local_time,
    make_customer,
    make_item,
    make_order,
    make_worker,
    order_state,
    set_dispatch,
)

PAIRS = 56


async def _offered_orders(tenant, count: int):
    """`count` orders of one customer, each offered to one of three workers at its own time."""
    await set_dispatch(tenant, mode="manual")  # a declined order waits for the office: nothing else moves it
    item = await make_item(tenant, skills=("cleaning",))
    customer = await make_customer(tenant)
    workers = [await make_worker(tenant, name=f"Worker {n}") for n in range(3)]
    first = local_time(tenant, days_ahead=3, hour=8)
    orders = []
    for n in range(count):
        worker = workers[n % 3]
        order_id = await make_order(tenant, item_id=item, customer_id=customer, state="assigned", staff_id=worker,
                                    assignment="offered", starts=first + timedelta(hours=3 * (n // 3)), hours=2)
        async with tenant_scope(tenant.id):
            row = await current_connection().fetchrow(
                "select o.number, a.id as assignment_id from core_order o join core_assignment a on a.order_id = o.id "
                "where o.id = $1", order_id)
        orders.append((order_id, row["number"], worker, row["assignment_id"]))
    return customer, orders


async def test_cancels_racing_accepts_and_declines_never_deadlock_or_leave_a_worker_on_a_cancelled_order(
        runtime, tenant_a, client_a):
    customer, orders = await _offered_orders(tenant_a, PAIRS)
    customer_auth = await bearer_for(tenant_a, "customer", customer)
    worker_auth = {w: await bearer_for(tenant_a, "staff", w) for w in {o[2] for o in orders}}

    async def cancel(number):
        return await client_a.post(f"/api/v1/orders/{number}/cancel", json={"reason": "plans changed"}, headers=customer_auth)

    async def answer(n, worker, assignment_id):
        if n % 2:
            return await client_a.post(f"/api/v1/staff/jobs/{assignment_id}/decline", json={"reason": "busy"},
                                       headers=worker_auth[worker])
        return await client_a.post(f"/api/v1/staff/jobs/{assignment_id}/accept", headers=worker_auth[worker])

    calls = []
    for n, (_, number, worker, assignment_id) in enumerate(orders):
        # Half the pairs start with the cancel, half with the answer.
        pair = [cancel(number), answer(n, worker, assignment_id)]
        calls.extend(pair if n % 4 < 2 else reversed(pair))
    responses = await asyncio.gather(*calls)

    assert [r.status_code for r in responses if r.status_code >= 500] == []
    for r in responses:
        assert r.status_code in (200, 204, 409), r.text
        if r.status_code == 409:
            assert r.json()["error"]["code"] == "conflict" and r.json()["error"]["message"]
    # Every order ends cancelled (a customer may cancel an accepted order too) and nobody holds it.
    assert {await order_state(tenant_a, o[0]) for o in orders} == {"cancelled"}
    async with tenant_scope(tenant_a.id):
        conn = current_connection()
        live = await conn.fetchval(
            "select count(*) from core_assignment a join core_order o on o.id = a.order_id "
            "where o.state = 'cancelled' and a.status in ('offered', 'accepted')")
        workers_on_cancelled = await conn.fetchval(
            "select count(*) from core_order where state = 'cancelled' and staff_id is not null")
    assert (live, workers_on_cancelled) == (0, 0)
    # Some answers lost to a cancel that came first, and were told so.
    assert any(r.status_code == 409 for r in responses)


async def test_the_offer_timeout_closes_an_offer_whose_order_moved_on_and_does_not_retry(runtime, tenant_a):
    _, [(order_id, _, _, assignment_id)] = await _offered_orders(tenant_a, 1)
    async with tenant_scope(tenant_a.id):
        # What an older release left behind: an open offer on an order already cancelled.
        conn = current_connection()
        await conn.execute("update core_order set state = 'cancelled', staff_id = null where id = $1", order_id)
        await conn.execute("update core_assignment set expires_at = $2 where id = $1", assignment_id, clock.now() - timedelta(seconds=1))
    async with tenant_scope(tenant_a.id):
        assert await offers.expire_offer(assignment_id)
    async with tenant_scope(tenant_a.id):
        status = await current_connection().fetchval("select status from core_assignment where id = $1", assignment_id)
        events = await current_connection().fetchval("select count(*) from core_order_event where order_id = $1", order_id)
    assert (status, events) == ("expired", 0)
    assert await order_state(tenant_a, order_id) == "cancelled"


class FailingReaction:
    """A core domain whose reaction to a cancel fails (as dispatch's release did when killed)."""

    @hookimpl
    async def on_order_cancelled(self, event):
        raise RuntimeError("the reaction failed")


async def test_a_core_reaction_that_fails_undoes_the_cancel_instead_of_being_swallowed(runtime, tenant_a):
    _, [(order_id, _, _, assignment_id)] = await _offered_orders(tenant_a, 1)
    runtime.pm.register(FailingReaction(), name="core.test_failing_reaction")
    try:
        with pytest.raises(RuntimeError):
            async with tenant_scope(tenant_a.id):
                await transition(order_id, "cancel_by_franchise", SYSTEM)
    finally:
        runtime.pm.unregister(name="core.test_failing_reaction")
    # Nothing half-written: the order is not cancelled, and its offer is still open.
    assert await order_state(tenant_a, order_id) == "assigned"
    async with tenant_scope(tenant_a.id):
        assert await current_connection().fetchval("select status from core_assignment where id = $1", assignment_id) == "offered"

"""The order state machine: who may fire what, from where, with which guards; the timeline; the
race between two transitions of one order; cancellation fees; the hooks plugins hear."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from platform_core.db import current_connection
from platform_core.errors import Conflict, Forbidden, NotFound
from platform_core.orders import machine as m
from platform_core.orders.schemas import ActorRef
from platform_core.orders.services import (
    get_order,
    lock_order_sql,
    locked_order,
    timeline,
    transition,
)
from platform_core.pluginsys import hookimpl
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer, make_item, make_order


@pytest.fixture
async def shop(runtime, tenant_a):
    customer_id = await make_customer(tenant_a)
    item_id = await make_item(tenant_a)
    return tenant_a, customer_id, item_id


class Listener:
    def __init__(self) -> None:
        self.heard: list[tuple[str, int]] = []

    @hookimpl
    def on_order_paid(self, event):
        self.heard.append(("paid", event.order_id))

    @hookimpl
    def on_order_ready_for_dispatch(self, event):
        self.heard.append(("ready", event.order_id))

    @hookimpl
    def on_order_cancelled(self, event):
        self.heard.append(("cancelled", event.order_id))


@pytest.fixture
def listener(runtime):
    found = Listener()
    runtime.pm.register(found, name="core.test_order_listener")
    yield found
    runtime.pm.unregister(name="core.test_order_listener")


async def test_customer_chooses_pay_after_service_and_the_order_is_ready_for_dispatch(runtime, shop, listener):
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id)
    async with tenant_scope(tenant.id):
        order = await transition(order_id, "pay_after_service", ActorRef(kind="customer", id=customer_id))
        events = await timeline(order_id)
    assert order.state == m.PAID and order.paid_at is None
    assert [(e.event, e.from_state, e.to_state, e.actor_kind, e.actor_id) for e in events] == [
        ("pay_after_service", m.PENDING_PAYMENT, m.PAID, "customer", customer_id)
    ]
    # Not a payment: dispatch hears about it, payment listeners do not.
    assert listener.heard == [("ready", order_id)]


async def test_console_marks_an_order_paid_once_and_only_with_finance_permission(runtime, shop, listener):
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, state=m.PAID)
    async with tenant_scope(tenant.id):
        with pytest.raises(Forbidden):
            await transition(order_id, "mark_paid", ActorRef(kind="console", id=1, permissions=frozenset({"orders.manage"})))
    finance = ActorRef(kind="console", id=1, permissions=frozenset({"finance.manage"}))
    async with tenant_scope(tenant.id):
        order = await transition(order_id, "mark_paid", finance, note="cash")
    assert order.state == m.PAID and order.paid_at is not None
    assert listener.heard == [("paid", order_id)]
    async with tenant_scope(tenant.id):
        with pytest.raises(Conflict):
            await transition(order_id, "mark_paid", finance)


async def test_an_event_fired_from_the_wrong_state_is_refused_and_leaves_no_trace(runtime, shop):
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, state=m.COMPLETED)
    async with tenant_scope(tenant.id):
        with pytest.raises(Conflict):
            await transition(order_id, "cancel", ActorRef(kind="customer", id=customer_id))
        with pytest.raises(Conflict):
            await transition(order_id, "no_such_event", ActorRef(kind="system"))
        assert (await get_order(order_id)).state == m.COMPLETED
        assert await timeline(order_id) == []


async def test_only_the_declared_actors_may_fire_an_event(runtime, shop):
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id)
    async with tenant_scope(tenant.id):
        # Only the system or a payment plugin confirms a payment; never the customer.
        with pytest.raises(Forbidden):
            await transition(order_id, "pay", ActorRef(kind="customer", id=customer_id))
        with pytest.raises(Forbidden):
            await transition(order_id, "cancel_by_franchise", ActorRef(kind="customer", id=customer_id))
        with pytest.raises(Forbidden):
            await transition(order_id, "cancel_by_franchise", ActorRef(kind="console", id=1, permissions=frozenset({"orders.view"})))


async def test_a_customer_can_not_cancel_another_customers_order(runtime, shop):
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id)
    stranger = await make_customer(tenant)
    async with tenant_scope(tenant.id):
        with pytest.raises(NotFound):
            await transition(order_id, "cancel", ActorRef(kind="customer", id=stranger))
        assert (await get_order(order_id)).state == m.PENDING_PAYMENT


async def test_a_customer_can_not_report_a_no_show_or_open_a_dispute_on_another_customers_order(runtime, shop):
    tenant, customer_id, item_id = shop
    accepted = await make_order(tenant, customer_id=customer_id, item_id=item_id, state="accepted")
    completed = await make_order(tenant, customer_id=customer_id, item_id=item_id, state="completed")
    stranger = ActorRef(kind="customer", id=await make_customer(tenant))
    async with tenant_scope(tenant.id):
        with pytest.raises(NotFound):
            await transition(accepted, "report_no_show", stranger)
        with pytest.raises(NotFound):
            await transition(completed, "open_dispute", stranger)
        assert (await get_order(accepted)).state == m.ACCEPTED and (await get_order(completed)).state == m.COMPLETED
        # The order's own customer may.
        await transition(completed, "open_dispute", ActorRef(kind="customer", id=customer_id))
        assert (await get_order(completed)).state == m.DISPUTED


async def test_cancelling_early_is_free(runtime, shop, listener):
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, state=m.PAID, starts_in=timedelta(days=3))
    async with tenant_scope(tenant.id):
        order = await transition(order_id, "cancel", ActorRef(kind="customer", id=customer_id), note="plans changed")
    assert order.state == m.CANCELLED and order.cancellation_fee == 0 and order.cancel_reason == "plans changed"
    assert [line.kind for line in order.lines] == ["base"]
    assert listener.heard == [("cancelled", order_id)]


async def test_cancelling_late_costs_the_fee_percent_recorded_as_a_fee_line(runtime, shop):
    tenant, customer_id, item_id = shop
    # Defaults: free until 24 hours before the slot, 20% of the total after that.
    order_id = await make_order(
        tenant, customer_id=customer_id, item_id=item_id, state=m.PAID, starts_in=timedelta(hours=5), total=15000
    )
    async with tenant_scope(tenant.id):
        order = await transition(order_id, "cancel", ActorRef(kind="customer", id=customer_id))
        events = await timeline(order_id)
    assert order.cancellation_fee == 3000
    assert [(line.kind, line.amount) for line in order.lines] == [("base", 15000), ("fee", 3000)]
    assert events[-1].data == {"cancellation_fee": 3000}


async def test_franchise_cancellation_never_charges_the_customer_and_tells_them(runtime, shop):
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, state=m.PAID, starts_in=timedelta(hours=1))
    async with tenant_scope(tenant.id):
        order = await transition(
            order_id, "cancel_by_franchise", ActorRef(kind="console", id=7, permissions=frozenset({"orders.manage"})),
            note="no worker in the district")
    assert order.state == m.CANCELLED and order.cancellation_fee == 0
    async with tenant_scope(tenant.id):
        titles = await current_connection().fetch(
            "select title from core_notification where recipient_kind = 'customer' and recipient_id = $1", customer_id
        )
        jobs = await current_connection().fetch("select payload->>'purpose' as purpose from core_job where kind = 'orders.sms'")
    assert len(titles) == 1  # in the franchise's language
    assert "order_cancelled" in {j["purpose"] for j in jobs}


async def test_two_concurrent_transitions_of_one_order_can_not_both_succeed(runtime, shop):
    tenant, customer_id, item_id = shop
    for _ in range(5):
        order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, state=m.PAID)
        start = asyncio.Event()

        async def fire(event: str, actor: ActorRef):
            # Each task has its own transaction on its own pooled connection.
            async with tenant_scope(tenant.id):
                await start.wait()
                return await transition(order_id, event, actor)

        tasks = [
            asyncio.create_task(fire("cancel", ActorRef(kind="customer", id=customer_id))),
            asyncio.create_task(fire("cancel_by_franchise", ActorRef(kind="system"))),
        ]
        await asyncio.sleep(0.05)
        start.set()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        winners = [r for r in results if not isinstance(r, Exception)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1 and len(losers) == 1 and isinstance(losers[0], Conflict), results
        async with tenant_scope(tenant.id):
            order = await get_order(order_id)
            events = await timeline(order_id)
        assert order.state == winners[0].state == m.CANCELLED
        assert len(events) == 1


async def test_a_customer_cancelling_while_the_order_moves_on_still_cancels(runtime, shop):
    tenant, customer_id, item_id = shop
    for _ in range(5):
        order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id, state=m.PENDING_PAYMENT,
                                    starts_in=timedelta(days=3))
        start = asyncio.Event()

        async def fire(event: str, actor: ActorRef):
            async with tenant_scope(tenant.id):
                await start.wait()
                return await transition(order_id, event, actor)

        paying = asyncio.create_task(fire("pay", ActorRef(kind="system")))
        cancelling = asyncio.create_task(fire("cancel", ActorRef(kind="customer", id=customer_id)))
        await asyncio.sleep(0.05)
        start.set()
        paid, cancelled = await asyncio.gather(paying, cancelling, return_exceptions=True)
        # Paid first or not, the customer's cancel stands: cancel leaves from both states.
        assert not isinstance(cancelled, Exception), cancelled
        assert cancelled.state == m.CANCELLED
        assert isinstance(paid, Conflict) or paid.state == m.PAID


async def test_tenant_b_can_not_move_tenant_as_order(runtime, shop, tenant_b):
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id)
    async with tenant_scope(tenant_b.id):
        with pytest.raises(NotFound):
            await transition(order_id, "cancel_by_franchise", ActorRef(kind="system"))


async def test_the_order_read_under_a_lock_in_another_services_statement_is_the_order(runtime, shop):
    """What a payment's notification reads with the order's lock (lock_order_sql) is the order as
    get_order reads it: lines, contact (its phone masked), times; and no order where no lock."""
    tenant, customer_id, item_id = shop
    order_id = await make_order(tenant, customer_id=customer_id, item_id=item_id)
    async with tenant_scope(tenant.id):
        conn = current_connection()
        await conn.execute("insert into core_order_line (tenant_id, order_id, position, kind, code, label, quantity, unit_amount, amount) "
                           "values ($1, $2, 9, 'fee', 'night', 'Night visit', 1, 500, 500)", tenant.id, order_id)
        locked = await conn.fetchval(f"select o.locked_order from ({lock_order_sql('$1::bigint', 'true')}) o", order_id)
        untaken = await conn.fetchval(f"select o.locked_order from ({lock_order_sql('$1::bigint', 'false')}) o", order_id)
        assert locked_order(locked) == await get_order(order_id)
        assert len((await get_order(order_id)).lines) == 2
        assert untaken is None and locked_order(untaken) is None

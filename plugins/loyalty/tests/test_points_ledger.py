"""The points ledger against a model, over random sequences: points earned, spent (refused when
short), taken back by refunds (into debt or written off), given back, expired as time passes,
and keys replayed. After every step: the balance is what the model says and never negative, the
movements sum to the lots' remaining points, the debt is the model's, and a replay changed
nothing. Then the cases a user would notice, one by one."""

from __future__ import annotations

import asyncio
import itertools
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platform_core import clock
from platform_core.db import current_connection
from platform_core.errors import Conflict
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import make_customer
from plugins.loyalty import points

START = datetime(2026, 3, 1, 4, 0, tzinfo=timezone.utc)

operation = st.tuples(
    st.sampled_from(["award", "spend", "take_back", "give_back", "days", "expire", "replay"]),
    st.integers(min_value=1, max_value=400),
)


class Model:
    def __init__(self, customer_id: int, policy: str) -> None:
        self.customer_id, self.policy = customer_id, policy
        self.lots: list[dict] = []  # {"id", "remaining", "expires_at", "key"}
        self.debt = 0
        self.spends: dict[str, list[tuple[int, int]]] = {}  # spend key -> [(lot index, taken)]
        self.given_back: set[str] = set()
        self.keys = itertools.count()
        self.done: list = []  # calls to replay

    def open_lots(self, now: datetime, first_key: str | None = None) -> list[dict]:
        lots = [lot for lot in self.lots if lot["remaining"] > 0 and (lot["expires_at"] is None or lot["expires_at"] > now)]
        return sorted(lots, key=lambda lot: (lot["key"] != first_key, lot["expires_at"] is None, lot["expires_at"] or now, lot["id"]))

    def draw(self, amount: int, now: datetime, first_key: str | None = None) -> list[tuple[dict, int]]:
        drawn = []
        for lot in self.open_lots(now, first_key):
            if amount == 0:
                break
            taken = min(lot["remaining"], amount)
            lot["remaining"] -= taken
            amount -= taken
            drawn.append((lot, taken))
        return drawn

    def balance(self, now: datetime) -> int:
        return sum(lot["remaining"] for lot in self.open_lots(now))


async def lot_of(key: str) -> dict:
    row = await current_connection().fetchrow(
        "select l.id, l.expires_at from loyalty_lot l join loyalty_movement m on m.id = l.movement_id where m.key = $1", key)
    return {"id": row["id"], "expires_at": row["expires_at"]}


async def step(model: Model, kind: str, amount: int, now: datetime) -> None:
    key = f"{model.customer_id}:k{next(model.keys)}"
    cid = model.customer_id
    if kind == "award":
        await points.award(cid, amount, reason="order", link="order:x", key=key)
        lot = {**await lot_of(key), "remaining": amount, "key": key}
        model.lots.append(lot)
        if model.debt:
            paid = min(model.debt, amount)
            model.draw(paid, now, first_key=key)
            model.debt -= paid
        model.done.append(lambda: points.award(cid, amount, reason="order", link="order:x", key=key))
    elif kind == "spend":
        short = model.balance(now) < amount
        try:
            await points.spend(cid, amount, reason="redemption", link="redemption:1", key=key)
        except Conflict:
            assert short, "a balance that holds enough was refused"
            return
        assert not short, "spent more than the balance holds"
        model.spends[key] = [(model.lots.index(lot), taken) for lot, taken in model.draw(amount, now)]
        model.done.append(lambda: points.spend(cid, amount, reason="redemption", link="redemption:1", key=key))
    elif kind == "take_back":
        earned = next((lot["key"] for lot in reversed(model.lots)), None)
        await points.take_back(cid, amount, link="order:x", key=key, earned_key=earned)
        taken = sum(t for _, t in model.draw(amount, now, first_key=earned))
        if model.policy == "debt":
            model.debt += amount - taken
        model.done.append(lambda: points.take_back(cid, amount, link="order:x", key=key, earned_key=earned))
    elif kind == "give_back":
        open_spends = [k for k in model.spends if k not in model.given_back]
        if not open_spends:
            return
        spend_key = open_spends[amount % len(open_spends)]
        await points.give_back(spend_key, reason="redemption", link="redemption:1", key=key)
        for index, taken in model.spends[spend_key]:
            model.lots[index]["remaining"] += taken
        model.given_back.add(spend_key)
        model.done.append(lambda: points.give_back(spend_key, reason="redemption", link="redemption:1", key=key))
    elif kind == "expire":
        await points.expire_due()
        for lot in model.lots:
            if lot["expires_at"] is not None and lot["expires_at"] <= now:
                lot["remaining"] = 0
    elif kind == "replay" and model.done:
        await model.done[amount % len(model.done)]()


async def check(model: Model, now: datetime) -> None:
    conn = current_connection()
    cid = model.customer_id
    assert await points.balance(cid) == model.balance(now) >= 0
    moved = await conn.fetchval("select coalesce(sum(points), 0) from loyalty_movement where customer_id = $1", cid)
    kept = await conn.fetchval("select coalesce(sum(remaining), 0) from loyalty_lot where customer_id = $1", cid)
    assert moved == kept == sum(lot["remaining"] for lot in model.lots)
    assert await conn.fetchval("select count(*) from loyalty_lot where customer_id = $1 and remaining < 0", cid) == 0
    assert (await points.balance_of(cid)).debt == model.debt


@pytest.fixture(params=["debt", "write_off"])
async def programme(request, runtime, make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="pts")
    await enable_plugin(tenant, "loyalty", expiry_months=1, refund_policy=request.param)
    return tenant, request.param


@settings(max_examples=30, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(operations=st.lists(operation, min_size=1, max_size=25))
async def test_the_points_ledger_keeps_its_invariants_under_random_operations(programme, operations):
    tenant, policy = programme
    customer = await make_customer(tenant)
    model = Model(customer, policy)
    now = START
    real_now = clock.now
    clock.now = lambda: now  # type: ignore[assignment]
    try:
        async with tenant_scope(tenant.id):
            for kind, amount in operations:
                if kind == "days":
                    now = now + timedelta(days=amount % 45)
                    continue
                await step(model, kind, amount, now)
                await check(model, now)
    finally:
        clock.now = real_now  # type: ignore[assignment]


async def test_points_are_spent_from_the_lot_that_expires_first(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty", expiry_months=12)
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await points.award(customer, 100, reason="order", link="order:1", key="a")
        await current_connection().execute(
            "update loyalty_lot set expires_at = expires_at + interval '1 year' where movement_id = "
            "(select id from loyalty_movement where key = 'a')")
        await points.award(customer, 50, reason="checkin", link="checkin:1", key="b")
        await points.spend(customer, 60, reason="redemption", link="redemption:1", key="s")
        left = dict(await current_connection().fetch(
            "select m.key, l.remaining from loyalty_lot l join loyalty_movement m on m.id = l.movement_id"))
    assert left == {"a": 90, "b": 0}


async def test_two_spends_racing_for_the_last_points_one_wins_one_is_refused(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await points.award(customer, 100, reason="order", link="order:1", key="earned")

    async def spend(key: str):
        async with tenant_scope(tenant_a.id):
            return await points.spend(customer, 80, reason="redemption", link=f"redemption:{key}", key=key)

    results = await asyncio.gather(spend("one"), spend("two"), return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "int"]
    refused = next(r for r in results if isinstance(r, Conflict))
    assert refused.fields == {"points": points.NOT_ENOUGH_POINTS}
    async with tenant_scope(tenant_a.id):
        assert await points.balance(customer) == 20


async def test_a_refund_of_spent_points_leaves_a_debt_the_next_points_pay(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty", refund_policy="debt")
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await points.award(customer, 100, reason="order", link="order:1", key="earned")
        await points.spend(customer, 90, reason="redemption", link="redemption:1", key="spent")
        await points.take_back(customer, 100, link="order:1", key="refund", earned_key="earned")
        owed = await points.balance_of(customer)
        await points.award(customer, 120, reason="order", link="order:2", key="earned-2")
        after = await points.balance_of(customer)
        kinds = [(m.kind, m.points, m.uncovered) for m in await points.history(customer)]
    assert (owed.points, owed.debt) == (0, 90)
    assert (after.points, after.debt) == (30, 0)
    assert kinds == [("reversed", -90, 0), ("earned", 120, 0), ("reversed", -10, 90), ("spent", -90, 0), ("earned", 100, 0)]


async def test_written_off_refunds_leave_no_debt(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty", refund_policy="write_off")
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await points.award(customer, 100, reason="order", link="order:1", key="earned")
        await points.spend(customer, 100, reason="redemption", link="redemption:1", key="spent")
        await points.take_back(customer, 100, link="order:1", key="refund", earned_key="earned")
        await points.award(customer, 40, reason="order", link="order:2", key="earned-2")
        assert (await points.balance_of(customer)).debt == 0
        assert await points.balance(customer) == 40


async def test_due_lots_expire_oldest_first_and_can_not_be_spent_meanwhile(runtime, tenant_a, enable_plugin):
    await enable_plugin(tenant_a, "loyalty", expiry_months=1)
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await points.award(customer, 70, reason="order", link="order:1", key="old")
        await current_connection().execute(
            "update loyalty_lot set expires_at = $1 where movement_id = (select id from loyalty_movement where key = 'old')",
            clock.now() - timedelta(minutes=1))
        await points.award(customer, 30, reason="order", link="order:2", key="new")
        assert await points.balance(customer) == 30
        with pytest.raises(Conflict):
            await points.spend(customer, 50, reason="redemption", link="redemption:1", key="s")
        assert await points.expire_due() == 70
        assert await points.expire_due() == 0
        expired = [m for m in await points.history(customer) if m.kind == "expired"]
    assert [(m.points, m.reason) for m in expired] == [(-70, "expiry")]


async def test_the_other_franchise_sees_none_of_a_customers_points(runtime, tenant_a, tenant_b, enable_plugin):
    await enable_plugin(tenant_a, "loyalty")
    customer = await make_customer(tenant_a)
    async with tenant_scope(tenant_a.id):
        await points.award(customer, 100, reason="order", link="order:1", key="earned")
    async with tenant_scope(tenant_b.id):
        assert await current_connection().fetchval("select count(*) from loyalty_movement") == 0
        assert await points.balance(customer) == 0

"""Placement at scale: many clients of one franchise booking at once never put a slot or a worker
over capacity, placements on different days do not wait for each other, and a placement issues
a bounded number of SQL statements (a count, never a time)."""

from __future__ import annotations

import asyncio
import contextvars
import random
import secrets
from collections import Counter

import asyncpg
import pytest

from platform_core.booking.services import place_order, quote
from platform_core.catalog.services import get_item
from platform_core.db import current_connection, tenant_transaction
from platform_core.dispatch.services import get_settings
from platform_core.orders.schemas import OrderPlace
from platform_core.orders.services import booking_settings
from platform_core.pluginsys.contexts import RequirementQuery
from platform_core.qualifications.eligibility import kept_rules
from platform_core.tenancy.context import current_tenant, tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    local_time,
    make_address,
    make_customer,
    make_item,
    make_worker,
)
from platform_core.testing.pytest_plugin import client_for
from platform_core.training.learning import order_requirement

# What placing an order reads and writes, one statement each (docs/booking.md, "What a placement
# costs"): the address (1), the days' locks (1), the slot check (the workers with their days off,
# the waiting and held orders, the held time: 3), the day's number (1), the order with its lines
# and timeline (1), the inbox entry with the outbox jobs (1). The item, the booking rules and
# dispatch's settings are kept by the process under the franchise's stamp, as are its discount rules
# (promotions.pricing), so a placement without a coupon reads none; so are its requirement rules
# (qualifications.eligibility), and a worker's credentials are read only when the work needs some.
PLACEMENT_STATEMENTS = 8
RECORDED = ("execute", "executemany", "fetch", "fetchrow", "fetchval")


async def _shop(tenant, workers: int):
    item = await make_item(tenant, price=15000)
    staff = [await make_worker(tenant, f"Worker {n}", hours="mon-sun 08:00-20:00") for n in range(workers)]
    return item, staff


async def _customer(tenant) -> tuple[int, int]:
    customer = await make_customer(tenant)
    return customer, await make_address(tenant, customer)


@pytest.mark.slow
async def test_500_bookings_from_16_clients_leave_no_slot_or_worker_over_capacity(app, runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    item, staff = await _shop(tenant, workers=12)
    people = []
    for _ in range(16):
        customer, address = await _customer(tenant)
        people.append((await bearer_for(tenant, "customer", customer), address))
    draw = random.Random(9)
    bodies = []
    for n in range(500):
        body = {"item_id": item, "address_id": people[n % 16][1]}
        if n % 10 == 0:
            body["asap"] = True
        else:
            body["slot_start"] = local_time(tenant, days_ahead=draw.choice((2, 3)), hour=draw.randint(9, 11),
                                            minute=draw.choice((0, 30))).isoformat()
        if n % 5 == 1:
            body["staff_id"] = draw.choice(staff)
        bodies.append((people[n % 16][0], body))
    queue = iter(bodies)
    placed: list[dict] = []
    refused: list[dict] = []

    async with client_for(app, f"{tenant.slug}.localhost") as client:
        async def booker() -> None:
            for auth, body in queue:
                response = await client.post("/api/v1/orders", json=body, headers={**auth, "idempotency-key": secrets.token_hex(12)})
                assert response.status_code in (201, 400), response.text
                (placed if response.status_code == 201 else refused).append(response.json())

        await asyncio.gather(*[booker() for _ in range(16)])

    assert len(placed) + len(refused) == 500
    assert placed and refused  # the days filled up: the checks were contended
    for answer in refused:
        assert set(answer["error"]["fields"]) <= {"slot_start", "staff_id", "asap"}, answer
    async with tenant_scope(tenant.id):
        conn = current_connection()
        rows = await conn.fetch(
            "select id, number, state, scheduled_start, scheduled_end, requested_staff_id, "
            "(select count(*) from core_order_line l where l.order_id = o.id) as lines, "
            "(select array_agg(e.event order by e.id) from core_order_event e where e.order_id = o.id) as events, "
            "(select count(*) from core_job j where j.kind = 'dispatch.assign' and j.payload->>'order_id' = o.id::text) as assign_jobs "
            "from core_order o"
        )
    # Every accepted booking is one order, as answered, complete; nothing else was written.
    assert sorted((r["id"], r["number"]) for r in rows) == sorted((p["id"], p["number"]) for p in placed)
    assert len({r["number"] for r in rows}) == len(rows)
    for row in rows:
        # The job worker runs: dispatch may have offered a picked worker's order already.
        assert row["state"] in ("paid", "assigned") and row["lines"] == 1 and row["assign_jobs"] == 1, dict(row)
        assert row["events"][:2] == ["place", "pay_after_service"], dict(row)
    # No instant has more visits than workers (all work all day; a visit waiting for a worker and
    # one offered to a worker take one each), and no picked worker has two visits at once.
    for row in rows:
        at = row["scheduled_start"]
        overlapping = [r for r in rows if r["scheduled_start"] <= at < r["scheduled_end"]]
        assert len(overlapping) <= len(staff), at
        picked = Counter(r["requested_staff_id"] for r in overlapping if r["requested_staff_id"] is not None)
        assert all(count == 1 for count in picked.values()), (at, picked)


async def test_placements_on_different_days_do_not_wait_for_each_other(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    item, _ = await _shop(tenant, workers=2)
    first, second = await _customer(tenant), await _customer(tenant)
    first_placed, release = asyncio.Event(), asyncio.Event()

    async def book(who: tuple[int, int], days_ahead: int, hold: bool) -> str:
        data = OrderPlace(item_id=item, address_id=who[1], slot_start=local_time(tenant, days_ahead=days_ahead))
        async with tenant_scope(tenant.id):
            order = await place_order(who[0], data, secrets.token_hex(12))
            if hold:
                first_placed.set()
                # Still in its transaction: whatever it locked stays locked.
                await release.wait()
        return order.number

    holding = asyncio.create_task(book(first, 2, hold=True))
    await first_placed.wait()
    try:
        # The other day's placement, the day's order counter included, goes through meanwhile (a
        # franchise-wide lock would keep it waiting until the guard below gives up).
        other = await asyncio.wait_for(book(second, 3, hold=False), timeout=60)
    finally:
        release.set()
    assert other != await holding


async def test_a_booking_of_a_day_waits_for_the_other_booking_of_that_day(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    item, _ = await _shop(tenant, workers=2)
    first, second = await _customer(tenant), await _customer(tenant)
    first_placed, release = asyncio.Event(), asyncio.Event()

    async def book(who: tuple[int, int], hold: bool) -> None:
        data = OrderPlace(item_id=item, address_id=who[1], slot_start=local_time(tenant, days_ahead=2, hour=14))
        async with tenant_scope(tenant.id):
            await place_order(who[0], data, secrets.token_hex(12))
            if hold:
                first_placed.set()
                await release.wait()

    holding = asyncio.create_task(book(first, hold=True))
    await first_placed.wait()
    waiting = asyncio.create_task(book(second, hold=False))
    try:
        # The second placement of the day is queued on the day's lock, in PostgreSQL's own view.
        async with tenant_transaction(None):
            conn = current_connection()
            for _ in range(600):
                if await conn.fetchval(
                    "select count(*) from pg_locks where locktype = 'advisory' and not granted "
                    "and database = (select oid from pg_database where datname = current_database())"
                ):
                    break
                await asyncio.sleep(0.05)
            else:
                pytest.fail("the second placement of the day did not wait on a lock")
        assert not waiting.done()
    finally:
        release.set()
    await holding
    await waiting


async def test_a_placement_issues_a_bounded_number_of_statements(runtime, make_tenant, monkeypatch):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    item, _ = await _shop(tenant, workers=3)
    customer, address = await _customer(tenant)
    statements: list[str] = []
    placing: contextvars.ContextVar[bool] = contextvars.ContextVar("placing", default=False)
    for name in RECORDED:
        original = getattr(asyncpg.Connection, name)

        def recorded(conn, query, *args, __original=original, **kwargs):
            # This task's statements only: the app's job worker runs on the same loop.
            if placing.get():
                statements.append(query)
            return __original(conn, query, *args, **kwargs)
        monkeypatch.setattr(asyncpg.Connection, name, recorded)
    async with tenant_scope(tenant.id):
        # The booking page priced it first and offered its times, and the franchise's orders went
        # to dispatch before: the process knows the item, the booking rules, dispatch's settings,
        # that the franchise has no discount rules, no requirement rules
        # (qualifications.eligibility.kept_rules) and no required courses
        # (training.services.kept_requirements).
        service = await get_item(item, for_customer=current_tenant())
        await booking_settings()
        await get_settings()
        await quote(customer, service, None, [])
        await kept_rules()
        await order_requirement(RequirementQuery(tenant=current_tenant(), category=service.category_code, item_id=item))
        placing.set(True)
        order = await place_order(customer, OrderPlace(item_id=item, address_id=address, slot_start=local_time(tenant)),
                                  secrets.token_hex(12))
        placing.set(False)
        issued = list(statements)
    assert order.state == "paid" and order.number
    assert len(issued) <= PLACEMENT_STATEMENTS, "\n".join(issued)
    assert not any("booking_capacity" in q for q in issued)

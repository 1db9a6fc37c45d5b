"""Booking from real capacity: orders placed but not yet assigned take a worker's time, two
placements can not both take the last free worker, and stays of many days get start days."""

from __future__ import annotations

import asyncio
import contextvars
import secrets
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from platform_core.booking.availability import available_slots
from platform_core.db import current_connection
from platform_core.dispatch.offers import decline_offer, offer_next
from platform_core.dispatch.services import live_assignment
from platform_core.orders.services import pending_demand
from platform_core.scheduling import slots as engine
from platform_core.scheduling.schemas import BookingRules
from platform_core.staff import services
from platform_core.staff.schemas import TimeOffCreate
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    local_time,
    make_customer,
    make_item,
    make_order,
    make_worker,
    new_address,
)
from platform_core.testing.pytest_plugin import client_for

UTC = timezone.utc
SHANGHAI = ZoneInfo("Asia/Shanghai")
LIVE_IN_MINUTES = 26 * 24 * 60


def key() -> dict[str, str]:
    return {"idempotency-key": secrets.token_hex(12)}


async def slots_on(tenant, day: date, *, skills, duration: int = 120, days: int = 1, now: datetime, **kwargs):
    async with tenant_scope(tenant.id):
        found = await available_slots(duration_minutes=duration, start_date=day, days=days, skills=list(skills),
                                      now=now, **kwargs)
    return {s.start.astimezone(SHANGHAI).strftime("%m-%d %H:%M"): s.staff_ids for s in found}


async def order_times(tenant) -> list[tuple[datetime, datetime]]:
    async with tenant_scope(tenant.id):
        rows = await current_connection().fetch("select scheduled_start, scheduled_end from core_order order by id")
    return [(r["scheduled_start"], r["scheduled_end"]) for r in rows]


# --- the slot engine counts the orders waiting for a worker ------------------------------------------


async def test_an_order_waiting_for_dispatch_takes_the_only_workers_slot(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    fixer = await make_worker(tenant, "陈师傅", skills=("appliance",), hours="mon-sun 09:00-18:00")
    item = await make_item(tenant, slug="aircon", skills=("appliance",))
    cleaning = await make_item(tenant, slug="cleaning", skills=("cleaning",))
    now = datetime(2026, 11, 30, tzinfo=UTC)
    at = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    before = await slots_on(tenant, date(2026, 12, 1), skills=("appliance",), now=now)
    assert before["12-01 10:00"] == [fixer]
    await make_order(tenant, item_id=item, starts=at, ends=at + timedelta(hours=2), state="pending_payment")
    # Nobody who could do it: a cleaning order waiting at the same time takes nothing from him.
    await make_order(tenant, item_id=cleaning, starts=at + timedelta(hours=2), ends=at + timedelta(hours=4), state="paid")
    # A cancelled order holds nothing.
    await make_order(tenant, item_id=item, starts=at + timedelta(hours=4), ends=at + timedelta(hours=6), state="cancelled")
    after = await slots_on(tenant, date(2026, 12, 1), skills=("appliance",), now=now)
    for overlapping in ("08:30", "09:00", "09:30", "10:00", "10:30", "11:00", "11:30"):
        assert f"12-01 {overlapping}" not in after
    assert after["12-01 12:00"] == after["12-01 14:00"] == [fixer]


async def test_a_slot_stays_open_while_free_workers_outnumber_the_waiting_orders(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    first = await make_worker(tenant, "李阿姨", hours="mon-sun 09:00-18:00")
    second = await make_worker(tenant, "王阿姨", hours="mon-sun 09:00-18:00")
    item = await make_item(tenant)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    at = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    await make_order(tenant, item_id=item, starts=at, ends=at + timedelta(hours=2), state="paid")
    found = await slots_on(tenant, date(2026, 12, 1), skills=("cleaning",), now=now)
    assert found["12-01 10:00"] == sorted([first, second])
    await make_order(tenant, item_id=item, starts=at, ends=at + timedelta(hours=2), state="paid")
    found = await slots_on(tenant, date(2026, 12, 1), skills=("cleaning",), now=now)
    assert "12-01 10:00" not in found and found["12-01 12:00"] == sorted([first, second])


async def test_an_order_dispatch_moves_between_the_checks_reads_is_counted_once(runtime, make_tenant):
    """The slot check reads the orders, then the held time: dispatch giving an offer back, or
    making one, between the two reads neither frees a worker nor takes two."""
    tenant = await make_tenant(timezone="Asia/Shanghai")
    first = await make_worker(tenant, "李阿姨", hours="mon-sun 09:00-18:00")
    second = await make_worker(tenant, "王阿姨", hours="mon-sun 09:00-18:00")
    item = await make_item(tenant)
    at = local_time(tenant, days_ahead=3, hour=10)
    declined = await make_order(tenant, item_id=item, starts=at, hours=2, state="assigned", staff_id=first, assignment="offered")
    await make_order(tenant, item_id=item, starts=at, hours=2, state="assigned", staff_id=second, assignment="offered")
    later = at + timedelta(hours=4)
    offered = await make_order(tenant, item_id=item, starts=later, hours=2, state="paid")
    moved: list[str] = []

    async def move(order_id: int) -> None:
        # Another request's transaction, committed before the check reads the held time.
        async def work() -> None:
            with runtime.scope():
                async with tenant_scope(tenant.id):
                    if order_id == declined:
                        assignment = (await live_assignment(declined)).id
                        await decline_offer(first, assignment)
                    else:
                        assert await offer_next(offered) is not None
        await asyncio.create_task(work(), context=contextvars.Context())

    async def waiting_then_move(start: datetime, end: datetime):
        read = await pending_demand(start, end)
        await move(declined if not moved else offered)
        moved.append("x")
        return read

    async def check() -> dict[str, list[int]]:
        async with tenant_scope(tenant.id):
            found = await engine.available_slots(BookingRules(), waiting_then_move, duration_minutes=120,
                                                 start_date=at.date(), days=1, skills=["cleaning"])
        return {s.start.astimezone(SHANGHAI).strftime("%H:%M"): s.staff_ids for s in found}

    # Held by a worker at the first read, waiting at the second: it still takes a worker.
    assert "10:00" not in await check()
    # Waiting at the first read, held at the second: one worker, the other stays free.
    found = await check()
    async with tenant_scope(tenant.id):
        holder = (await live_assignment(offered)).staff_id
    assert found["14:00"] == [({first, second} - {holder}).pop()]


async def test_one_start_asked_alone_gets_the_answer_the_whole_day_gives_it(runtime, make_tenant):
    """A placement asks the engine about its start alone (`at`): held, waiting, picked and
    cancelled orders, a day off and hours that differ give each start the same workers as the
    day's slots, and a start the day does not offer (off the grid, taken, past the hours) none."""
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await make_worker(tenant, "李阿姨", hours="mon-sun 08:00-14:00")
    late = await make_worker(tenant, "王阿姨", hours="mon-sun 11:00-20:00")
    picked = await make_worker(tenant, "张阿姨", hours="mon-sun 09:00-18:00")
    resting = await make_worker(tenant, "刘阿姨", hours="mon-sun 09:00-18:00")
    item = await make_item(tenant)
    day = local_time(tenant, days_ahead=3, hour=0).date()
    at = local_time(tenant, days_ahead=3, hour=10)
    await make_order(tenant, item_id=item, starts=at, hours=2, state="paid")
    await make_order(tenant, item_id=item, starts=at + timedelta(hours=3), hours=2, state="paid", requested_staff_id=picked)
    await make_order(tenant, item_id=item, starts=at + timedelta(hours=1), hours=3, state="assigned", staff_id=late, assignment="offered")
    await make_order(tenant, item_id=item, starts=at + timedelta(hours=5), hours=2, state="cancelled")
    async with tenant_scope(tenant.id):
        await services.add_time_off(resting, TimeOffCreate(first_day=day, last_day=day, reason="体检"))
    rules = BookingRules()
    for staff_id in (None, picked):
        async with tenant_scope(tenant.id):
            whole = await engine.available_slots(rules, pending_demand, duration_minutes=120, start_date=day, days=1,
                                                 skills=["cleaning"], staff_id=staff_id)
            offered = {s.start: s for s in whole}
            assert offered
            for minutes in range(0, 24 * 60, 15):
                start = datetime.combine(day, datetime.min.time(), tzinfo=SHANGHAI) + timedelta(minutes=minutes)
                alone = await engine.available_slots(rules, pending_demand, duration_minutes=120, start_date=day, days=1,
                                                     skills=["cleaning"], staff_id=staff_id, at=start.astimezone(UTC))
                assert alone == ([offered[start]] if start in offered else []), start


async def test_a_worker_picked_order_holds_that_worker_and_leaves_the_others(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    picked = await make_worker(tenant, "李阿姨", hours="mon-sun 09:00-18:00")
    other = await make_worker(tenant, "王阿姨", hours="mon-sun 09:00-18:00")
    item = await make_item(tenant)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    at = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    await make_order(tenant, item_id=item, starts=at, ends=at + timedelta(hours=2), requested_staff_id=picked, state="paid")
    found = await slots_on(tenant, date(2026, 12, 1), skills=("cleaning",), now=now)
    assert found["12-01 10:00"] == [other]
    assert "12-01 10:00" not in await slots_on(tenant, date(2026, 12, 1), skills=("cleaning",), now=now, staff_id=picked)
    assert (await slots_on(tenant, date(2026, 12, 1), skills=("cleaning",), now=now, staff_id=other))["12-01 10:00"] == [other]


async def test_a_picked_worker_is_not_offered_when_the_waiting_orders_need_everyone(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    picked = await make_worker(tenant, "李阿姨", hours="mon-sun 09:00-18:00")
    await make_worker(tenant, "王阿姨", hours="mon-sun 09:00-18:00")
    item = await make_item(tenant)
    now = datetime(2026, 11, 30, tzinfo=UTC)
    at = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    for _ in range(2):
        await make_order(tenant, item_id=item, starts=at, ends=at + timedelta(hours=2), state="paid")
    assert "12-01 10:00" not in await slots_on(tenant, date(2026, 12, 1), skills=("cleaning",), now=now, staff_id=picked)


# --- placing orders -----------------------------------------------------------------------------------


async def test_three_asap_orders_for_the_only_appliance_worker_get_distinct_times(app, runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await make_worker(tenant, "陈师傅", skills=("appliance",), hours="mon-sun 09:00-18:00")
    await make_worker(tenant, "王阿姨", skills=("cleaning",), hours="mon-sun 09:00-18:00")
    item = await make_item(tenant, slug="aircon", skills=("appliance",))
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        for _ in range(3):
            auth = await bearer_for(tenant, "customer", await make_customer(tenant))
            placed = await client.post(
                "/api/v1/orders", json={"item_id": item, "address": new_address(), "asap": True}, headers={**auth, **key()}
            )
            assert placed.status_code == 201, placed.text
    times = sorted(await order_times(tenant))
    assert len(times) == 3
    for (_, end), (next_start, _) in zip(times, times[1:]):
        assert end <= next_start, times


async def test_a_full_day_is_refused_clearly_and_asap_moves_to_the_next_free_day(app, runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await make_worker(tenant, "陈师傅", skills=("appliance",), hours="mon-sun 09:00-11:00")
    item = await make_item(tenant, slug="aircon", skills=("appliance",))
    start = local_time(tenant, days_ahead=2, hour=9)
    body = {"item_id": item, "address": new_address(), "slot_start": start.isoformat()}
    tokens = [await bearer_for(tenant, "customer", await make_customer(tenant)) for _ in range(3)]
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        assert (await client.post("/api/v1/orders", json=body, headers={**tokens[0], **key()})).status_code == 201
        full = await client.post("/api/v1/orders", json=body, headers={**tokens[1], **key()})
        assert full.status_code == 400
        assert full.json()["error"]["fields"] == {"slot_start": "当天该服务已约满，请选择其他日期。"}
        for auth in tokens[1:]:
            placed = await client.post(
                "/api/v1/orders", json={"item_id": item, "address": new_address(), "asap": True}, headers={**auth, **key()}
            )
            assert placed.status_code == 201, placed.text
    starts = sorted(begin for begin, _ in await order_times(tenant))
    assert len({s.astimezone(SHANGHAI).date() for s in starts}) == 3


async def test_concurrent_placements_for_the_last_free_worker_make_one_order(app, runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    for name in ("李阿姨", "王阿姨"):
        await make_worker(tenant, name, hours="mon-sun 08:00-20:00")
    item = await make_item(tenant)
    start = local_time(tenant)
    body = {"item_id": item, "address": new_address(), "slot_start": start.isoformat()}
    tokens = [await bearer_for(tenant, "customer", await make_customer(tenant)) for _ in range(7)]
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        first = await client.post("/api/v1/orders", json=body, headers={**tokens[0], **key()})
        assert first.status_code == 201, first.text
        racing = await asyncio.gather(*[client.post("/api/v1/orders", json=body, headers={**auth, **key()}) for auth in tokens[1:]])
    assert sorted(r.status_code for r in racing) == [201] + [400] * 5, [r.text for r in racing]
    for refused in (r for r in racing if r.status_code == 400):
        assert set(refused.json()["error"]["fields"]) == {"slot_start"}
    assert len(await order_times(tenant)) == 2


# --- stays of many days ------------------------------------------------------------------------------


async def test_a_live_in_stay_offers_start_days_and_respects_days_off(runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    always = await make_worker(tenant, "张阿姨", skills=("maternity",), hours="mon-sun 08:00-20:00")
    resting = await make_worker(tenant, "刘阿姨", skills=("maternity",), hours="mon-fri 09:00-12:00; sat 10:00-14:00")
    async with tenant_scope(tenant.id):
        await services.add_time_off(resting, TimeOffCreate(first_day=date(2026, 12, 1), last_day=date(2026, 12, 1), reason="体检"))
    now = datetime(2026, 11, 28, tzinfo=UTC)
    # Tuesday 1 to Sunday 6 December: starts at the first hour of each worker's day.
    found = await slots_on(tenant, date(2026, 12, 1), days=6, skills=("maternity",), duration=LIVE_IN_MINUTES, now=now)
    assert found == {
        "12-01 08:00": [always],
        "12-02 08:00": [always], "12-02 09:00": [resting],
        "12-03 08:00": [always], "12-03 09:00": [resting],
        "12-04 08:00": [always], "12-04 09:00": [resting],
        "12-05 08:00": [always], "12-05 10:00": [resting],
        "12-06 08:00": [always],
    }
    async with tenant_scope(tenant.id):
        stay = await available_slots(duration_minutes=LIVE_IN_MINUTES, start_date=date(2026, 12, 2), days=1,
                                     skills=["maternity"], now=now)
    assert all(s.end - s.start == timedelta(days=26) for s in stay)
    # A job she holds three weeks later rules out every stay that reaches it.
    job = datetime(2026, 12, 24, 14, 0, tzinfo=SHANGHAI)
    await make_order(tenant, starts=job, ends=job + timedelta(hours=2), state="assigned", staff_id=always)
    found = await slots_on(tenant, date(2026, 12, 1), days=6, skills=("maternity",), duration=LIVE_IN_MINUTES, now=now)
    assert always not in {sid for ids in found.values() for sid in ids}
    assert found["12-02 09:00"] == [resting]


async def test_a_customer_books_a_live_in_stay_at_an_offered_start_day(app, runtime, make_tenant):
    tenant = await make_tenant(timezone="Asia/Shanghai")
    await make_worker(tenant, "张阿姨", skills=("maternity",), hours="mon-sun 08:00-20:00")
    item = await make_item(tenant, slug="yuesao", skills=("maternity",), duration=LIVE_IN_MINUTES)
    auth = await bearer_for(tenant, "customer", await make_customer(tenant))
    start = local_time(tenant, days_ahead=2, hour=8)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        offered = (await client.get("/api/v1/availability", params={"item": "yuesao", "date": start.date().isoformat()})).json()
        assert [datetime.fromisoformat(s["start"]) for s in offered["slots"]] == [start]
        placed = await client.post(
            "/api/v1/orders", json={"item_id": item, "address": new_address(), "slot_start": start.isoformat()},
            headers={**auth, **key()},
        )
        assert placed.status_code == 201, placed.text
        again = await client.post(
            "/api/v1/orders", json={"item_id": item, "address": new_address(), "slot_start": (start + timedelta(days=1)).isoformat()},
            headers={**auth, **key()},
        )
        assert again.status_code == 400 and "slot_start" in again.json()["error"]["fields"]
    assert [end - begin for begin, end in await order_times(tenant)] == [timedelta(days=26)]

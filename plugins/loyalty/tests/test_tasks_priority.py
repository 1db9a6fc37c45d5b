"""Priority booking, a task's reward: holders book further ahead, and workers are held back for
them, at the slot list (the API, the booking page) AND at placement (the server refuses a
non-holder's order into the held-back capacity). A franchise without loyalty pays no statement for
the hook."""

from __future__ import annotations

import secrets
from datetime import timedelta

from platform_core import clock
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.factories import (
    bearer_for,
    local_time,
    make_customer,
    make_item,
    make_worker,
    new_address,
    signed_in,
)
from platform_core.testing.pytest_plugin import client_for
from platform_core.testing.statements import StatementLog
from plugins.loyalty import tasks


async def priority_franchise(make_tenant, enable_plugin):
    tenant = await make_tenant(prefix="pb", timezone="Asia/Shanghai", locale="en")
    await enable_plugin(tenant, "loyalty")
    await make_worker(tenant)  # one worker, every day 08:00-20:00
    held = await make_item(tenant, slug="vip-clean", title="VIP clean")
    early = await make_item(tenant, slug="early-clean", title="Early clean")
    async with tenant_scope(tenant.id):
        await tasks.save_task(tasks.TaskInput(code="vip", kind="invite", title="Invite a friend", priority_days=30,
                                              priority_item_ids=[held], priority_held_back=1))
        await tasks.save_task(tasks.TaskInput(code="early", kind="invite", title="Invite another", priority_days=30,
                                              priority_item_ids=[early], priority_extra_days=7))
    holder, other = await make_customer(tenant), await make_customer(tenant)
    async with tenant_scope(tenant.id):
        assert await tasks.complete_tasks(holder, "invite", "invite:1") == ["vip", "early"]
    return tenant, held, early, holder, other


async def slots(client, slug: str, day, headers=None) -> list[str]:
    found = await client.get("/api/v1/availability", params={"item": slug, "date": day.isoformat()}, headers=headers or {})
    assert found.status_code == 200, found.text
    return [s["start"] for s in found.json()["slots"]]


async def test_holders_see_the_held_back_workers_and_the_longer_horizon(app, make_tenant, enable_plugin):
    tenant, _held, _early, holder, other = await priority_franchise(make_tenant, enable_plugin)
    soon = local_time(tenant, days_ahead=3).date()
    far = clock.today(tenant.timezone) + timedelta(days=16)  # past the franchise's 14 days, within 14 + 7
    mine, theirs = await bearer_for(tenant, "customer", holder), await bearer_for(tenant, "customer", other)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        # One worker, one held back: only the holder is offered them.
        assert await slots(client, "vip-clean", soon, mine)
        assert await slots(client, "vip-clean", soon, theirs) == []
        assert await slots(client, "vip-clean", soon) == []  # a visitor is nobody's holder
        # The longer horizon: the holder only; the franchise's own horizon for everyone else.
        assert await slots(client, "early-clean", far, mine)
        assert await slots(client, "early-clean", far, theirs) == []
        assert await slots(client, "early-clean", soon, theirs)
    async with await signed_in(app, tenant, "customer", holder) as client:
        assert f'value="{far.isoformat()}"' in (await client.get("/book/early-clean")).text
        assert 'class="slot-grid"' in (await client.get(f"/book/vip-clean/slots?day={soon.isoformat()}")).text
        tasks_page = (await client.get("/p/loyalty/tasks")).text
        assert "Priority booking for VIP clean until" in tasks_page and "Priority booking for Early clean until" in tasks_page
    async with await signed_in(app, tenant, "customer", other) as client:
        assert f'value="{far.isoformat()}"' not in (await client.get("/book/early-clean")).text
        assert 'class="slot-grid"' not in (await client.get(f"/book/vip-clean/slots?day={soon.isoformat()}")).text
    # A second worker: now one is free beyond the one held back, and everyone is offered the time.
    await make_worker(tenant, "Li")
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        assert await slots(client, "vip-clean", soon, theirs)


async def test_the_server_refuses_a_non_holders_placement_into_held_back_capacity(app, make_tenant, enable_plugin):
    tenant, held, early, holder, other = await priority_franchise(make_tenant, enable_plugin)
    start = local_time(tenant, days_ahead=3, hour=10)
    far = local_time(tenant, days_ahead=16, hour=10)
    mine, theirs = await bearer_for(tenant, "customer", holder), await bearer_for(tenant, "customer", other)

    def order(item: int, at) -> dict:
        return {"item_id": item, "address": new_address(), "slot_start": at.isoformat(), "payment_method": "after_service"}

    def key() -> dict[str, str]:
        return {"idempotency-key": secrets.token_hex(12)}

    async with client_for(app, f"{tenant.slug}.localhost") as client:
        refused = await client.post("/api/v1/orders", json=order(held, start), headers={**theirs, **key()})
        assert refused.status_code == 400, refused.text
        assert set(refused.json()["error"]["fields"]) == {"slot_start"}
        too_far = await client.post("/api/v1/orders", json=order(early, far), headers={**theirs, **key()})
        assert too_far.status_code == 400 and set(too_far.json()["error"]["fields"]) == {"slot_start"}
        placed = await client.post("/api/v1/orders", json=order(held, start), headers={**mine, **key()})
        assert placed.status_code == 201, placed.text
        ahead = await client.post("/api/v1/orders", json=order(early, far), headers={**mine, **key()})
        assert ahead.status_code == 201, ahead.text


async def test_a_grant_ends_and_a_turned_off_task_holds_nothing_back(app, make_tenant, enable_plugin):
    tenant, held, _early, holder, other = await priority_franchise(make_tenant, enable_plugin)
    soon = local_time(tenant, days_ahead=3).date()
    theirs = await bearer_for(tenant, "customer", other)
    async with tenant_scope(tenant.id):
        vip = next(t for t in await tasks.list_tasks() if t.code == "vip")
        await tasks.set_active(vip.id, False)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        assert await slots(client, "vip-clean", soon, theirs)


async def test_a_franchise_without_loyalty_pays_no_statement_for_the_booking_window(app, make_tenant, enable_plugin):
    """Availability costs the same statements with and without a signed-in customer where no
    plugin answers compute_booking_window; where loyalty answers, one statement more."""
    plain = await make_tenant(prefix="pl", timezone="Asia/Shanghai")
    await make_worker(plain)
    await make_item(plain, slug="plain-clean")
    customer = await make_customer(plain)
    day = local_time(plain, days_ahead=3).date().isoformat()
    auth = await bearer_for(plain, "customer", customer)
    async with client_for(app, f"{plain.slug}.localhost") as client:
        await client.get("/api/v1/availability", params={"item": "plain-clean", "date": day})  # warm the tenant cache
        with StatementLog() as anonymous:
            assert (await client.get("/api/v1/availability", params={"item": "plain-clean", "date": day})).status_code == 200
        with StatementLog() as signed:
            assert (await client.get("/api/v1/availability", params={"item": "plain-clean", "date": day}, headers=auth)).status_code == 200
    # The bearer token is read where sessions are kept: redis, or PostgreSQL's kv table without it.
    signed_booking = [s for s in signed.statements if "core_kv" not in s]
    assert len(signed_booking) == len(anonymous.statements), "\n".join(signed.statements)
    assert not any("loyalty_" in s for s in signed_booking)
    tenant, *_ = await priority_franchise(make_tenant, enable_plugin)
    async with client_for(app, f"{tenant.slug}.localhost") as client:
        await client.get("/api/v1/availability", params={"item": "vip-clean", "date": day})
        with StatementLog() as loyal:
            await client.get("/api/v1/availability", params={"item": "vip-clean", "date": day})
    assert len(loyal.statements) == len(anonymous.statements) + 1, loyal.statements
    print(f"availability statements: no plugin {len(anonymous.statements)}, loyalty on {len(loyal.statements)}")


async def test_the_tasks_page_tells_the_last_day_of_priority_on_the_franchises_calendar(app, make_tenant, enable_plugin):
    """A grant ending at 01:00 in Shanghai ends on that Shanghai day, not on the UTC day before."""
    from datetime import UTC, datetime

    from platform_core.db import current_connection

    tenant = await make_tenant(prefix="pb", timezone="Asia/Shanghai", locale="en")
    await enable_plugin(tenant, "loyalty")
    item_id = await make_item(tenant)
    customer = await make_customer(tenant)
    ends = datetime.now(UTC).replace(hour=17, minute=0, second=0, microsecond=0) + timedelta(days=5)  # 01:00 next day there
    async with tenant_scope(tenant.id):
        await tasks.save_task(tasks.TaskInput(code="vip", kind="invite", title="Invite a friend", priority_days=30,
                                              priority_item_ids=[item_id], priority_extra_days=14, reward_points=1))
        task_id = await current_connection().fetchval("select id from loyalty_task where code = 'vip'")
        await current_connection().execute(
            "insert into loyalty_priority_grant (tenant_id, customer_id, task_id, item_ids, categories, extra_days, starts_at, ends_at) "
            "values ($1, $2, $3, $4, '{}', 14, now(), $5)", tenant.id, customer, task_id, [item_id], ends)
    async with await signed_in(app, tenant, "customer", customer) as client:
        html = (await client.get("/p/loyalty/tasks")).text
    assert f"until {(ends + timedelta(hours=8)).date().isoformat()}:" in html

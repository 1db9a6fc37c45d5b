"""Tenant isolation over HTTP: one franchise's API and pages never show another's data, and
interleaved requests of many tenants over a small pool never carry a tenant over."""

from __future__ import annotations

import asyncio
import random
import re

import msgspec
import pytest

from platform_core.accounts.sessions import create_session
from platform_core.db import get_engine, start_pool, tenant_transaction
from platform_core.db.engine import app_dsn
from platform_core.notifications import services as notifications
from platform_core.notifications.schemas import NotificationCreate
from platform_core.pluginsys.contexts import OutboundMessage
from platform_core.tenancy.context import tenant_scope
from platform_core.testing.pytest_plugin import client_for

HX = {"HX-Request": "true"}


async def notify(tenant_id: int, customer_id: int, title: str) -> int:
    async with tenant_scope(tenant_id):
        note = await notifications.add_notification(
            NotificationCreate(recipient_kind="customer", recipient_id=customer_id, title=title)
        )
    return note.id


async def dev_sms(tenant_id: int, body: str, to: str = "+8613800138000") -> None:
    async with tenant_scope(tenant_id) as tenant:
        await notifications.send_message(OutboundMessage(tenant=tenant, channel="sms", to=to, body=body, purpose="otp"))


async def bearer(tenant_id: int, customer_id: int) -> dict[str, str]:
    token = await create_session(kind="customer", user_id=customer_id, tenant_id=tenant_id, via="bearer")
    return {"Authorization": f"Bearer {token}"}


async def test_customer_api_shows_only_this_tenants_notifications(runtime, tenant_a, tenant_b, client_a, client_b):
    # The same customer id in both franchises: ids are per table, the tenant is what separates them.
    await notify(tenant_a.id, 5, "A: your cleaner is on the way")
    await notify(tenant_b.id, 5, "B: your repair is booked")
    got_a = await client_a.get("/api/v1/notifications", headers=await bearer(tenant_a.id, 5))
    got_b = await client_b.get("/api/v1/notifications", headers=await bearer(tenant_b.id, 5))
    assert [n["title"] for n in got_a.json()["items"]] == ["A: your cleaner is on the way"]
    assert [n["title"] for n in got_b.json()["items"]] == ["B: your repair is booked"]


async def test_a_tenant_as_token_is_refused_on_tenant_bs_host(runtime, tenant_a, tenant_b, client_b):
    await notify(tenant_a.id, 6, "A only")
    response = await client_b.get("/api/v1/notifications", headers=await bearer(tenant_a.id, 6))
    assert response.status_code == 401
    assert "A only" not in response.text


async def test_the_x_tenant_header_can_not_reach_another_tenant(runtime, app, tenant_a, tenant_b):
    await notify(tenant_a.id, 7, "A via header")
    headers = {"X-Tenant": tenant_a.slug, **await bearer(tenant_b.id, 7)}
    async with client_for(app, f"{tenant_b.slug}.localhost", **headers) as client:
        response = await client.get("/api/v1/notifications")
    assert "A via header" not in response.text


async def test_marking_read_on_tenant_b_leaves_tenant_as_entries_alone(runtime, tenant_a, tenant_b, client_b):
    a_note = await notify(tenant_a.id, 8, "A unread")
    response = await client_b.post("/api/v1/notifications/read", json={"ids": [a_note]}, headers=await bearer(tenant_b.id, 8))
    assert response.json() == {"marked": 0}
    async with tenant_scope(tenant_a.id):
        assert await notifications.unread_count("customer", 8) == 1


async def test_dev_outbox_of_tenant_b_does_not_show_tenant_as_messages(runtime, tenant_a, tenant_b, client_a, client_b):
    await dev_sms(tenant_a.id, "A's code 246810", to="+8613811112222")
    await dev_sms(tenant_b.id, "B's code 135790", to="+8613833334444")
    page_b = await client_b.get("/dev/outbox", headers=HX)
    page_a = await client_a.get("/dev/outbox", headers=HX)
    assert page_b.status_code == 200 and page_a.status_code == 200
    assert "246810" not in page_b.text and "13811112222" not in page_b.text
    assert "246810" in page_a.text and "+8613811112222" in page_a.text
    assert "135790" in page_b.text and "135790" not in page_a.text


async def test_dev_outbox_does_not_exist_in_production(hearth_settings, tenant_a):
    from platform_core.app import create_app

    prod = create_app(msgspec.structs.replace(hearth_settings, env="prod"))
    prod.state.runtime.kv = None  # no lifespan: the page must answer before touching anything
    async with client_for(prod, f"{tenant_a.slug}.localhost") as client:
        response = await client.get("/dev/outbox", headers={"accept": "application/json"})
    assert response.status_code == 404


# --------------------------------------------------------------------------- interleaving


@pytest.fixture
async def small_pool_app(hearth_settings, app):
    """A second app whose pool holds two connections. The engine is per process, so the session
    app's pool is put back afterwards."""
    from platform_core.app import create_app

    settings = msgspec.structs.replace(
        hearth_settings, db=msgspec.structs.replace(hearth_settings.db, pool_min=2, pool_max=2)
    )
    small = create_app(settings)
    started, stop = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with small.lifespan():
            started.set()
            await stop.wait()

    task = asyncio.create_task(hold())
    await asyncio.wait([task, asyncio.create_task(started.wait())], return_when=asyncio.FIRST_COMPLETED)
    if task.done():
        task.result()
    try:
        yield small
    finally:
        stop.set()
        await task
        db = hearth_settings.db
        await start_pool(app_dsn(db.url, db.app_url), min_size=db.pool_min, max_size=db.pool_max)


async def test_interleaved_requests_of_many_tenants_over_a_small_pool_never_carry_a_tenant_over(
    runtime, make_tenant, small_pool_app
):
    tenants = [await make_tenant(prefix="mix") for _ in range(10)]
    for t in tenants:
        await dev_sms(t.id, f"marker-{t.slug}")
    marker = re.compile(r"marker-(mix-[0-9a-f]+)")
    clients = {t.slug: client_for(small_pool_app, f"{t.slug}.localhost", **HX) for t in tenants}
    order = [t.slug for t in tenants for _ in range(20)]
    random.Random(7).shuffle(order)

    async def fetch(slug: str) -> tuple[str, int, set[str]]:
        response = await clients[slug].get("/dev/outbox")
        return slug, response.status_code, set(marker.findall(response.text))

    try:
        results = await asyncio.wait_for(asyncio.gather(*(fetch(slug) for slug in order)), timeout=60)
    finally:
        for client in clients.values():
            await client.aclose()

    assert len(results) == 200
    wrong = [(slug, status, seen) for slug, status, seen in results if status != 200 or seen != {slug}]
    assert wrong == []


async def test_a_connection_back_in_the_pool_carries_no_tenant(runtime, tenant_a, small_pool_app):
    await dev_sms(tenant_a.id, "hello")
    async with client_for(small_pool_app, f"{tenant_a.slug}.localhost", **HX) as client:
        responses = await asyncio.gather(*(client.get("/dev/outbox") for _ in range(10)))
    assert {r.status_code for r in responses} == {200}
    async with tenant_transaction(tenant_a.id):
        pass  # and one through the transaction helper directly
    pool = get_engine().pool
    conns = [await pool.acquire() for _ in range(2)]  # every connection the pool has
    try:
        settings = [await c.fetchval("select current_setting('app.tenant_id', true)") for c in conns]
    finally:
        for c in conns:
            await pool.release(c)
    assert all(s in (None, "") for s in settings), settings

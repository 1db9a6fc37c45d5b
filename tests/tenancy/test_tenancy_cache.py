"""Each app process keeps the tenants it serves (tenancy/cache.py) and each tenant's plugin config
(pluginsys), confirmed by the tenant's version stamp in the statement that sets the request's
tenant. A second app on the same database stands for a second process: what one changes, the
other shows with its next request; two franchises' requests never see each other's tenant."""

import asyncio

import msgspec
import pytest

from platform_core.app import create_app
from platform_core.db import current_connection, get_engine, tenant_transaction
from platform_core.tenancy.schemas import Branding, TenantCreate
from platform_core.tenancy.services import set_status, update_tenant
from platform_core.testing.factories import make_item
from platform_core.testing.pytest_plugin import client_for, unique_slug
from platform_core.testing.statements import StatementLog


@pytest.fixture
def other_app(app, hearth_settings):
    """A second app on the same database and pool, with caches of its own (a second process)."""
    other = create_app(hearth_settings)
    other.state.runtime.redis, other.state.runtime.kv = app.state.runtime.redis, app.state.runtime.kv
    return other


def _spec(tenant, **changes) -> TenantCreate:
    fields = msgspec.structs.asdict(tenant)
    data = {k: fields[k] for k in ("slug", "name", "locale", "timezone", "currency", "branding")}
    return TenantCreate(**{**data, **changes})


async def test_a_branding_change_shows_in_another_app_at_once(app, other_app, tenant_a):
    host = f"{tenant_a.slug}.localhost"
    async with client_for(app, host) as one, client_for(other_app, host) as two:
        assert "Franchise A" in (await two.get("/services")).text  # cached by the second app
        await update_tenant(tenant_a.slug, _spec(tenant_a, branding=Branding(display_name="Renamed Cleaners")))
        assert "Renamed Cleaners" in (await two.get("/services")).text
        assert "Renamed Cleaners" in (await one.get("/services")).text


async def test_a_plugin_turned_on_and_configured_shows_in_another_app_at_once(app, other_app, tenant_a, enable_plugin):
    from platform_core.pluginsys.services import disable_plugin, set_plugin_config

    async with client_for(other_app, f"{tenant_a.slug}.localhost") as two:
        assert "Closed for the holiday" not in (await two.get("/services")).text
        await enable_plugin(tenant_a, "announcements", title="Closed for the holiday")
        assert "Closed for the holiday" in (await two.get("/services")).text
        await set_plugin_config(tenant_a.id, "announcements", {"title": "Open again"}, actor="test")
        page = (await two.get("/services")).text
        assert "Open again" in page and "Closed for the holiday" not in page
        await disable_plugin(tenant_a.id, "announcements", actor="test")
        assert "Open again" not in (await two.get("/services")).text


async def test_a_moved_domain_serves_its_new_franchise_at_once(app, other_app, make_tenant):
    one = await make_tenant(name="Moving A", hosts=[f"www.{unique_slug('moving')}.example"])
    host = one.hosts[0]
    two = await make_tenant(name="Moving B")
    await make_item(one, title="Moving A service")
    await make_item(two, title="Moving B service")
    async with client_for(other_app, host) as client:
        assert "Moving A service" in (await client.get("/services")).text
        async with tenant_transaction(None):
            await current_connection().execute(
                "update core_tenant_domain set tenant_id = $1 where host = $2", two.id, host
            )
        page = (await client.get("/services")).text
        assert "Moving B service" in page and "Moving A service" not in page
        async with tenant_transaction(None):
            await current_connection().execute("delete from core_tenant_domain where host = $1", host)
        assert (await client.get("/services")).status_code == 404


async def test_a_suspended_franchise_stops_at_once_in_every_app(app, other_app, tenant_a):
    host = f"{tenant_a.slug}.localhost"
    async with client_for(app, host) as one, client_for(other_app, host) as two:
        assert (await one.get("/services")).status_code == 200
        assert (await two.get("/api/v1/catalog/items")).status_code == 200
        await set_status(tenant_a.slug, "suspended", "Unpaid royalties")
        assert (await two.get("/services")).status_code == 403
        assert (await one.get("/api/v1/catalog/items")).status_code == 403
        await set_status(tenant_a.slug, "active")
        assert (await two.get("/services")).status_code == 200


async def test_interleaved_requests_of_two_franchises_never_see_the_other(app, tenant_a, tenant_b):
    await make_item(tenant_a, title="Only at A")
    await make_item(tenant_b, title="Only at B")
    async with client_for(app, f"{tenant_a.slug}.localhost") as a, client_for(app, f"{tenant_b.slug}.localhost") as b:
        pages = await asyncio.gather(*[
            (a if i % 2 == 0 else b).get("/services" if i % 3 else "/api/v1/catalog/items") for i in range(40)
        ])
        # The JSON API with X-Tenant on the other's host takes the named franchise, never the cached host's.
        named = await a.get("/api/v1/catalog/items", headers={"X-Tenant": tenant_b.slug})
    for i, page in enumerate(pages):
        own, other = ("Only at A", "Only at B") if i % 2 == 0 else ("Only at B", "Only at A")
        assert page.status_code == 200 and own in page.text and other not in page.text
    assert [item["title"] for item in named.json()] == ["Only at B"]


async def _statements(client, path: str) -> list[str]:
    (await client.get(path)).raise_for_status()  # the tenant is cached from here on
    with StatementLog() as log:
        response = await client.get(path)
    response.raise_for_status()
    return log.statements


async def test_the_services_page_takes_five_statements(client_a, tenant_a, enable_plugin):
    await make_item(tenant_a, title="Window cleaning")
    await enable_plugin(tenant_a, "announcements", title="Closed on Monday")
    statements = await _statements(client_a, "/services")
    # BEGIN, set_config with the tenant's stamp, the categories, the items with their add-ons,
    # COMMIT: no tenant lookup, no plugin config, no pool reset.
    assert len(statements) <= 5, "\n".join(statements)


async def test_the_catalog_api_takes_four_statements(client_a, tenant_a):
    await make_item(tenant_a, title="Window cleaning")
    statements = await _statements(client_a, "/api/v1/catalog/items")
    assert len(statements) <= 4, "\n".join(statements)


async def test_released_connections_carry_no_tenant_and_no_lock(client_a, tenant_a):
    """The pools skip asyncpg's reset query: nothing a request does may outlive its transaction."""
    await make_item(tenant_a, title="Window cleaning")
    for path in ("/services", "/api/v1/catalog/items", "/"):
        (await client_a.get(path)).raise_for_status()
    pool = get_engine().pool
    held = [await pool.acquire() for _ in range(pool.get_size())]
    try:
        for conn in held:
            assert await conn.fetchval("select current_setting('app.tenant_id', true)") in (None, "")
            assert await conn.fetchval(
                "select count(*) from pg_locks where pid = pg_backend_pid() and locktype = 'advisory'"
            ) == 0
    finally:
        for conn in held:
            await pool.release(conn)

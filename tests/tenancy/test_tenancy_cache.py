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
from platform_core.testing.factories import (
    make_booking,
    make_console_user,
    make_item,
    make_worker,
)
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


async def test_the_services_page_takes_two_statements(client_a, tenant_a, enable_plugin):
    await make_item(tenant_a, title="Window cleaning")
    await enable_plugin(tenant_a, "announcements", title="Closed on Monday")
    statements = await _statements(client_a, "/services")
    # BEGIN with set_config and the tenant's stamp in one round trip, COMMIT: no tenant lookup,
    # no plugin config, no catalog (kept by the stamp), no pool reset.
    assert len(statements) <= 2, "\n".join(statements)


async def test_the_catalog_api_takes_two_statements(client_a, tenant_a):
    await make_item(tenant_a, title="Window cleaning")
    statements = await _statements(client_a, "/api/v1/catalog/items")
    assert len(statements) <= 2, "\n".join(statements)


async def test_a_catalog_change_shows_in_another_app_at_once(app, other_app, tenant_a):
    """What customers see of the catalog is kept by the tenant's stamp, and its fragments of
    markup too; a change to a category, an item or an add-on renews the stamp (catalog_0004)."""
    from platform_core.catalog.schemas import ServiceItemUpdate
    from platform_core.catalog.services import update_item
    from platform_core.tenancy.context import tenant_scope

    item_id = await make_item(tenant_a, title="Window cleaning", slug="windows")
    host = f"{tenant_a.slug}.localhost"
    async with client_for(app, host) as one, client_for(other_app, host) as two:
        for client in (one, two):
            assert "Window cleaning" in (await client.get("/services")).text
            assert "Window cleaning" in (await client.get("/services/windows")).text
            assert [i["title"] for i in (await client.get("/api/v1/catalog/items")).json()] == ["Window cleaning"]
        async with tenant_scope(tenant_a.id) as tenant:
            await update_item(tenant, item_id, ServiceItemUpdate(title="Window washing"))
        for client in (two, one):
            assert "Window washing" in (await client.get("/services")).text
            assert "Window washing" in (await client.get("/services/windows")).text
            assert [i["title"] for i in (await client.get("/api/v1/catalog/items")).json()] == ["Window washing"]
        # Raw SQL renews the stamp as well (the triggers, not the service, keep the promise).
        async with tenant_transaction(tenant_a.id):
            await current_connection().execute("update core_service_item set active = false where id = $1", item_id)
        for client in (one, two):
            assert "Window washing" not in (await client.get("/services")).text
            assert (await client.get("/services/windows")).status_code == 404
            assert (await client.get("/api/v1/catalog/items")).json() == []


async def _stamp(tenant) -> int:
    async with tenant_transaction(None):
        return await current_connection().fetchval("select version from core_tenant where id = $1", tenant.id)


async def test_a_catalog_update_that_changes_nothing_keeps_the_stamp(tenant_a):
    item_id = await make_item(tenant_a, title="Window cleaning")

    before = await _stamp(tenant_a)
    async with tenant_transaction(tenant_a.id):
        await current_connection().execute("update core_service_item set title = title where id = $1", item_id)
    assert await _stamp(tenant_a) == before
    async with tenant_transaction(tenant_a.id):
        await current_connection().execute("update core_service_addon set active = false where item_id = $1", item_id)
        await current_connection().execute(
            "insert into core_service_addon (tenant_id, item_id, title, price, duration_minutes) values ($1, $2, 'Balcony', 3000, 30)",
            tenant_a.id, item_id,
        )
    assert await _stamp(tenant_a) > before


async def test_fragments_are_kept_per_franchise_language_and_visitor(app, tenant_a, tenant_b):
    """The layout's chrome and the home page's body are rendered once per tenant stamp, language
    and whether a customer is signed in (web/templating.Fragments): never another's."""
    async with (client_for(app, f"{tenant_a.slug}.localhost") as a, client_for(app, f"{tenant_b.slug}.localhost") as b,
                client_for(app, f"{tenant_a.slug}.localhost") as en, client_for(app, f"{tenant_a.slug}.localhost") as zh):
        en.cookies.set("hearth_locale", "en")
        zh.cookies.set("hearth_locale", "zh_CN")
        for _ in range(2):
            home_a, home_b = (await a.get("/")).text, (await b.get("/")).text
            english, chinese = (await en.get("/")).text, (await zh.get("/")).text
            services = (await a.get("/services")).text
            assert "Franchise A" in home_a and "Franchise B" not in home_a
            assert "Franchise B" in home_b and "Franchise A" not in home_b
            assert "How it works" in english and "How it works" not in chinese
            assert 'href="/services" aria-current="page"' in services and 'href="/" aria-current="page"' not in services
            assert 'href="/" aria-current="page"' in home_a
        await update_tenant(tenant_a.slug, _spec(tenant_a, branding=Branding(display_name="Renamed A")))
        assert "Renamed A" in (await a.get("/")).text


async def test_a_signed_in_customer_and_a_visitor_get_their_own_chrome(app, tenant_a, customer):
    from platform_core.testing.factories import signed_in

    async with client_for(app, f"{tenant_a.slug}.localhost") as visitor, await signed_in(app, tenant_a, "customer", customer) as signed:
        for _ in range(2):
            theirs, anyone = (await signed.get("/")).text, (await visitor.get("/")).text
            assert 'action="/account/sign-out"' in theirs and 'href="/orders"' in theirs
            assert 'action="/account/sign-out"' not in anyone and 'href="/account/sign-in"' in anyone
            # The sign-out form's token is the customer's own (outside the fragments).
            token = signed.cookies.get("hearth_csrf")
            assert token and f'name="csrf_token" value="{token}"' in theirs


async def test_an_item_page_takes_two_statements(client_a, tenant_a):
    item_id = await make_item(tenant_a, title="Window cleaning", slug="window-cleaning")
    await make_worker(tenant_a, "王阿姨")
    await make_booking(tenant_a, item_id=item_id)
    page = await client_a.get("/services/window-cleaning")
    assert "Window cleaning" in page.text and "王阿姨" in page.text
    # Its item, workers and reviews are kept by the stamp (catalog_0004, staff_0003, reviews_0004).
    statements = await _statements(client_a, "/services/window-cleaning")
    assert len(statements) <= 2, "\n".join(statements)


async def test_a_review_and_a_worker_change_show_on_the_item_page_in_another_app_at_once(app, other_app, tenant_a, customer):
    from platform_core.reviews.schemas import ReviewCreate
    from platform_core.reviews.services import hide_review, submit_review
    from platform_core.staff.services import set_worker_status
    from platform_core.tenancy.context import tenant_scope

    item_id = await make_item(tenant_a, title="Window cleaning", slug="windows")
    booking = await make_booking(tenant_a, item_id=item_id)
    other_worker = await make_worker(tenant_a, "Zhao")
    host = f"{tenant_a.slug}.localhost"
    async with client_for(app, host) as one, client_for(other_app, host) as two:
        for client in (one, two):
            page = (await client.get("/services/windows")).text
            assert "Zhao" in page and "李**" not in page
        async with tenant_scope(tenant_a.id):
            review = await submit_review(booking.customer_id, booking.number, ReviewCreate(
                quality=5, attitude=5, skill=4, text="Spotless windows"))
            await set_worker_status(other_worker, "inactive")
        for client in (two, one):
            page = (await client.get("/services/windows")).text
            assert "Spotless windows" in page and "李**" in page and "Zhao" not in page
        # The reviewer renamed (their initial shows) and the review hidden by the office.
        async with tenant_transaction(tenant_a.id):
            await current_connection().execute("update core_customer set display_name = '周华' where id = $1", booking.customer_id)
        assert "周**" in (await two.get("/services/windows")).text
        owner = await make_console_user(tenant_a)
        async with tenant_scope(tenant_a.id):
            await hide_review(review.id, owner.id, "spam")
        for client in (one, two):
            assert "Spotless windows" not in (await client.get("/services/windows")).text


async def test_a_workers_sign_in_or_a_customers_rename_keeps_the_stamp(tenant_a, customer):
    worker = await make_worker(tenant_a, "Wang")

    before = await _stamp(tenant_a)
    async with tenant_transaction(tenant_a.id):
        await current_connection().execute("update core_staff set last_sign_in_at = now() where id = $1", worker)
        await current_connection().execute("update core_customer set display_name = 'Somebody' where id = $1", customer)
    assert await _stamp(tenant_a) == before  # neither shows on an item page: no process reads its catalog again


async def test_a_stale_cached_tenant_is_read_again_in_the_same_request(app, tenant_a):
    """The stamp probe goes with BEGIN; when it finds another stamp, the request reads the tenant
    again and serves what the database says."""
    async with client_for(app, f"{tenant_a.slug}.localhost") as client:
        assert "Franchise A" in (await client.get("/services")).text
        await update_tenant(tenant_a.slug, _spec(tenant_a, branding=Branding(display_name="Stale No More")))
        with StatementLog() as log:
            page = await client.get("/services")
    assert "Stale No More" in page.text
    assert any("from core_tenant t where" in s for s in log.statements), "\n".join(log.statements)


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

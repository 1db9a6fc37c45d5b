"""Read replicas (db/replica.py): a handler marked `read_only=True` runs its request's transaction
READ ONLY on the read pool (HEARTH_READ_DATABASE_URL) with the tenant set, every other handler on
the primary; and every marked route of the app only reads.

The "standby" here is a second pool on the same database whose sessions refuse writes
(`default_transaction_read_only=on`) and carry their own application_name, so a test can tell
which pool served a request; a real standby refuses writes the same way."""

from __future__ import annotations

import msgspec
import pytest
from litestar import get, post

from platform_core.db import current_connection
from platform_core.db.engine import app_dsn
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.testing.pytest_plugin import client_for, running_beside

READ_NAME = "hearth-read-test"


async def _where() -> dict:
    conn = current_connection()
    row = await conn.fetchrow(
        "select current_setting('application_name') as pool, current_setting('transaction_read_only') as read_only, "
        "current_setting('app.tenant_id', true) as tenant"
    )
    return dict(row)


@get("/_test/where-read", read_only=True, include_in_schema=False)
async def where_read() -> dict:
    return await _where()


@post("/_test/where-written", include_in_schema=False, status_code=200)
async def where_written() -> dict:
    return await _where()


@get("/_test/writes-while-marked-read-only", read_only=True, include_in_schema=False)
async def writes_while_marked() -> dict:
    await current_connection().execute("create temporary table hearth_should_not_exist (id int)")
    return {}


class ProbeRoutes:
    @hookimpl
    def register_routes(self):
        return [where_read, where_written, writes_while_marked]


@pytest.fixture
async def replica_app(hearth_settings, app):
    """A second app whose read pool is the 'standby'. The engine is per process, so the session
    app's pool is put back afterwards."""
    from platform_core.app import create_app

    db = hearth_settings.db
    primary = app_dsn(db.url, db.app_url)  # the embedded server's has a query already (its socket)
    read_url = f"{primary}{'&' if '?' in primary else '?'}application_name={READ_NAME}&default_transaction_read_only=on"
    settings = msgspec.structs.replace(hearth_settings, db=msgspec.structs.replace(db, read_url=read_url))
    pm = build_plugin_manager()
    pm.register(ProbeRoutes(), name="core.test_read_replica")
    async with running_beside(create_app(settings, pm=pm), hearth_settings) as application:
        yield application


async def test_a_read_only_handler_reads_from_the_replica_with_its_tenant_and_the_rest_from_the_primary(replica_app, tenant_a):
    async with client_for(replica_app, f"{tenant_a.slug}.localhost") as client:
        read = (await client.get("/_test/where-read")).json()
        written = (await client.post("/_test/where-written")).json()
    assert read == {"pool": READ_NAME, "read_only": "on", "tenant": str(tenant_a.id)}
    assert written["pool"] != READ_NAME and written["read_only"] == "off" and written["tenant"] == str(tenant_a.id)


async def test_the_primary_refuses_writes_in_a_read_only_transaction_when_no_replica_is_configured(app, tenant_a):
    from asyncpg.exceptions import ReadOnlySQLTransactionError

    from platform_core.db import tenant_transaction

    with pytest.raises(ReadOnlySQLTransactionError):
        async with tenant_transaction(tenant_a.id, read_only=True):
            await current_connection().execute("create temporary table hearth_should_not_exist (id int)")
    async with tenant_transaction(tenant_a.id, read_only=True):
        assert await current_connection().fetchval("select current_setting('application_name')") != READ_NAME


def _read_only_paths(application) -> set[str]:
    return {
        route.path for route in application.routes for handler in getattr(route, "route_handlers", [])
        if handler.opt.get("read_only") and not route.path.startswith("/_test/")
    }


async def test_every_route_marked_read_only_answers_from_the_replica(replica_app, tenant_a, item, worker):
    from platform_core.catalog.services import get_item
    from platform_core.tenancy.context import tenant_scope

    async with tenant_scope(tenant_a.id):
        slug = (await get_item(item)).slug
    urls = {
        "/": "/",
        "/services/{slug:str}": f"/services/{slug}",
        "/workers/{staff_id:int}": f"/workers/{worker}",
        "/api/v1/workers/{staff_id:int}": f"/api/v1/workers/{worker}",
        "/services": "/services",
        "/api/v1/catalog/categories": "/api/v1/catalog/categories",
        "/api/v1/catalog/items": "/api/v1/catalog/items",
        "/api/v1/catalog/items/{slug:str}": f"/api/v1/catalog/items/{slug}",
    }
    # A route newly marked read_only is walked here too, or this fails until it is.
    assert _read_only_paths(replica_app) == set(urls)
    async with client_for(replica_app, f"{tenant_a.slug}.localhost") as client:
        for url in urls.values():
            answer = await client.get(url)
            assert answer.status_code == 200, f"{url}: {answer.status_code} {answer.text[:300]}"
        refused = await client.get("/_test/writes-while-marked-read-only")
    assert refused.status_code == 500

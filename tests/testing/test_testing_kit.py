"""The test kit (platform_core.testing): every built-in plugin passes the contract check and what
it catches is named in its message; the customer, worker and item fixtures are tenant A's."""

from __future__ import annotations

import pytest

from platform_core import clock
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.pluginsys.services import plugin_catalog
from platform_core.testing.contracts import (
    check_plugin,
    import_problems,
    table_problems,
)

BUILT_IN = sorted(p.name for p in plugin_catalog(build_plugin_manager()))


def test_there_are_built_in_plugins_to_check():
    assert {"announcements", "payments_wechat"} <= set(BUILT_IN)


@pytest.mark.parametrize("name", BUILT_IN)
async def test_every_built_in_plugin_keeps_the_contract(app, name):
    await check_plugin(name)


async def test_a_plugin_that_is_not_installed_fails_the_check(app):
    with pytest.raises(AssertionError, match="no installed distribution has a 'hearth.plugins' entry point named 'nope'"):
        await check_plugin("nope")


def test_an_import_of_the_core_beside_the_plugin_api_is_named(tmp_path):
    source = tmp_path / "plugin.py"
    source.write_text("from platform_core.plugin_api import hookimpl\nfrom platform_core.db import current_connection\nfrom .config import X\n")
    assert import_problems(source) == [
        "plugin.py line 2 imports platform_core.db; import from platform_core.plugin_api instead"
    ]


async def test_a_table_without_tenant_id_or_forced_security_is_named(app):
    from platform_core.db import current_connection, tenant_transaction

    async with tenant_transaction(None):
        platform_table = await current_connection().fetchval(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = current_schema() "
            "where c.relkind = 'r' and c.relname like 'core_%' and not exists (select 1 from pg_attribute a where a.attrelid = c.oid "
            "and a.attname = 'tenant_id') limit 1"
        )
    assert await table_problems(["core_customer"]) == []
    assert await table_problems([platform_table, "kit_no_such_table"]) == [
        f"table {platform_table} has no tenant_id column (or does not exist: is the plugin migrated?)",
        "table kit_no_such_table has no tenant_id column (or does not exist: is the plugin migrated?)",
    ]


async def test_the_worker_fixture_gives_tenant_a_a_bookable_morning(runtime, tenant_a, tenant_b, worker):
    from platform_core.booking.availability import available_slots
    from platform_core.tenancy.context import tenant_scope
    from platform_core.testing.factories import local_time

    morning = local_time(tenant_a, 2, 10)
    for tenant, expected in ((tenant_a, [worker]), (tenant_b, None)):
        async with tenant_scope(tenant.id):
            found = await available_slots(duration_minutes=120, start_date=morning.date(), days=1, skills=["cleaning"], now=clock.now())
        assert next((s.staff_ids for s in found if s.start == morning), None) == expected


async def test_the_customer_can_book_the_item_of_tenant_a_and_tenant_b_has_no_such_item(
    app, runtime, tenant_a, tenant_b, customer, item
):
    from platform_core.db import current_connection
    from platform_core.tenancy.context import tenant_scope
    from platform_core.testing.factories import make_customer, signed_in

    async with tenant_scope(tenant_a.id):
        slug = await current_connection().fetchval("select slug from core_service_item where id = $1", item)
    async with await signed_in(app, tenant_a, "customer", customer) as client:
        page = await client.get(f"/book/{slug}")
    assert page.status_code == 200 and "Daily cleaning" in page.text
    async with await signed_in(app, tenant_b, "customer", await make_customer(tenant_b)) as client:
        assert (await client.get(f"/book/{slug}")).status_code == 404

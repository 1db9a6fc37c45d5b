"""The relay's promise: a plugin that fails in an on_* hook never undoes the fact it was told."""

from __future__ import annotations

from datetime import datetime, timezone

from platform_core.db import current_connection, tenant_transaction
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import CustomerEvent
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.pluginsys.relay import PluginRelay, notify
from platform_core.tenancy.context import tenant_scope


class BrokenPlugin:
    @hookimpl
    async def on_customer_registered(self, event):
        await current_connection().execute("select 1 / 0")


class CountingPlugin:
    def __init__(self) -> None:
        self.calls = 0

    @hookimpl
    async def on_customer_registered(self, event):
        self.calls += 1
        await current_connection().fetchval("select 1")


async def test_a_plugin_whose_sql_fails_leaves_the_transaction_and_the_other_plugins_intact(app, tenant_a):
    pm = build_plugin_manager(load_entrypoints=False)
    counting = CountingPlugin()
    pm.register(BrokenPlugin(), name="broken")
    pm.register(counting, name="counting")
    hooks = PluginRelay(pm).for_enabled(frozenset({"broken", "counting"}))

    async with tenant_scope(tenant_a.id) as tenant:
        conn = current_connection()
        await conn.execute(
            "insert into core_tenant_plugin (tenant_id, plugin_name, enabled) values ($1, 'witness', true)", tenant.id
        )
        event = CustomerEvent(tenant=tenant, customer_id=1, occurred_at=datetime.now(timezone.utc))
        failed = await notify(hooks.on_customer_registered, event=event)
        # The transaction is still usable after the plugin's failed statement.
        assert await conn.fetchval("select count(*) from core_tenant_plugin where plugin_name = 'witness'") == 1

    assert failed == ["broken"]
    assert counting.calls == 1
    async with tenant_transaction(tenant_a.id):
        assert await current_connection().fetchval(
            "select enabled from core_tenant_plugin where plugin_name = 'witness'"
        ) is True

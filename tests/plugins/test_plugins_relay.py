"""The relay's promise: a plugin that fails in an on_* hook never undoes the fact it was told."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from platform_core.crypto import Keyring
from platform_core.db import current_connection, tenant_transaction
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.calls import collect_now, tell
from platform_core.pluginsys.contexts import (
    CustomerEvent,
    DispatchCandidate,
    DispatchScore,
)
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.pluginsys.relay import PluginRelay
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
    hooks = PluginRelay(pm, Keyring("k" * 32)).for_enabled(frozenset({"broken", "counting"}))

    async with tenant_scope(tenant_a.id) as tenant:
        conn = current_connection()
        await conn.execute(
            "insert into core_tenant_plugin (tenant_id, plugin_name, enabled) values ($1, 'witness', true)", tenant.id
        )
        event = CustomerEvent(tenant=tenant, customer_id=1, occurred_at=datetime.now(timezone.utc))
        failed = await tell(hooks.on_customer_registered, event=event)
        # The transaction is still usable after the plugin's failed statement.
        assert await conn.fetchval("select count(*) from core_tenant_plugin where plugin_name = 'witness'") == 1

    assert failed == ["broken"]
    assert counting.calls == 1
    async with tenant_transaction(tenant_a.id):
        assert await current_connection().fetchval(
            "select enabled from core_tenant_plugin where plugin_name = 'witness'"
        ) is True


class CoreReaction:
    """Stands for a core domain reacting to a fact (registered under the core's prefix)."""

    @hookimpl
    async def on_customer_registered(self, event):
        raise RuntimeError("the core could not react")


async def test_a_core_reaction_that_fails_undoes_the_fact_it_was_told(app, tenant_a):
    pm = build_plugin_manager(load_entrypoints=False)
    pm.register(CoreReaction(), name="core.reaction")
    hooks = PluginRelay(pm, Keyring("k" * 32)).for_enabled(frozenset())
    with pytest.raises(RuntimeError, match="could not react"):
        async with tenant_scope(tenant_a.id) as tenant:
            await current_connection().execute(
                "insert into core_tenant_plugin (tenant_id, plugin_name, enabled) values ($1, 'undone', true)", tenant.id
            )
            await tell(hooks.on_customer_registered, event=CustomerEvent(tenant=tenant, customer_id=1, occurred_at=datetime.now(timezone.utc)))
    async with tenant_transaction(tenant_a.id):
        assert await current_connection().fetchval("select count(*) from core_tenant_plugin where plugin_name = 'undone'") == 0


class Scores:
    def __init__(self, fails: bool) -> None:
        self.fails = fails

    @hookimpl
    def compute_dispatch_scores(self, candidate):
        if self.fails:
            raise ValueError("bug in a plugin")
        return [DispatchScore(name="loyal", score=1.0)]


async def test_a_failing_plugin_is_left_out_of_a_computed_answer_but_a_failing_core_module_is_not(tenant_a):
    pm = build_plugin_manager(load_entrypoints=False)
    pm.register(Scores(fails=True), name="flaky")
    pm.register(Scores(fails=False), name="steady")
    relay = PluginRelay(pm, Keyring("k" * 32))
    candidate = DispatchCandidate(tenant=tenant_a, order_id=1, staff_id=2, category="cleaning")
    found = collect_now(relay.for_enabled(frozenset({"flaky", "steady"})).compute_dispatch_scores, candidate=candidate)
    assert [(c.plugin, c.value.name) for c in found] == [("steady", "loyal")]

    pm.register(Scores(fails=True), name="core.scores")
    with pytest.raises(ValueError, match="bug"):
        collect_now(relay.for_enabled(frozenset({"steady"})).compute_dispatch_scores, candidate=candidate)

"""Installed vs enabled: per-tenant enablement, the relay, config fallback and secrets."""

from __future__ import annotations

from datetime import datetime, timezone

import msgspec
import pytest

from platform_core.db import current_connection, tenant_transaction
from platform_core.errors import ValidationFailed
from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.calls import tell
from platform_core.pluginsys.contexts import OrderEvent, PluginInfo
from platform_core.pluginsys.manager import build_plugin_manager
from platform_core.pluginsys.services import (
    disable_plugin,
    enable_plugin,
    get_plugin_config,
    set_platform_default,
    set_plugin_config,
    tenant_plugin,
    tenants_with_plugin,
)
from platform_core.runtime import Runtime, current_runtime
from platform_core.tenancy.context import tenant_scope


class RecorderConfig(msgspec.Struct, frozen=True, kw_only=True):
    greeting: str = "hello"
    visits: int = 3
    loud: bool = False
    api_key: str = ""


class Recorder:
    """A plugin that writes down every hook call it gets."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.calls: list[tuple[str, int, str]] = []

    @hookimpl
    def register_plugin_info(self):
        return PluginInfo(title=self.name.title(), config=RecorderConfig, category="marketing")

    @hookimpl
    def on_plugin_enabled(self, event):
        self.calls.append(("enabled", event.tenant.id, event.plugin_name))

    @hookimpl
    async def on_plugin_disabled(self, event):
        self.calls.append(("disabled", event.tenant.id, event.plugin_name))

    @hookimpl
    def on_order_paid(self, event):
        self.calls.append(("order_paid", event.tenant.id, str(event.order_id)))


@pytest.fixture
def recorders():
    return {"recorder": Recorder("recorder"), "bystander": Recorder("bystander")}


@pytest.fixture(autouse=True)
def recording_runtime(app, hearth_settings, recorders):
    """Every test here runs with a runtime that has the two recorders installed (entered inside
    the app's, so services find this one)."""
    # Without the core's payments, which would look for order 7 of _paid() when told it was paid.
    pm = build_plugin_manager(blocked=("core.payments",))
    for name, plugin in recorders.items():
        pm.register(plugin, name=name)
    with Runtime.build(hearth_settings, pm).scope() as runtime:
        yield runtime


def _paid(tenant) -> OrderEvent:
    return OrderEvent(
        tenant=tenant, order_id=7, customer_id=1, category="cleaning", amount=100, currency="CNY",
        occurred_at=datetime.now(timezone.utc),
    )


async def _order_paid(tenant_id: int) -> None:
    async with tenant_scope(tenant_id) as tenant:
        await tell(current_runtime().hooks(tenant).on_order_paid, event=_paid(tenant))


async def test_hooks_of_a_plugin_run_only_for_tenants_that_enabled_it(recorders, tenant_a, tenant_b):
    await enable_plugin(tenant_a.id, "recorder", actor="test")
    await _order_paid(tenant_a.id)
    await _order_paid(tenant_b.id)
    paid = [c for c in recorders["recorder"].calls if c[0] == "order_paid"]
    assert paid == [("order_paid", tenant_a.id, "7")]
    assert not [c for c in recorders["bystander"].calls if c[0] == "order_paid"]


async def test_enabling_tells_the_new_enabled_set_and_disabling_only_that_plugin(recorders, tenant_a):
    await enable_plugin(tenant_a.id, "bystander", actor="test")
    await enable_plugin(tenant_a.id, "recorder", actor="test")
    # The tenant's other enabled plugin hears of the new one; the new one hears of itself.
    assert ("enabled", tenant_a.id, "recorder") in recorders["bystander"].calls
    assert recorders["recorder"].calls == [("enabled", tenant_a.id, "recorder")]

    await disable_plugin(tenant_a.id, "recorder", actor="test")
    assert recorders["recorder"].calls[-1] == ("disabled", tenant_a.id, "recorder")
    assert ("disabled", tenant_a.id, "recorder") not in recorders["bystander"].calls


async def test_enabling_twice_changes_nothing_and_fires_once(recorders, tenant_a):
    first = await enable_plugin(tenant_a.id, "recorder", actor="test")
    second = await enable_plugin(tenant_a.id, "recorder", actor="test")
    assert (first.changed, second.changed) == (True, False)
    assert recorders["recorder"].calls.count(("enabled", tenant_a.id, "recorder")) == 1


async def test_enabled_set_is_read_afresh_by_the_next_unit_of_work(tenant_a):
    async with tenant_scope(tenant_a.id) as before:
        assert "recorder" not in before.enabled_plugins
    await enable_plugin(tenant_a.id, "recorder", actor="test")
    async with tenant_scope(tenant_a.id) as after:
        assert "recorder" in after.enabled_plugins
    await disable_plugin(tenant_a.id, "recorder", actor="test")
    async with tenant_scope(tenant_a.id) as later:
        assert "recorder" not in later.enabled_plugins


async def test_relay_keeps_one_caller_per_enabled_set(recorders, tenant_a):
    none_on = current_runtime().relay.for_enabled(frozenset())
    recorder_on = current_runtime().relay.for_enabled(frozenset({"recorder"}))
    assert current_runtime().relay.for_enabled(frozenset()) is none_on
    assert none_on is not recorder_on
    async with tenant_scope(tenant_a.id) as tenant:
        event = _paid(tenant)
        await tell(none_on.on_order_paid, event=event)
        assert recorders["recorder"].calls == []
        await tell(recorder_on.on_order_paid, event=event)
        assert recorders["recorder"].calls == [("order_paid", tenant_a.id, "7")]
        # The set without the plugin still leaves it out after the other set was built.
        await tell(current_runtime().relay.for_enabled(frozenset()).on_order_paid, event=event)
        assert len(recorders["recorder"].calls) == 1


async def test_unknown_plugin_is_a_clear_error(tenant_a):
    with pytest.raises(ValidationFailed) as caught:
        await enable_plugin(tenant_a.id, "no_such_plugin", actor="test")
    assert caught.value.fields == {"plugin": "No installed plugin has this name."}
    with pytest.raises(ValidationFailed):
        await enable_plugin(tenant_a.id, "core.web", actor="test")


async def test_tenants_with_plugin_lists_only_the_tenants_that_have_it_on(tenant_a, tenant_b):
    await enable_plugin(tenant_b.id, "recorder", actor="test")
    tenants = await tenants_with_plugin("recorder")
    assert tenant_b.slug in tenants and tenant_a.slug not in tenants


async def test_config_falls_back_from_tenant_to_platform_default_to_struct_default(tenant_a, tenant_b):
    assert await get_plugin_config(tenant_a.id, "recorder") == RecorderConfig()
    try:
        await set_platform_default("recorder", {"greeting": "你好", "visits": "5"}, actor="test")
        await set_plugin_config(tenant_a.id, "recorder", {"greeting": "Hi A"}, actor="test")
        a = await get_plugin_config(tenant_a.id, "recorder")
        b = await get_plugin_config(tenant_b.id, "recorder")
        assert (a.greeting, a.visits, a.loud) == ("Hi A", 5, False)
        assert (b.greeting, b.visits, b.loud) == ("你好", 5, False)
        # Dropping the tenant's override brings the platform default back.
        await set_plugin_config(tenant_a.id, "recorder", {}, reset=("greeting",), actor="test")
        assert (await get_plugin_config(tenant_a.id, "recorder")).greeting == "你好"
    finally:
        await set_platform_default("recorder", {}, reset=("greeting", "visits"), actor="test")
    assert await get_plugin_config(tenant_b.id, "recorder") == RecorderConfig()


async def test_invalid_config_names_every_bad_field(tenant_a):
    with pytest.raises(ValidationFailed) as caught:
        await set_plugin_config(tenant_a.id, "recorder", {"visits": "many", "loud": "maybe", "colour": "red"})
    assert caught.value.fields == {
        "visits": "Enter a whole number.",
        "loud": "Enter true or false.",
        "colour": "Unknown setting.",
    }
    assert await get_plugin_config(tenant_a.id, "recorder") == RecorderConfig()


async def test_form_strings_are_converted_to_the_field_types(tenant_a):
    config = await set_plugin_config(tenant_a.id, "recorder", {"visits": "12", "loud": "true"})
    assert (config.visits, config.loud) == (12, True)


async def test_secret_is_encrypted_at_rest_and_shown_back_masked(tenant_a):
    secret = "sk_live_0123456789abcdef"
    await set_plugin_config(tenant_a.id, "recorder", {"api_key": secret})
    async with tenant_transaction(tenant_a.id):
        raw = await current_connection().fetchval(
            "select config::text from core_tenant_plugin where tenant_id = $1 and plugin_name = 'recorder'", tenant_a.id
        )
    assert secret not in raw and "v1:" in raw
    assert (await get_plugin_config(tenant_a.id, "recorder")).api_key == secret
    state = await tenant_plugin(tenant_a.id, "recorder")
    assert state.config["api_key"] != secret and state.config["api_key"].endswith("cdef")
    assert "api_key" in state.overridden


async def test_secret_of_one_tenant_does_not_decrypt_as_another_plugins(tenant_a):
    await set_plugin_config(tenant_a.id, "recorder", {"api_key": "sk_test_secret"})
    async with tenant_transaction(tenant_a.id):
        conn = current_connection()
        raw = await conn.fetchval("select config from core_tenant_plugin where tenant_id = $1 and plugin_name = 'recorder'", tenant_a.id)
        # A sealed value copied into another plugin's row is bound to its own plugin and field.
        await conn.execute(
            "insert into core_tenant_plugin (tenant_id, plugin_name, config) values ($1, 'bystander', $2)", tenant_a.id, raw
        )
    assert (await get_plugin_config(tenant_a.id, "bystander")).api_key == ""

"""Installed vs enabled: the catalog, per-tenant enablement, and config with its fallbacks.

Config resolves tenant row (core_tenant_plugin.config) -> platform default
(core_plugin_default.config) -> the Struct's defaults, field by field. Enabling or disabling is
one row; it never runs DDL (plugin tables exist for every tenant, under RLS).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from types import MappingProxyType
from typing import Any, Awaitable, Callable, Mapping, TypeVar
from weakref import WeakKeyDictionary

import msgspec
import pluggy

from platform_core.db import current_connection, get_engine, tenant_transaction
from platform_core.errors import ValidationFailed
from platform_core.tenancy.context import current_tenant, enter_tenant, tenant_scope
from platform_core.tenancy.schemas import TenantContext
from platform_core.tenancy.services import load_tenant_context, tenant_ids

from . import config as cfg
from .calls import collect_now, tell
from .contexts import PluginInfo, PluginToggleEvent
from .manager import is_core, plugin_names
from .relay import current_relay, current_relay_or_none
from .schemas import PlatformPluginState, PluginSummary, TenantPluginState, ToggleResult

log = logging.getLogger("hearth.plugins")
T = TypeVar("T")
UNKNOWN_PLUGIN = "No installed plugin has this name."


# --------------------------------------------------------------------------- catalog


def plugin_infos(pm: pluggy.PluginManager) -> Mapping[str, PluginInfo]:
    """Every installed plugin's PluginInfo (a bare one for plugins that describe nothing). The
    running relay's manager's are built once per set of registered plugins (from
    `relay.registered`) and shared, read-only: a plugin's config is looked up this way on every page."""
    relay = current_relay_or_none()
    if relay is None or relay.pm is not pm:
        return _infos(pm, collect_now(pm.hook.register_plugin_info))
    found = relay.registered("register_plugin_info")
    kept = _KEPT_INFOS.get(relay)
    if kept is None or kept[0] is not found:
        kept = _KEPT_INFOS[relay] = (found, MappingProxyType(_infos(pm, found)))
    return kept[1]


# The relay's infos, with the answers they were built from (a new set of plugins collects anew).
_KEPT_INFOS: WeakKeyDictionary[Any, tuple[list, Mapping[str, PluginInfo]]] = WeakKeyDictionary()


def _infos(pm: pluggy.PluginManager, found: list) -> dict[str, PluginInfo]:
    infos = {name: PluginInfo(title=name) for name in plugin_names(pm)}
    for plugin, info in found:
        if not is_core(plugin):
            infos[plugin] = info
    return infos


def plugin_info(pm: pluggy.PluginManager, name: str) -> PluginInfo:
    info = plugin_infos(pm).get(name)
    if info is None:
        raise ValidationFailed({"plugin": UNKNOWN_PLUGIN}, message="There is no such plugin.")
    return info


def _versions(pm: pluggy.PluginManager) -> dict[str, str]:
    by_plugin = {id(plugin): dist.version for plugin, dist in pm.list_plugin_distinfo()}
    return {name: by_plugin.get(id(plugin), "") for name, plugin in pm.list_name_plugin() if name}


def plugin_catalog(pm: pluggy.PluginManager) -> list[PluginSummary]:
    """Installed plugins: name, version (from the distribution), title, description, category
    and config fields."""
    versions = _versions(pm)
    return [
        PluginSummary(
            name=name, title=info.title, description=info.description, version=versions.get(name, ""),
            category=info.category, fields=cfg.config_fields(info.config), site_urls=info.site_urls,
        )
        for name, info in sorted(plugin_infos(pm).items())
    ]


# --------------------------------------------------------------------------- stored layers


def _json(raw: Any) -> dict[str, Any]:
    if isinstance(raw, str):
        return msgspec.json.decode(raw or "{}")
    return dict(raw or {})


async def _tenant_layers(tenant_id: int) -> dict[str, tuple[bool, dict[str, Any]]]:
    async with tenant_transaction(tenant_id):
        rows = await current_connection().fetch(
            "select plugin_name, enabled, config from core_tenant_plugin where tenant_id = $1", tenant_id
        )
    return {r["plugin_name"]: (r["enabled"], _json(r["config"])) for r in rows}


async def _default_layers() -> dict[str, dict[str, Any]]:
    # Platform-level table: readable in any transaction, tenant or not.
    rows = await current_connection().fetch("select plugin_name, config from core_plugin_default")
    return {r["plugin_name"]: _json(r["config"]) for r in rows}


async def _default_layer(name: str) -> dict[str, Any]:
    raw = await current_connection().fetchval("select config from core_plugin_default where plugin_name = $1", name)
    return _json(raw)


def _tenant_id(tenant: TenantContext | int) -> int:
    return tenant if isinstance(tenant, int) else tenant.id


# --------------------------------------------------------------------------- config


C = TypeVar("C", bound=msgspec.Struct)


async def plugin_config(config_type: type[C], tenant: TenantContext | None = None) -> C:
    """The effective config of the plugin whose config Struct is `config_type`, for the current
    tenant (or `tenant`): what a plugin calls from its hooks, routes and jobs. Reaches the
    plugins through the relay the request or job runs with (relay.current_relay)."""
    relay = current_relay()
    owners = [name for name, info in plugin_infos(relay.pm).items() if info.config is config_type]
    if not owners:
        raise LookupError(f"no installed plugin declares {config_type.__name__} as its config")
    config = await get_plugin_config(tenant or current_tenant(), owners[0])
    return config  # type: ignore[return-value]


async def update_own_config(config_type: type[C], values: dict[str, Any], *, actor: str = "") -> C:
    """Set fields of the current tenant's config of the plugin whose config Struct is
    `config_type` (what the franchise could type on its settings page): for a plugin that learns a
    value only at run time, e.g. a coupon template's id named in its tenant file's data.
    ValidationFailed per bad field; returns the new effective config."""
    relay = current_relay()
    owners = [name for name, info in plugin_infos(relay.pm).items() if info.config is config_type]
    if not owners:
        raise LookupError(f"no installed plugin declares {config_type.__name__} as its config")
    return await set_plugin_config(current_tenant().id, owners[0], values, actor=actor or f"plugin:{owners[0]}")  # type: ignore[return-value]


async def get_plugin_config(tenant: TenantContext | int, name: str) -> msgspec.Struct | None:
    """The tenant's effective config of a plugin, decoded into its Struct (None when the plugin
    declares no config). Works whether or not the tenant has the plugin on.

    Kept per process by the tenant's stamp (`TenantContext.version`, renewed by any change to
    the tenant's plugin rows or the platform defaults), so a page's banners read nothing."""
    relay = current_relay()
    info = plugin_info(relay.pm, name)
    if info.config is None:
        return None
    key = (tenant.id, tenant.version, name) if isinstance(tenant, TenantContext) and tenant.version else None
    if key is not None and not _wrote_config():
        found = relay.configs.get(key)
        if found is not None:
            return found
    else:
        key = None
    tenant_id = _tenant_id(tenant)
    async with tenant_transaction(tenant_id):
        row = await current_connection().fetchval(
            "select config from core_tenant_plugin where tenant_id = $1 and plugin_name = $2", tenant_id, name
        )
        default = await _default_layer(name)
    layers = [cfg.unseal(relay.keyring, name, _json(row)), cfg.unseal(relay.keyring, name, default)]
    config = cfg.decode_layers(info.config, layers)
    if key is not None:
        relay.configs.put(key, config)
    return config


# The transaction that last wrote plugin config in this context. Until it ends, its reads go to
# the database and are not kept: what they see may yet be rolled back.
_WRITER: contextvars.ContextVar[object | None] = contextvars.ContextVar("hearth_config_writer", default=None)


def _wrote_config() -> bool:
    writer = _WRITER.get()
    return writer is not None and writer is get_engine().current_transaction.get()


def _config_written() -> None:
    """A write through this module: what this process kept may be older than what a context it
    handed out still names (a TenantContext held across the change), so drop it all."""
    _WRITER.set(get_engine().current_transaction.get())
    current_relay().configs.clear()


def _merge(name: str, info: PluginInfo, stored: dict[str, Any], values: dict[str, Any], reset: tuple[str, ...], below: list[dict[str, Any]]) -> dict[str, Any]:
    """Validate `values`, merge them into a stored layer (minus `reset`), check the result
    against the Struct as a whole, and return the layer to store (secrets sealed)."""
    clean = cfg.validate_values(info.config, values)
    unknown = [k for k in reset if k not in {f.name for f in cfg.config_fields(info.config)}]
    if unknown:
        raise ValidationFailed({k: cfg.UNKNOWN_SETTING for k in unknown})
    layer = {k: v for k, v in cfg.unseal(current_relay().keyring, name, stored).items() if k not in reset}
    layer.update(clean)
    effective: dict[str, Any] = {}
    for lower in reversed(below):
        effective.update(lower)
    effective.update(layer)
    cfg.check_whole(info.config, effective)
    return cfg.seal(current_relay().keyring, name, layer)


async def set_plugin_config(
    tenant_id: int, name: str, values: dict[str, Any], *, reset: tuple[str, ...] = (), actor: str = ""
) -> msgspec.Struct | None:
    """Set some fields of a tenant's config (strings are converted: CLI and form input) and
    drop the overrides named in `reset`. Raises ValidationFailed with a message per bad field.
    Returns the new effective config."""
    info = plugin_info(current_relay().pm, name)
    async with tenant_transaction(tenant_id):
        conn = current_connection()
        stored = _json(await conn.fetchval(
            "select config from core_tenant_plugin where tenant_id = $1 and plugin_name = $2", tenant_id, name
        ))
        default = cfg.unseal(current_relay().keyring, name, await _default_layer(name))
        layer = _merge(name, info, stored, values, reset, [default])
        _config_written()
        await conn.execute(
            "insert into core_tenant_plugin (tenant_id, plugin_name, config) values ($1, $2, $3) "
            "on conflict (tenant_id, plugin_name) do update set config = excluded.config, updated_at = now()",
            tenant_id, name, msgspec.json.encode(layer).decode(),
        )
    log.info("plugin %s config set for tenant %s by %s: %s", name, tenant_id, actor or "-", sorted(values) + [f"-{k}" for k in reset])
    return await get_plugin_config(tenant_id, name)


async def get_platform_default(name: str) -> msgspec.Struct | None:
    """The platform default of a plugin's config: its stored layer over the Struct's defaults."""
    info = plugin_info(current_relay().pm, name)
    if info.config is None:
        return None
    async with tenant_transaction(None):
        stored = await _default_layer(name)
    return cfg.decode_layers(info.config, [cfg.unseal(current_relay().keyring, name, stored)])


async def set_platform_default(name: str, values: dict[str, Any], *, reset: tuple[str, ...] = (), actor: str = "") -> msgspec.Struct | None:
    """Set the platform's default for some fields of a plugin's config (what every tenant gets
    unless it sets the field itself). Same validation as set_plugin_config."""
    info = plugin_info(current_relay().pm, name)
    async with tenant_transaction(None):
        conn = current_connection()
        layer = _merge(name, info, await _default_layer(name), values, reset, [])
        _config_written()
        await conn.execute(
            "insert into core_plugin_default (plugin_name, config) values ($1, $2) "
            "on conflict (plugin_name) do update set config = excluded.config, updated_at = now()",
            name, msgspec.json.encode(layer).decode(),
        )
    log.info("plugin %s platform default set by %s: %s", name, actor or "-", sorted(values) + [f"-{k}" for k in reset])
    return await get_platform_default(name)


# --------------------------------------------------------------------------- enablement


async def _toggle(tenant_id: int, name: str, enabled: bool, actor: str) -> ToggleResult:
    plugin_info(current_relay().pm, name)
    async with tenant_transaction(tenant_id):
        conn = current_connection()
        before = await conn.fetchval(
            "select enabled from core_tenant_plugin where tenant_id = $1 and plugin_name = $2", tenant_id, name
        )
        if bool(before) == enabled:
            return ToggleResult(name=name, enabled=enabled, changed=False)
        _config_written()
        await conn.execute(
            "insert into core_tenant_plugin (tenant_id, plugin_name, enabled) values ($1, $2, $3) "
            "on conflict (tenant_id, plugin_name) do update set enabled = excluded.enabled, updated_at = now()",
            tenant_id, name, enabled,
        )
        tenant = await load_tenant_context(tenant_id)
        assert tenant is not None  # the insert above would have failed on its foreign key
        event = PluginToggleEvent(tenant=tenant, plugin_name=name, enabled=enabled, actor=actor)
        # The hooks run in the same transaction as the change, in the new tenant context: their
        # writes commit or roll back with it. Enabling is told to every plugin of the new set;
        # disabling only to the core and the plugin that goes.
        async with enter_tenant(tenant):
            if enabled:
                failed = await tell(current_relay().for_enabled(tenant.enabled_plugins).on_plugin_enabled, event=event)
            else:
                failed = await tell(current_relay().for_enabled(frozenset({name})).on_plugin_disabled, event=event)
    log.info("plugin %s %s for tenant %s by %s", name, "enabled" if enabled else "disabled", tenant_id, actor or "-")
    return ToggleResult(name=name, enabled=enabled, changed=True, failed_hooks=failed)


async def enable_plugin(tenant_id: int, name: str, actor: str) -> ToggleResult:
    """Turn a plugin on for one tenant; it takes effect from the tenant's next request."""
    return await _toggle(tenant_id, name, True, actor)


async def disable_plugin(tenant_id: int, name: str, actor: str) -> ToggleResult:
    """Turn a plugin off for one tenant. Its config stays, for when it is turned on again."""
    return await _toggle(tenant_id, name, False, actor)


async def _detached(work: Callable[[], Awaitable[T]]) -> T:
    """Run in a fresh context: outside the caller's transaction and tenant, so the work can open
    one transaction per tenant (RLS shows one tenant's rows per transaction)."""
    return await asyncio.create_task(work(), context=contextvars.Context())  # type: ignore[arg-type]


async def plugin_tenants() -> dict[str, list[str]]:
    """Which tenants (slugs) have each plugin on."""

    async def collect() -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        for tenant_id in await tenant_ids():
            async with tenant_scope(tenant_id) as tenant:
                for name in tenant.enabled_plugins:
                    found.setdefault(name, []).append(tenant.slug)
        return found

    return await _detached(collect)


async def tenants_with_plugin(name: str) -> list[str]:
    return (await plugin_tenants()).get(name, [])


# --------------------------------------------------------------------------- what consoles show


async def tenant_plugins(tenant_id: int) -> list[TenantPluginState]:
    """Every installed plugin as this tenant has it (the franchise console's Plugins page)."""
    infos = plugin_infos(current_relay().pm)
    rows = await _tenant_layers(tenant_id)
    async with tenant_transaction(tenant_id):
        defaults = await _default_layers()
    states = []
    for summary in plugin_catalog(current_relay().pm):
        info = infos[summary.name]
        enabled, stored = rows.get(summary.name, (False, {}))
        layer = cfg.unseal(current_relay().keyring, summary.name, stored)
        config = None
        if info.config is not None:
            config = cfg.decode_layers(info.config, [layer, cfg.unseal(current_relay().keyring, summary.name, defaults.get(summary.name, {}))])
        states.append(TenantPluginState(plugin=summary, enabled=enabled, config=cfg.shown(config), overridden=sorted(layer)))
    return states


async def tenant_plugin(tenant_id: int, name: str) -> TenantPluginState:
    for state in await tenant_plugins(tenant_id):
        if state.plugin.name == name:
            return state
    raise ValidationFailed({"plugin": UNKNOWN_PLUGIN}, message="There is no such plugin.")


async def platform_plugins() -> list[PlatformPluginState]:
    """The platform console's catalog: every plugin, who has it on, the platform default."""
    infos = plugin_infos(current_relay().pm)
    on = await plugin_tenants()
    async with tenant_transaction(None):
        defaults = await _default_layers()
    states = []
    for summary in plugin_catalog(current_relay().pm):
        info = infos[summary.name]
        layer = cfg.unseal(current_relay().keyring, summary.name, defaults.get(summary.name, {}))
        config = cfg.decode_layers(info.config, [layer]) if info.config is not None else None
        states.append(
            PlatformPluginState(plugin=summary, tenants=on.get(summary.name, []), config=cfg.shown(config), overridden=sorted(layer))
        )
    return states

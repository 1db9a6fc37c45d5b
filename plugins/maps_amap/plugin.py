"""Hook implementations of the AMap plugin: the map provider, driving times, the sandbox."""

from __future__ import annotations

from typing import TYPE_CHECKING

import msgspec

from platform_core.plugin_api import PluginInfo, hookimpl, plugin_config

from .client import AMapProvider
from .config import AMapConfig

if TYPE_CHECKING:
    from platform_core.plugin_api import MapQuery, RouteQuery, SandboxConfig


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="AMap",
        description="Addresses are suggested while customers type them and placed on the map by AMap (高德); "
                    "maps use AMap's road map and live tracking its driving times.",
        config=AMapConfig,
        category="dispatch",
    )


async def _provider(tenant) -> AMapProvider | None:
    config = await plugin_config(AMapConfig, tenant=tenant)
    return AMapProvider(config) if config.web_service_key else None


@hookimpl
async def select_map_provider(maps: MapQuery) -> AMapProvider | None:
    return await _provider(maps.tenant)


@hookimpl
async def select_route_eta(route: RouteQuery) -> int | None:
    provider = await _provider(route.tenant)
    return None if provider is None else await provider.driving_seconds(route.origin, route.destination)


@hookimpl
def register_sandbox_config(sandbox: SandboxConfig) -> AMapConfig:
    return msgspec.convert(msgspec.to_builtins(sandbox.amap), AMapConfig)

"""Hook implementations of hearth-hello (registered by its entry point)."""

from __future__ import annotations

from litestar import Request, get
from litestar.di import NamedDependency

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import CustomerEvent, MenuEntry, PluginInfo
from platform_core.pluginsys.services import get_plugin_config
from platform_core.runtime import Runtime
from platform_core.tenancy.context import current_tenant

from .config import HelloConfig

NAME = "hello"

# Test-only instrumentation: every on_customer_registered call, as (tenant_id, customer_id),
# so a test can see which tenants the hook ran for. A real plugin would write to its table.
REGISTRATIONS: list[tuple[int, int]] = []


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(title="Hello", description="Greets visitors at /p/hello/.", config=HelloConfig, category="other")


@get("/", include_in_schema=False, name="hello-greeting")
async def greeting(request: Request, rt: NamedDependency[Runtime]) -> dict[str, str]:
    tenant = current_tenant()
    config = await get_plugin_config(rt, tenant, NAME)
    return {"tenant": tenant.slug, "message": " ".join([config.greeting] * config.times)}


@hookimpl
def register_routes():
    # Mounted at /p/hello/, behind a guard that answers 404 for tenants that have it off.
    return [greeting]


@hookimpl
def register_console_menu():
    return [MenuEntry(label="Hello", href="/p/hello/", icon="star", section="business", permission="console.view")]


@hookimpl
async def on_customer_registered(event: CustomerEvent) -> None:
    REGISTRATIONS.append((event.tenant.id, event.customer_id))

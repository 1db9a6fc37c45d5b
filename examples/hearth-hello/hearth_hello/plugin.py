"""Hook implementations of hearth-hello (registered by its entry point)."""

from __future__ import annotations

from pathlib import Path

from litestar import Request, get
from litestar.response import Template

from platform_core.plugin_api import (
    CustomerEvent,
    MenuEntry,
    PluginInfo,
    StaticDir,
    hookimpl,
    page,
    plugin_config,
)

from .config import HelloConfig
from .services import welcome_customer, welcomed_count

NAME = "hello"
HERE = Path(__file__).parent


@hookimpl
def register_plugin_info() -> PluginInfo:
    return PluginInfo(
        title="Hello", description="Greets visitors at /p/hello/ and counts the new customers it has welcomed.",
        config=HelloConfig, category="other",
    )


@hookimpl
def register_piccolo_apps() -> list[str]:
    # Read by platform_core.db.conf, so `hearth db migrate` creates hello_welcome.
    return ["hearth_hello.piccolo_app"]


@hookimpl
def register_template_dirs() -> list[Path]:
    # translations/ beside templates/ is merged into the catalogues.
    return [HERE / "templates"]


@hookimpl
def register_static_dirs() -> list[StaticDir]:
    return [StaticDir(name=NAME, path=str(HERE / "static"))]


@get("/", include_in_schema=False, name="hello-greeting")
async def greeting(request: Request) -> Template:
    config = await plugin_config(HelloConfig)
    return page(request, "hello/greeting.html", message=" ".join([config.greeting] * config.times), welcomed=await welcomed_count())


@hookimpl
def register_routes():
    # Mounted at /p/hello/, behind a guard that answers 404 for tenants that have it off.
    return [greeting]


@hookimpl
def provide_console_menu():
    return [MenuEntry(label="Hello", href="/p/hello/", icon="star", section="business", permission="console.view")]


@hookimpl
async def on_customer_registered(event: CustomerEvent) -> None:
    # Called in the registration's transaction, only for tenants that have hello on.
    await welcome_customer(event.tenant.id, event.customer_id)

"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_views, controllers, services, views


@hookimpl
def register_routes():
    return [controllers.CatalogController, *views.HANDLERS, *console_views.HANDLERS]


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Services & prices", href="/console/catalog", icon="star", section="business", permission="catalog.manage", order=10),
    ]


@hookimpl
async def on_plugin_enabled(event):
    # The plugin's categories become rows now, so listing the catalog only reads (services.py).
    await services.sync_plugin_categories(event.tenant)

"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_views, controllers, views


@hookimpl
def register_routes():
    return [controllers.CatalogController, *views.HANDLERS, *console_views.HANDLERS]


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Services & prices", href="/console/catalog", icon="star", section="business", permission="catalog.manage", order=10),
    ]

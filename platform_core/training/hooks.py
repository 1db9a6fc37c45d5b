"""Training's hook implementations (registered as a core plugin): its pages, its menu entry,
the courses a category requires (compute_order_requirements), and plugins' courses made when a
franchise turns a plugin on."""

from __future__ import annotations

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_views, learning, platform_views, staff_views, sync


@hookimpl
def register_routes():
    return [*console_views.CONSOLE_HANDLERS, *platform_views.PLATFORM_HANDLERS, *staff_views.STAFF_HANDLERS]


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Training", href="/console/training", icon="star", section="business", permission="staff.manage", order=21),
    ]


@hookimpl
async def compute_order_requirements(query):
    return await learning.order_requirement(query)


@hookimpl
async def on_plugin_enabled(event):
    # A plugin's courses become the franchise's rows now, as its categories do (catalog).
    await sync.sync_plugin_courses(event.tenant)

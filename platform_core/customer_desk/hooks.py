"""This flow's hook implementations (registered as a core plugin)."""

from __future__ import annotations

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import views


@hookimpl
def register_routes():
    return views.HANDLERS


@hookimpl
def provide_console_menu():
    return [MenuEntry(label="Customers", href=views.BASE, icon="users", section="operations", permission="customers.view", order=30)]

"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import controllers, views


@hookimpl
def register_routes():
    return [controllers.WorkerController, *views.HANDLERS]


@hookimpl
def provide_console_menu():
    return [MenuEntry(label="Workers", href="/console/workers", icon="users", section="business", permission="staff.manage", order=20)]

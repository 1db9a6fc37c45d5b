"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import controllers, views


@hookimpl
def register_routes():
    return [*controllers.API_HANDLERS, *views.PAGE_HANDLERS]


@hookimpl
def provide_console_menu():
    return [MenuEntry(label="Feedback", href="/console/feedback", icon="inbox", section="operations", permission="support.manage", order=70)]

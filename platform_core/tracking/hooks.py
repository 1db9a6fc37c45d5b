"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl

from . import controllers, today, views


@hookimpl
def register_routes():
    return [*controllers.API_HANDLERS, *views.PAGE_HANDLERS, *today.HANDLERS]

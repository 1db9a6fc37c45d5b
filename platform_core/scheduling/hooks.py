"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl

from . import views


@hookimpl
def register_routes():
    return views.HANDLERS

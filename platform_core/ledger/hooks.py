"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl

from . import staff_views


@hookimpl
def register_routes():
    return staff_views.STAFF_HANDLERS

"""This domain's hook implementations (registered as a core plugin)."""

from pathlib import Path

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import StaticDir

from . import controllers, views


@hookimpl
def register_routes():
    return [*controllers.API_HANDLERS, *views.PAGE_HANDLERS]


@hookimpl
def register_static_dirs():
    # Served at /static/p/tracking/ (tracking.js: the worker's sharing and the customer's map).
    return [StaticDir(name="tracking", path=str(Path(__file__).parent / "static"))]

"""The web shell registers itself through the same hooks as plugins."""

from platform_core.pluginsys import hookimpl

from . import health, views


@hookimpl
def register_routes():
    return [health.live, health.ready, views.home, views.switch_locale]

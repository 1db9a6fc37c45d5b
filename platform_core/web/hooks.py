"""The web shell registers itself through the same hooks as plugins."""

from platform_core.pluginsys import hookimpl

from . import health


@hookimpl
def register_routes():
    return [health.live, health.ready]

"""The web shell registers itself through the same hooks as plugins."""

from platform_core.metrics import metrics
from platform_core.pluginsys import hookimpl

from . import dashboard, health, views


@hookimpl
def register_routes():
    return [health.live, health.ready, metrics, views.home, views.switch_locale, views.brand_stylesheet, dashboard.dashboard]

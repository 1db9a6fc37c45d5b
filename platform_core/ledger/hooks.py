"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_views, staff_views


@hookimpl
def register_routes():
    return [*console_views.CONSOLE_HANDLERS, *staff_views.STAFF_HANDLERS]


@hookimpl
def register_console_menu():
    return [MenuEntry(label="Ledger", href="/console/finance/ledger", icon="building", section="business", permission="finance.view", order=45)]

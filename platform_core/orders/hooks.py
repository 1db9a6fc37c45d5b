"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_views, messages


@hookimpl
def register_routes():
    return console_views.CONSOLE_HANDLERS


@hookimpl
def register_job_handlers():
    return messages.JOB_HANDLERS


@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Orders", href="/console/orders", icon="inbox", section="operations", permission="orders.view", order=20),
        MenuEntry(label="Exceptions", href="/console/orders/exceptions", icon="alert", section="operations", permission="orders.view", order=25),
        MenuEntry(label="Booking rules", href="/console/orders/settings", icon="settings", section="settings", permission="settings.manage", order=30),
    ]

"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import (
    address_views,
    console_cli,
    console_views,
    controllers,
    inbox_controllers,
    inbox_views,
    legal_views,
    platform_views,
    sign_in_views,
    views,
)


@hookimpl
def register_routes():
    return [
        controllers.AuthController,
        controllers.LegalController,
        controllers.MeController,
        *sign_in_views.SIGN_IN_HANDLERS,
        *views.CUSTOMER_HANDLERS,
        address_views.AddressController,
        *views.STAFF_HANDLERS,
        *console_views.console_handlers(),
        *platform_views.platform_handlers(),
        inbox_controllers.NotificationController,
        *inbox_views.INBOX_HANDLERS,
        *legal_views.LEGAL_HANDLERS,
    ]


# Console users, roles and operators (console_views.py, platform_views.py, console_cli.py).
@hookimpl
def provide_console_menu():
    return [
        MenuEntry(label="Dashboard", href="/console/", icon="home", section="operations", order=0),
        MenuEntry(label="Users", href="/console/users", icon="users", section="settings", permission="users.manage", order=10),
        MenuEntry(label="Roles", href="/console/roles", icon="key", section="settings", permission="users.manage", order=20),
        MenuEntry(label="Terms & privacy", href="/console/legal", icon="shield", section="settings", permission="settings.manage", order=40),
        MenuEntry(label="Security", href="/console/account/security", icon="shield", section="settings", order=90),
    ]


@hookimpl
def register_cli_commands(cli):
    cli.add_command(console_cli.users)

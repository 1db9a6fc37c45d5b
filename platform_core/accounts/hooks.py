"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry

from . import console_views, controllers, platform_views


@hookimpl
def register_routes():
    return [
        controllers.AuthController,
        controllers.MeController,
        *console_views.console_handlers(),
        *platform_views.platform_handlers(),
    ]


@hookimpl
def register_console_menu():
    return [
        MenuEntry(label="Dashboard", href="/console/", icon="home", section="operations", order=0),
        MenuEntry(label="Users", href="/console/users", icon="users", section="settings", permission="users.manage", order=10),
        MenuEntry(label="Roles", href="/console/roles", icon="key", section="settings", permission="users.manage", order=20),
        MenuEntry(label="Security", href="/console/account/security", icon="shield", section="settings", order=90),
    ]


@hookimpl
def register_cli_commands(cli):
    """`hearth users create-owner TENANT` and `hearth users create-operator`."""
    import click
    import msgspec

    from platform_core.cli import app_database, ready_settings, run
    from platform_core.db import tenant_transaction
    from platform_core.tenancy.context import tenant_scope
    from platform_core.tenancy.services import tenant_id_for_slug

    from . import console_services
    from .console_schemas import ConsoleUserCreate, OperatorCreate
    from .passwords import MIN_LENGTH

    def convert(data: dict, struct_type):
        try:
            return msgspec.convert(data, struct_type)
        except msgspec.ValidationError as exc:
            raise click.ClickException(f"not valid: {exc}") from None

    password_option = click.option(
        "--password", prompt=True, hide_input=True, confirmation_prompt=True,
        help=f"at least {MIN_LENGTH} characters (prompted for when left out)",
    )

    @cli.group()
    def users() -> None:
        """Franchise console users and platform operators."""

    @users.command("create-owner")
    @click.argument("tenant")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @password_option
    def create_owner(tenant: str, email: str, name: str, password: str) -> None:
        """Create an owner of TENANT's console (by slug)."""
        data = convert({"email": email, "display_name": name, "role": "owner", "password": password}, ConsoleUserCreate)
        settings = ready_settings()

        async def go():
            async with app_database(settings):
                async with tenant_scope(await tenant_id_for_slug(tenant)):
                    return await console_services.create_console_user(data)

        user = run(go)
        click.echo(f"created owner {user.email} (id {user.id}) for {tenant}: sign in at /console/sign-in")

    @users.command("create-operator")
    @click.option("--email", required=True)
    @click.option("--name", required=True)
    @password_option
    def create_operator(email: str, name: str, password: str) -> None:
        """Create a platform operator (the platform console on the platform host)."""
        data = convert({"email": email, "display_name": name, "password": password}, OperatorCreate)
        settings = ready_settings()

        async def go():
            async with app_database(settings):
                async with tenant_transaction(None):
                    return await console_services.create_operator(data)

        operator = run(go)
        click.echo(f"created operator {operator.email} (id {operator.id}): sign in at /platform/sign-in")

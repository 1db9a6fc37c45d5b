"""`hearth users create-owner TENANT` and `hearth users create-operator` (added by hooks.py)."""

from __future__ import annotations

import click
import msgspec

from .passwords import MIN_LENGTH

password_option = click.option(
    "--password", prompt=True, hide_input=True, confirmation_prompt=True,
    help=f"at least {MIN_LENGTH} characters (asked for when left out)",
)


def _convert(data: dict, struct_type: type[msgspec.Struct]):
    try:
        return msgspec.convert(data, struct_type)
    except msgspec.ValidationError as exc:
        field = str(exc).rsplit("$.", 1)[-1].rstrip("`") if "$." in str(exc) else ""
        option = {"display_name": "name"}.get(field, field)
        raise click.ClickException(f"--{option} is not valid" if option else str(exc)) from None


@click.group()
def users() -> None:
    """Franchise console users and platform operators."""


@users.command("create-owner")
@click.argument("tenant")
@click.option("--email", required=True)
@click.option("--name", required=True)
@password_option
def create_owner(tenant: str, email: str, name: str, password: str) -> None:
    """Create an owner of TENANT's franchise console (TENANT is its slug)."""
    from platform_core.clikit import ready_settings, run
    from platform_core.runtime import command_scope
    from platform_core.tenancy.context import tenant_scope
    from platform_core.tenancy.services import tenant_id_for_slug

    from .console_schemas import ConsoleUserCreate
    from .console_services import create_console_user

    data = _convert({"email": email, "display_name": name, "role": "owner", "password": password}, ConsoleUserCreate)
    settings = ready_settings()

    async def go():
        async with command_scope(settings):
            async with tenant_scope(await tenant_id_for_slug(tenant)):
                return await create_console_user(data)

    user = run(go)
    click.echo(f"created owner {user.email} of {tenant}: sign in at http://{tenant}.{settings.base_domain}:{settings.port}/console/sign-in")


@users.command("create-operator")
@click.option("--email", required=True)
@click.option("--name", required=True)
@password_option
def create_operator(email: str, name: str, password: str) -> None:
    """Create a platform operator, who signs in to the platform console."""
    from platform_core.clikit import ready_settings, run
    from platform_core.db import tenant_transaction
    from platform_core.runtime import command_scope

    from .console_schemas import OperatorCreate
    from .console_services import create_operator as create

    data = _convert({"email": email, "display_name": name, "password": password}, OperatorCreate)
    settings = ready_settings()

    async def go():
        async with command_scope(settings):
            async with tenant_transaction(None):
                return await create(data)

    operator = run(go)
    click.echo(f"created operator {operator.email}: sign in at http://{settings.platform_host}:{settings.port}/platform/sign-in")

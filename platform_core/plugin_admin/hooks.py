"""Plugin administration's hook implementations (registered as a core plugin): the Plugins pages of both
consoles, their menu entry, and `hearth plugins ...`."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Awaitable, Callable, TypeVar

import click

from platform_core.pluginsys import hookimpl
from platform_core.pluginsys.contexts import MenuEntry
from platform_core.runtime import current_runtime

T = TypeVar("T")


@hookimpl
def register_routes():
    from . import views

    return [views.console_plugins, views.console_toggle, views.console_config, views.platform_plugins, views.platform_defaults]


@hookimpl
def provide_console_menu():
    return [MenuEntry(label="Plugins", href="/console/plugins", icon="puzzle", permission="plugins.manage", section="settings", order=50)]


@hookimpl
def register_cli_commands(cli):
    cli.add_command(plugins)


# --------------------------------------------------------------------------- CLI


# A value read from a file (`key=@app_private.pem`) is a key or certificate: a few KiB. The cap
# stops a wrong path (a log, a dump) from being encrypted into the config.
MAX_FILE_VALUE = 64 * 1024


def _file_value(key: str, name: str) -> str:
    """The text of the file a `key=@file` setting names, without its trailing newlines."""
    path = Path(name).expanduser()
    try:
        if path.stat().st_size > MAX_FILE_VALUE:
            raise click.UsageError(f"{key}: {name} is larger than {MAX_FILE_VALUE // 1024} KiB; is it the right file?")
        data = path.read_bytes()
    except FileNotFoundError:
        raise click.UsageError(f"{key}: there is no file {name}") from None
    except IsADirectoryError:
        raise click.UsageError(f"{key}: {name} is a folder, not a file") from None
    except OSError as exc:
        raise click.UsageError(f"{key}: {name} can not be read ({exc.strerror})") from None
    try:
        return data.decode("utf-8").rstrip("\r\n")
    except UnicodeDecodeError:
        raise click.UsageError(f"{key}: {name} is not a text file (a PEM key or certificate is text)") from None


def _pairs(assignments: tuple[str, ...]) -> dict[str, str]:
    """`key=value` pairs; `key=@file` reads the value from a file, `key=@@text` is the text `@text`."""
    values, bad = {}, []
    for item in assignments:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            bad.append(item)
            continue
        if value.startswith("@@"):
            value = value[1:]
        elif value.startswith("@"):
            value = _file_value(key.strip(), value[1:])
        values[key.strip()] = value
    if bad:
        raise click.UsageError("write each setting as key=value or key=@file (got: " + ", ".join(bad) + ")")
    return values


def _with_runtime(work: Callable[[Any], Awaitable[T]]) -> T:
    """Run `work()` inside the runtime's scope against the database as the app role, printing validation errors as
    `field: message` lines (exit code 1)."""
    from platform_core.clikit import ready_settings
    from platform_core.errors import HearthError, ValidationFailed
    from platform_core.runtime import Runtime, command_scope

    settings = ready_settings()
    rt = Runtime.build(settings)

    async def go() -> T:
        async with command_scope(settings, rt):
            return await work()

    # Entered like a request: plugins told of a change (on_plugin_enabled) read their config.
    with rt.scope():
        try:
            return asyncio.run(go())
        except ValidationFailed as exc:
            click.echo(f"Error: {exc.message}", err=True)
            hints = _hints(exc.fields)
            for name, text in exc.fields.items():
                click.echo(f"{name}: {text}{hints.get(name, '')}", err=True)
            raise SystemExit(1) from None
        except HearthError as exc:
            raise click.ClickException(exc.message % exc.params if exc.params else exc.message) from None


def _hints(fields: dict[str, str]) -> dict[str, str]:
    """What a bad field accepts, for the command line (the pages show it in the form)."""
    from platform_core.pluginsys.services import plugin_catalog

    hints: dict[str, str] = {}
    if "plugin" in fields:
        hints["plugin"] = " (installed: " + (", ".join(p.name for p in plugin_catalog(current_runtime().pm)) or "none") + ")"
    for summary in plugin_catalog(current_runtime().pm):
        for f in summary.fields:
            if f.name in fields and f.choices:
                hints.setdefault(f.name, " (one of: " + ", ".join(f.choices) + ")")
    return hints


async def _tenant_id(slug: str) -> int:
    from platform_core.errors import NotFound
    from platform_core.tenancy.services import tenant_id_for_slug

    try:
        return await tenant_id_for_slug(slug)
    except NotFound:
        raise click.ClickException(f"no franchise has the slug {slug!r} (see: hearth tenants list)") from None


def _echo_config(config: dict[str, Any], overridden: list[str], here: str) -> None:
    width = max((len(k) for k in config), default=0)
    for key, value in config.items():
        origin = here if key in overridden else "inherited"
        shown = "" if value is None else value
        click.echo(f"  {key:<{width}} = {shown}  ({origin})")


@click.group()
def plugins() -> None:
    """Plugins: installed (code) and enabled per franchise (data)."""


@plugins.command("list")
def plugins_list() -> None:
    """Installed plugins, their version, and which franchises have them on."""
    from platform_core.pluginsys.services import platform_plugins

    states = _with_runtime(platform_plugins)
    if not states:
        click.echo("no plugins installed")
    for state in states:
        p = state.plugin
        on = ", ".join(state.tenants) or "-"
        click.echo(f"{p.name:20} {p.version or '-':10} {p.category:14} on: {on}")
        if p.description:
            click.echo(f"{'':20} {p.title}: {p.description}")


def _toggle(tenant: str, name: str, enabled: bool) -> None:
    from platform_core.pluginsys.services import disable_plugin, enable_plugin

    async def work():
        tenant_id = await _tenant_id(tenant)
        return await (enable_plugin if enabled else disable_plugin)(tenant_id, name, actor="cli")

    result = _with_runtime(work)
    state = "on" if enabled else "off"
    click.echo(f"{name} is {state} for {tenant}" + ("" if result.changed else " (no change)"))
    for failed in result.failed_hooks:
        click.echo(f"warning: plugin {failed} failed in its on_plugin_* hook (see the log)", err=True)


@plugins.command("enable")
@click.argument("tenant")
@click.argument("plugin")
def plugins_enable(tenant: str, plugin: str) -> None:
    """Turn PLUGIN on for the franchise TENANT (its slug)."""
    _toggle(tenant, plugin, True)


@plugins.command("disable")
@click.argument("tenant")
@click.argument("plugin")
def plugins_disable(tenant: str, plugin: str) -> None:
    """Turn PLUGIN off for the franchise TENANT (its config is kept)."""
    _toggle(tenant, plugin, False)


@plugins.command("config")
@click.argument("tenant")
@click.argument("plugin")
@click.argument("settings", nargs=-1)
@click.option("--reset", "reset", multiple=True, metavar="KEY", help="drop the franchise's own value (repeatable)")
@click.option("--show", is_flag=True, help="print the current config (secrets masked)")
def plugins_config(tenant: str, plugin: str, settings: tuple[str, ...], reset: tuple[str, ...], show: bool) -> None:
    """Set a franchise's config of PLUGIN: key=value ... (a blank value clears a secret; key=@file
    reads the value from a file, such as a PEM key)."""
    from platform_core.pluginsys.services import set_plugin_config, tenant_plugin

    values = _pairs(settings)

    async def work():
        tenant_id = await _tenant_id(tenant)
        if values or reset:
            await set_plugin_config(tenant_id, plugin, values, reset=reset, actor="cli")
        return await tenant_plugin(tenant_id, plugin)

    state = _with_runtime(work)
    if values or reset:
        click.echo(f"{plugin} config saved for {tenant}")
    if show or not (values or reset):
        click.echo(f"{plugin} for {tenant} ({'on' if state.enabled else 'off'}):")
        _echo_config(state.config, state.overridden, "this franchise")


@plugins.command("defaults")
@click.argument("plugin")
@click.argument("settings", nargs=-1)
@click.option("--reset", "reset", multiple=True, metavar="KEY", help="drop the platform's value (repeatable)")
@click.option("--show", is_flag=True, help="print the platform defaults (secrets masked)")
def plugins_defaults(plugin: str, settings: tuple[str, ...], reset: tuple[str, ...], show: bool) -> None:
    """Set the platform default config of PLUGIN (used where a franchise sets nothing)."""
    from platform_core.pluginsys.services import (
        platform_plugins,
        plugin_info,
        set_platform_default,
    )

    values = _pairs(settings)

    async def work():
        plugin_info(current_runtime().pm, plugin)
        if values or reset:
            await set_platform_default(plugin, values, reset=reset, actor="cli")
        return next(s for s in await platform_plugins() if s.plugin.name == plugin)

    state = _with_runtime(work)
    if values or reset:
        click.echo(f"{plugin} platform defaults saved")
    if show or not (values or reset):
        click.echo(f"{plugin} platform defaults:")
        _echo_config(state.config, state.overridden, "platform")

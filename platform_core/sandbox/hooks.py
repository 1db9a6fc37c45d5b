"""``hearth sandbox``: the local stand-ins for the payment providers, AMap and QQ Connect."""

from __future__ import annotations

import os
import sys

import click

from platform_core.pluginsys import hookimpl

from .config import DEFAULT_PORT, sandbox_base_url, stripe_port


@hookimpl
def register_cli_commands(cli):
    cli.add_command(sandbox)


@click.command()
@click.option("--port", type=int, default=lambda: int(os.environ.get("HEARTH_SANDBOX_PORT", DEFAULT_PORT)), show_default=str(DEFAULT_PORT))
@click.option("--no-stripe", is_flag=True, help="do not start localstripe")
def sandbox(port: int, no_stripe: bool) -> None:
    """Run local stand-ins for WeChat Pay, Alipay, Stripe, AMap and QQ sign-in on 127.0.0.1 (no real money)."""
    from aiohttp import web

    from platform_core.clikit import settings_from_env

    from .keys import keys_path, load_or_create
    from .server import Sandbox, build_app, policy_from_env
    from .stripe_server import start_localstripe, stop_localstripe

    data_dir = settings_from_env().data_dir
    keys = load_or_create(data_dir)
    proc = None if no_stripe else start_localstripe(stripe_port(port))
    stripe_api = None if no_stripe else sandbox_base_url(stripe_port(port))
    click.echo(f"sandbox on {sandbox_base_url(port)} (keys in {keys_path(data_dir)})")
    if stripe_api:
        click.echo(f"localstripe on {stripe_api}")
    try:
        # Returns once SIGTERM or SIGINT asked it to stop (aiohttp's own handlers).
        web.run_app(build_app(Sandbox(keys, base_url=sandbox_base_url(port), policy=policy_from_env(), stripe_api=stripe_api)),
                    host="127.0.0.1", port=port, print=None)
    finally:
        if proc:
            stop_localstripe(proc)
    # Everything is stopped: skip the interpreter's teardown, seconds on a loaded machine, which
    # would hold up `hearth demo`'s own stop.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)

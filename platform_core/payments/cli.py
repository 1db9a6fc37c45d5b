"""`hearth payments reconcile [TENANT...]` (added by hooks.py)."""

from __future__ import annotations

import click


@click.group()
def payments() -> None:
    """Online payments."""


@payments.command("reconcile")
@click.argument("tenants", nargs=-1)
def reconcile(tenants: tuple[str, ...]) -> None:
    """Ask the providers about every pending payment (of TENANTS, or of all), e.g. after an outage.

    Queues one check per payment; the server's job worker (or `hearth worker`) runs them."""
    from platform_core.clikit import ready_settings, run
    from platform_core.runtime import command_scope
    from platform_core.tenancy.context import tenant_scope
    from platform_core.tenancy.services import list_tenants

    from .services import reconcile_pending

    settings = ready_settings()

    async def go() -> list[tuple[str, int]]:
        async with command_scope(settings):
            known = {t.slug: t.id for t in await list_tenants()}
            unknown = [slug for slug in tenants if slug not in known]
            if unknown:
                raise click.ClickException(f"no such tenant: {', '.join(unknown)}")
            counts = []
            for slug in tenants or sorted(known):
                async with tenant_scope(known[slug]):
                    counts.append((slug, await reconcile_pending()))
            return counts

    for slug, count in run(go):
        click.echo(f"{slug}: {count} pending payment(s) queued for a check")

"""`hearth tenants apply`: tenants as TOML files, synced idempotently (twice = no change)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import msgspec

from platform_core.errors import NotFound, ValidationFailed
from platform_core.pluginsys import config as cfg
from platform_core.pluginsys.services import (
    disable_plugin,
    enable_plugin,
    get_plugin_config,
    plugin_info,
    set_plugin_config,
)
from platform_core.runtime import current_runtime
from platform_core.settings import Settings
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.schemas import TenantFile
from platform_core.tenancy.services import (
    create_tenant,
    get_tenant,
    list_tenants,
    update_tenant,
)


def read_tenant_file(path: Path) -> TenantFile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        return msgspec.convert(raw, TenantFile)
    except (tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        raise ValidationFailed({str(path): str(exc)}, message="A tenant file is not valid.") from None


async def apply_tenant_file(path: Path, settings: Settings) -> list[str]:
    spec = read_tenant_file(path)
    slug = spec.tenant.slug
    changes: list[str] = []
    try:
        tenant = await get_tenant(slug)
    except NotFound:
        tenant = await create_tenant(spec.tenant)
        changes.append(f"{slug}: created")
    else:
        if await update_tenant(slug, spec.tenant):
            changes.append(f"{slug}: updated")
    # pluginsys: [plugins.<name>] enabled + config
    changes.extend(await apply_tenant_plugins(tenant.id, slug, spec.plugins))
    # catalog: [[categories]] and [[items]], matched by code and slug.
    from platform_core.catalog.seeding import apply_catalog_file

    changes.extend(await apply_catalog_file(tenant.id, slug, path))
    # Further sections (plugins, owner, customers) are applied by their domains' services.
    # accounts (console): the [owner], created when missing; a changed password is never reset.
    if spec.owner:
        changes.extend(await _apply_owner(tenant.id, slug, spec.owner))
    # accounts: [[staff]], the workers who sign in to the staff app.
    if spec.staff:
        from platform_core.accounts.services import apply_staff_entries
        from platform_core.crypto import Keyring

        tenant_id = (await get_tenant(slug)).id
        changes.extend(await apply_staff_entries(Keyring(settings.secret_key), tenant_id, spec.staff))
        # staff (workers): profile, skills and weekly hours of [[staff]], for workers without a profile yet.
        from platform_core.staff.services import apply_staff_profiles

        changes.extend(await apply_staff_profiles(Keyring(settings.secret_key), tenant_id, spec.staff))
    # qualifications: [qualifications] requirement rules, workers' credentials, pending applications.
    from platform_core.qualifications.seeding import apply_qualifications_file

    changes.extend(await apply_qualifications_file(tenant.id, slug, path))
    # accounts: [[customers]], the demo's families (plugin data below may name them by phone).
    if spec.customers:
        from platform_core.accounts.services import apply_customer_entries
        from platform_core.crypto import Keyring

        changes.extend(await apply_customer_entries(Keyring(settings.secret_key), tenant.id, spec.customers))
    # accounts: [legal] defaults = true, the built-in terms and privacy policy until the owner writes theirs.
    if spec.legal.get("defaults"):
        from platform_core.accounts.legal import publish_default_documents

        changes.extend(await publish_default_documents(tenant.id))
    # promotions and marketing: [[promotions.coupons]], [[promotions.rules]], [[promotions.channels]].
    if spec.promotions:
        from .promotions import apply_promotions

        changes.extend(await apply_promotions(tenant.id, slug, spec.promotions))
    # marketing: [[campaigns]], each with its coupon, started when created.
    if spec.campaigns:
        from platform_core.marketing.seeding import apply_campaigns

        changes.extend(await apply_campaigns(tenant.id, slug, spec.campaigns))
    # training: [[training.courses]] and [[training.progress]], after the workers they name.
    if spec.training:
        from platform_core.crypto import Keyring
        from platform_core.training.seeding import apply_training

        changes.extend(await apply_training(Keyring(settings.secret_key), tenant.id, spec.training))
    # assessment: [assessment], after [[staff]] (its cards, watch list and notes name workers).
    if spec.assessment:
        from platform_core.assessment.seeding import apply_assessment

        changes.extend(await apply_assessment(tenant.id, slug, spec.assessment))
    # plugins: [plugins.<name>.data], last, so that it may name what the sections above made.
    for name, plugin in spec.plugins.items():
        if plugin.data and plugin.enabled:
            await _apply_plugin_data(tenant.id, name, plugin.data)
    return changes


async def _apply_owner(tenant_id: int, slug: str, owner: dict[str, str]) -> list[str]:
    from platform_core.accounts.console_services import ensure_console_owner


    if not {"email", "name", "password"} <= owner.keys():
        raise ValidationFailed({"owner": "Give the owner an email, a name and a password."})
    async with tenant_scope(tenant_id):
        created = await ensure_console_owner(email=owner["email"], display_name=owner["name"], password=owner["password"])
    return [f"{slug}: owner {owner['email']} created"] if created else []


# accounts (operators): the demo's platform operator, seeded on the demo path only (demo_banner).
DEMO_OPERATOR = {"email": "operator@hearth.demo", "name": "Demo Operator", "password": "hearth-demo-2026"}
REPO_TENANTS = Path(__file__).resolve().parents[2] / "tenants"


async def apply_tenant_files(paths: list[Path], settings: Settings) -> list[str]:
    changes: list[str] = []
    for path in paths:
        changes.extend(await apply_tenant_file(path, settings))
    return changes


async def demo_banner(settings: Settings) -> str:
    from platform_core.accounts.console_services import ensure_operator
    from platform_core.db import tenant_transaction

    async with tenant_transaction(None):
        await ensure_operator(email=DEMO_OPERATOR["email"], display_name=DEMO_OPERATOR["name"], password=DEMO_OPERATOR["password"])
    owners = {f.tenant.slug: f.owner for f in map(read_tenant_file, sorted(REPO_TENANTS.glob("*.toml"))) if f.owner}
    port = settings.port
    lines = ["", "Hearth is running with the demo franchises:", ""]
    for tenant in await list_tenants():
        host = f"{tenant.slug}.{settings.base_domain}"
        lines.append(f"  {tenant.name} ({tenant.slug})")
        lines.append(f"    customer site   http://{host}:{port}/")
        lines.append(f"    franchise console http://{host}:{port}/console/")
        if tenant.slug in owners:
            owner = owners[tenant.slug]
            lines.append(f"    console sign-in   {owner['email']} / {owner['password']}  (owner)")
        # accounts: customer and staff sign-in for the demo.
        lines.append(f"    customer sign-in  http://{host}:{port}/account/sign-in  (any mobile number; the code is in")
        lines.append(f"                      the dev outbox http://{host}:{port}/dev/outbox and in the server log)")
        from platform_core.accounts.services import demo_staff_phones
        from platform_core.crypto import Keyring

        for name, phone in await demo_staff_phones(Keyring(settings.secret_key), tenant.id):
            lines.append(f"    staff sign-in     http://{host}:{port}/staff/sign-in  {name} {phone}")
    lines.append("")
    lines.append(f"  platform console  http://{settings.platform_host}:{port}/platform/")
    lines.append(f"    operator sign-in  {DEMO_OPERATOR['email']} / {DEMO_OPERATOR['password']}")
    lines.append(f"  API docs          http://{settings.platform_host}:{port}/schema/docs")
    return "\n".join(lines)


async def apply_tenant_plugins(tenant_id: int, slug: str, specs: dict[str, Any]) -> list[str]:
    """The `[plugins.<name>]` sections of a tenant file: `enabled` and `config`, idempotently
    (a value already in effect is not written again, so applying twice changes nothing). Runs in
    the command's runtime, like a request: plugins told of the change read their config."""
    changes: list[str] = []
    for name, spec in specs.items():
        changes.extend(await _apply_plugin(tenant_id, slug, name, spec))
    return changes


async def _apply_plugin(tenant_id: int, slug: str, name: str, spec: Any) -> list[str]:
    """One plugin's section: its config where it differs, then on or off."""
    changes: list[str] = []
    info = plugin_info(current_runtime().pm, name)
    if spec.config:
        wanted = cfg.validate_values(info.config, dict(spec.config))
        current = await get_plugin_config(tenant_id, name)
        now = msgspec.to_builtins(current) if current is not None else {}
        changed = {k: v for k, v in wanted.items() if now.get(k) != v}
        if changed:
            await set_plugin_config(tenant_id, name, changed, actor="tenants-apply")
            changes.append(f"{slug}: {name} config set ({', '.join(sorted(changed))})")
    toggle = enable_plugin if spec.enabled else disable_plugin
    if (await toggle(tenant_id, name, actor="tenants-apply")).changed:
        changes.append(f"{slug}: {name} {'enabled' if spec.enabled else 'disabled'}")
    return changes


async def _apply_plugin_data(tenant_id: int, name: str, data: dict[str, Any]) -> None:
    """A plugin's `[plugins.<name>.data]`, applied by the plugin itself (on_tenant_file_applied)."""
    from platform_core.pluginsys.calls import tell
    from platform_core.pluginsys.contexts import TenantFileEvent

    async with tenant_scope(tenant_id) as tenant:
        failed = await tell(current_runtime().hooks(tenant).on_tenant_file_applied,
                            event=TenantFileEvent(tenant=tenant, plugin_name=name, data=data))
    if name in failed:
        raise ValidationFailed({f"plugins.{name}.data": "The plugin could not apply its data (see the log)."},
                               message="A tenant file is not valid.")

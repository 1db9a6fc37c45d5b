"""[[staff]] in tenants/*.toml: applied after the tenant, idempotently."""

from __future__ import annotations

import secrets

from platform_core.db import current_connection
from platform_core.demo.seeding import apply_tenant_file, demo_banner
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import get_tenant

TOML = """
[tenant]
slug = "{slug}"
name = "Seeded Franchise"
currency = "HKD"

[[staff]]
name = "Grace Chan"
phone = "5123 4567"

[[staff]]
name = "Daniel Wong"
phone = "+85261234568"
"""


async def test_staff_section_is_applied_once(app, hearth_settings, tmp_path):
    slug = f"seed-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    path.write_text(TOML.format(slug=slug), encoding="utf-8")
    first = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: staff Grace Chan created" in first and f"{slug}: staff Daniel Wong created" in first
    assert await apply_tenant_file(path, hearth_settings) == []
    tenant = await get_tenant(slug)
    async with tenant_scope(tenant.id):
        names = [r["name"] for r in await current_connection().fetch("select name from core_staff order by id")]
    assert names == ["Grace Chan", "Daniel Wong"]
    banner = await demo_banner(hearth_settings)
    assert "Grace Chan +85251234567" in banner and "/dev/outbox" in banner

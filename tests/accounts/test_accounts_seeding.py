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


async def test_legal_defaults_are_published_once_and_an_owners_text_is_kept(app, hearth_settings, tmp_path):
    from platform_core.accounts import legal
    from platform_core.accounts.schemas import LegalDocumentPublish

    slug = f"seed-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    path.write_text(f'[tenant]\nslug = "{slug}"\nname = "Seeded Franchise"\n\n[legal]\ndefaults = true\n', encoding="utf-8")
    first = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: terms version 1 published" in first and f"{slug}: privacy version 1 published" in first
    tenant = await get_tenant(slug)
    async with tenant_scope(tenant.id) as scoped:
        await legal.publish_document(scoped, "terms", LegalDocumentPublish(body_zh="门店自己的协议"), by="owner")
    assert await apply_tenant_file(path, hearth_settings) == []
    async with tenant_scope(tenant.id):
        terms = await legal.current_document("terms")
    assert (terms.version, terms.body_zh) == (2, "门店自己的协议")

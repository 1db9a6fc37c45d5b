"""The Sunshine demo's [qualifications]: requirement rules, workers' credentials (one expiring within
30 days) and two applications waiting, applied once (the second apply changes nothing)."""

from __future__ import annotations

import secrets
import shutil
from datetime import timedelta
from pathlib import Path

from platform_core import clock
from platform_core.demo.seeding import apply_tenant_file
from platform_core.qualifications import applications, credentials, eligibility
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import get_tenant

REPO = Path(__file__).resolve().parents[2]


async def test_the_sunshine_demo_seeds_rules_credentials_and_pending_applications_once(app, hearth_settings, tmp_path):
    slug = f"sunshine-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    shutil.copy(REPO / "tenants" / "sunshine.toml", path)
    path.write_text(path.read_text(encoding="utf-8").replace('slug = "sunshine"', f'slug = "{slug}"', 1), encoding="utf-8")
    first = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: application of 赵春梅 created" in first and f"{slug}: requirement electrician for appliance-repair created" in first
    again = await apply_tenant_file(path, hearth_settings)
    assert not [c for c in again if "requirement" in c or "credential" in c or "application" in c]
    tenant = await get_tenant(slug)
    async with tenant_scope(tenant.id):
        today = clock.today(tenant.timezone)
        pending = await applications.list_applications("submitted")
        soon = await credentials.expiring(today + timedelta(days=30))
        assert sorted(a.name for a in pending) == ["孙丽娟", "赵春梅"]
        assert len(soon) == 1 and soon[0].kind == "health_certificate"
        assert len(await eligibility.rules()) == 4
        # Each of the five demo workers has a dated credential on file.
        workers = [d.staff_id for d in await credentials.expiring(today + timedelta(days=3650))]
        assert len(set(workers)) == 5

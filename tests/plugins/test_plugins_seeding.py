"""`hearth tenants apply`: the [plugins.<name>] sections of tenant files, idempotently."""

from __future__ import annotations

import secrets
import tomllib
from pathlib import Path

from platform_core.demo.seeding import apply_tenant_file
from platform_core.pluginsys.services import get_plugin_config
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import tenant_id_for_slug

REPO = Path(__file__).resolve().parents[2]


async def test_tenant_file_turns_plugins_on_with_their_config_and_twice_changes_nothing(runtime, hearth_settings, tmp_path):
    sunshine = tomllib.loads((REPO / "tenants" / "sunshine.toml").read_text(encoding="utf-8"))
    slug = f"seed-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    plugins = sunshine["plugins"]["announcements"]["config"]
    path.write_text(
        f'[tenant]\nslug = "{slug}"\nname = "种子加盟店"\n\n[plugins.announcements]\nenabled = true\n\n'
        f'[plugins.announcements.config]\ntitle = "{plugins["title"]}"\nlevel = "{plugins["level"]}"\nshow_on = "both"\n',
        encoding="utf-8",
    )
    first = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: announcements enabled" in first
    tenant_id = await tenant_id_for_slug(slug)
    async with tenant_scope(tenant_id) as tenant:
        assert "announcements" in tenant.enabled_plugins
    config = await get_plugin_config(tenant_id, "announcements")
    assert (config.title, config.level, config.show_on) == (plugins["title"], "warning", "both")
    assert await apply_tenant_file(path, hearth_settings) == []


def test_demo_franchises_differ_in_their_plugins():
    sunshine = tomllib.loads((REPO / "tenants" / "sunshine.toml").read_text(encoding="utf-8"))
    harbour = tomllib.loads((REPO / "tenants" / "harbour.toml").read_text(encoding="utf-8"))
    assert sunshine["plugins"]["announcements"]["enabled"] is True
    assert "announcements" not in harbour.get("plugins", {})

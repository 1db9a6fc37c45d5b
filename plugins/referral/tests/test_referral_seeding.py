"""The demo franchise's `[plugins.referral]` section: the plugin on with its rules, the welcome
coupon and the silver level's voucher found by name and written into the settings as ids;
applying the file again changes nothing; an unknown coupon name stops the apply."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from platform_core.demo.seeding import apply_tenant_file
from platform_core.errors import ValidationFailed
from platform_core.pluginsys.services import get_plugin_config
from platform_core.promotions import services as promotions
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import tenant_id_for_slug

REPO = Path(__file__).resolve().parents[3]


def section(start: str, end: str) -> str:
    text = (REPO / "tenants" / "sunshine.toml").read_text(encoding="utf-8")
    return text[text.index(start):text.index(end)]


def tenant_file(tmp_path, *blocks: str) -> tuple[str, Path]:
    slug = f"ref-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    path.write_text(f'[tenant]\nslug = "{slug}"\nname = "邀请加盟店"\nlocale = "zh_CN"\ntimezone = "Asia/Shanghai"\n\n' + "\n".join(blocks),
                    encoding="utf-8")
    return slug, path


async def test_the_demo_referral_section_sets_the_rules_and_names_its_coupons(runtime, hearth_settings, tmp_path):
    referral = section("[plugins.referral]", "# A marketing campaign")
    coupons = section("\n[[promotions.coupons]]", "# The catalog")
    slug, path = tenant_file(tmp_path, referral, coupons)
    await apply_tenant_file(path, hearth_settings)
    assert await apply_tenant_file(path, hearth_settings) == []
    tenant_id = await tenant_id_for_slug(slug)
    config = await get_plugin_config(tenant_id, "referral")
    async with tenant_scope(tenant_id) as tenant:
        assert "referral" in tenant.enabled_plugins
        names = {t.id: t.name for t in await promotions.list_templates()}
    assert (config.threshold, config.window_days, config.inviter_amount) == (10000, 30, 2000)
    assert names[config.invitee_coupon_template_id] == "邀请好友新人券"
    assert [(lv.threshold, lv.name, names.get(lv.voucher_template_id)) for lv in config.levels] == [
        (3, "银牌邀请官", "银牌邀请官专享券"), (10, "金牌邀请官", None)]


async def test_an_unknown_coupon_name_stops_the_apply(runtime, hearth_settings, tmp_path):
    slug, path = tenant_file(tmp_path, '[plugins.referral]\nenabled = true\n\n[plugins.referral.data]\nwelcome_coupon = "没有这张券"\n')
    with pytest.raises(ValidationFailed):
        await apply_tenant_file(path, hearth_settings)

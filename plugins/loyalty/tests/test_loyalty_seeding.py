"""The demo franchise's `[plugins.loyalty]` section: loyalty on, its tasks and rewards shop made
from `[plugins.loyalty.data]` once (a coupon reward finds its template by name), the four tiers
seeded; applying the file again changes nothing; bad data stops the apply, naming the plugin."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from platform_core.demo.seeding import apply_tenant_file
from platform_core.errors import ValidationFailed
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import tenant_id_for_slug
from plugins.loyalty import shop, tasks, tiers

REPO = Path(__file__).resolve().parents[3]


def section(name: str, start: str, end: str) -> str:
    text = (REPO / "tenants" / name).read_text(encoding="utf-8")
    return text[text.index(start):text.index(end)]


def tenant_file(tmp_path, *blocks: str) -> tuple[str, Path]:
    slug = f"loy-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    body = "\n".join(blocks)
    path.write_text(f'[tenant]\nslug = "{slug}"\nname = "积分加盟店"\nlocale = "zh_CN"\ntimezone = "Asia/Shanghai"\n\n{body}', encoding="utf-8")
    return slug, path


async def test_the_demo_loyalty_section_makes_tasks_tiers_and_a_shop_once(runtime, hearth_settings, tmp_path):
    loyalty = section("sunshine.toml", "[plugins.loyalty]", "# The user agreement")
    coupons = section("sunshine.toml", "\n[[promotions.coupons]]", "# The catalog")
    slug, path = tenant_file(tmp_path, loyalty, coupons)
    await apply_tenant_file(path, hearth_settings)
    await apply_tenant_file(path, hearth_settings)
    async with tenant_scope(await tenant_id_for_slug(slug)) as tenant:
        assert "loyalty" in tenant.enabled_plugins
        assert [t.code for t in await tasks.list_tasks()] == ["profile", "first-order", "review", "share"]
        rewards = {r.name: r for r in await shop.list_rewards()}
        assert [t.code for t in await tiers.list_tiers()] == ["regular", "silver", "gold", "platinum"]
    assert len(rewards) == 3 and all(r.active for r in rewards.values())
    assert rewards["保洁立减30元券"].kind == "coupon" and rewards["保洁立减30元券"].coupon_template_id is not None
    assert rewards["多功能清洁剂 500ml"].stock == 30


async def test_a_reward_naming_no_coupon_template_stops_the_apply(runtime, hearth_settings, tmp_path):
    slug, path = tenant_file(tmp_path, '[plugins.loyalty]\nenabled = true\n\n[[plugins.loyalty.data.rewards]]\n'
                                       'name = "券"\nkind = "coupon"\npoints = 100\ncoupon = "没有这张券"\n')
    with pytest.raises(ValidationFailed) as refused:
        await apply_tenant_file(path, hearth_settings)
    assert set(refused.value.fields) == {"plugins.loyalty.data"}

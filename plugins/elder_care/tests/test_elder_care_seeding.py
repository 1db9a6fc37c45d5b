"""The demo franchise's elder care: the family of `[[customers]]` with its address, the elder
carer of `[[staff]]`, and `[plugins.elder_care]`: the category with its four services, the elder
assessed (level 2), an active plan whose visits are orders; applying the file again changes
nothing."""

from __future__ import annotations

import secrets
from pathlib import Path

from platform_core.demo.seeding import apply_tenant_file
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import tenant_id_for_slug
from plugins.elder_care import elders, plans

REPO = Path(__file__).resolve().parents[3]


def section(start: str, end: str | None = None) -> str:
    text = (REPO / "tenants" / "sunshine.toml").read_text(encoding="utf-8")
    return text[text.index(start):text.index(end) if end else None]


async def test_the_demo_shows_an_assessed_elder_and_an_active_plan_with_orders(runtime, hearth_settings, tmp_path):
    slug = f"care-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    people = section('[[staff]]\nname = "赵丽华"', "# Plugins this franchise has on")
    care = section("[plugins.elder_care]")
    # The carer holds what care level 2 asks for (qualifications and training, as in the full file).
    care += """
[[qualifications.credentials]]
phone = "+8613500000005"
kind = "elderly_carer"
number = "3101060120047731"
issuer = "上海市人力资源和社会保障局"

[[qualifications.credentials]]
phone = "+8613500000005"
kind = "health_certificate"
number = "HJ310106-2026-05520"
issuer = "上海市静安区疾病预防控制中心"
expires_in_days = 305

[[training.progress]]
phone = "+8613500000005"
course = "elder-care-basics"
state = "passed"
"""
    path.write_text(f'[tenant]\nslug = "{slug}"\nname = "阳光家政"\nlocale = "zh_CN"\ntimezone = "Asia/Shanghai"\n\n{people}\n{care}',
                    encoding="utf-8")
    await apply_tenant_file(path, hearth_settings)
    await apply_tenant_file(path, hearth_settings)
    async with tenant_scope(await tenant_id_for_slug(slug)) as tenant:
        assert "elder_care" in tenant.enabled_plugins
        assert {i.slug for i in await plans.care_items()} == {"elder-companion-care", "elder-bathing", "elder-live-in-carer",
                                                                "elder-post-hospital-care"}
        assert {i.title for i in await plans.care_items()} == {"钟点陪护", "助浴服务", "住家护理", "术后/出院护理"}
        from platform_core.db import current_connection
        family = await current_connection().fetchval("select customer_id from elder_care_elder")
        (elder,) = await elders.elders_of(family)
        assert (elder.data.name, elder.barthel, elder.level) == ("王桂英", 60, 2)
        (plan,) = await plans.plans_of(family)
        assert plan.state == "active" and plan.weekdays == [0, 2, 4]
        placed = [v for v in await plans.visits_of(plan.id) if v.state == "placed"]
        assert len(placed) >= 5

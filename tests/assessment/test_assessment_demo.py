"""The Sunshine demo's assessment section: last month's scorecards scored by the real formula,
one worker on watch with a coaching note due; applying the file again changes nothing."""

from __future__ import annotations

import secrets
import tomllib

import tomli_w

from platform_core.assessment import formula, scorecards, watch
from platform_core.demo.seeding import REPO_TENANTS, apply_tenant_file
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import get_tenant


async def test_the_sunshine_demo_shows_last_month_s_cards_and_a_worker_on_watch(app, hearth_settings, tmp_path, runtime):
    sunshine = tomllib.loads((REPO_TENANTS / "sunshine.toml").read_text(encoding="utf-8"))
    slug = f"sun-{secrets.token_hex(3)}"
    path = tmp_path / f"{slug}.toml"
    path.write_text(tomli_w.dumps({"tenant": {"slug": slug, "name": "阳光家政 (test)"}, "staff": sunshine["staff"],
                                   "assessment": sunshine["assessment"]}), encoding="utf-8")
    first = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: 4 scorecards for last month" in first and f"{slug}: 李建国 on watch" in first
    tenant = await get_tenant(slug)
    async with tenant_scope(tenant.id):
        month = formula.previous_month(scorecards.this_month())
        cards = {c.staff_name: c for c in await scorecards.month_cards(month)}
        assert cards["张秀英"].rank == 1 and cards["李建国"].score < 60 and cards["李建国"].on_watch
        assert [w.staff_name for w in await watch.on_watch()] == ["李建国"]
        assert (await watch.notes())[0].follow_up_on is not None
    second = await apply_tenant_file(path, hearth_settings)
    assert not [c for c in second if "scorecard" in c or "watch" in c or "coaching" in c or "formula" in c]

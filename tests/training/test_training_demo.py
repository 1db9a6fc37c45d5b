"""Sunshine's [training]: its two courses and its workers' states, applied from the tenant file
as the demo does, twice without a change."""

from __future__ import annotations

import secrets
import tomllib
from pathlib import Path

import tomli_w

from platform_core.demo.seeding import apply_tenant_file
from platform_core.tenancy.context import tenant_scope
from platform_core.tenancy.services import get_tenant
from platform_core.training import learning, services

REPO = Path(__file__).resolve().parents[2]


async def test_sunshine_has_its_courses_and_workers_in_different_states(runtime, hearth_settings, tmp_path):
    sunshine = tomllib.loads((REPO / "tenants" / "sunshine.toml").read_text(encoding="utf-8"))
    slug = f"learn-{secrets.token_hex(3)}"
    staff = [{**s, "phone": s["phone"]} for s in sunshine["staff"]]
    path = tmp_path / f"{slug}.toml"
    # Its own two courses; the progress in a plugin's course (elder care's) is elder care's test.
    training = {"courses": sunshine["training"]["courses"],
                "progress": [p for p in sunshine["training"]["progress"] if p["course"] in ("service-standards", "cleaning-sop")]}
    path.write_text(tomli_w.dumps({"tenant": {"slug": slug, "name": "培训加盟店"}, "staff": staff, "training": training}),
                    encoding="utf-8")
    changes = await apply_tenant_file(path, hearth_settings)
    assert f"{slug}: course service-standards created" in changes and f"{slug}: course cleaning-sop created" in changes
    tenant = await get_tenant(slug)
    async with tenant_scope(tenant.id):
        courses = {c.code: c for c in await services.list_courses()}
        assert courses["service-standards"].onboarding and courses["cleaning-sop"].categories == ["cleaning"]
        assert all(c.state == "published" for c in courses.values())
        rows = await learning.who_is_due(course_id=courses["service-standards"].id)
        states = sorted(r.course.status for r in rows)
    assert states == ["in_progress", "not_started", "not_started", "passed", "passed"]
    assert [c for c in await apply_tenant_file(path, hearth_settings) if "training" in c or "course" in c] == []
